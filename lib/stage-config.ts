import { z } from 'zod';
import { AUDIT_SHARDS } from '../functions/adapters/aws/audit-items.ts';
import {
  AUDIT_SEAL_GROUP_COUNTS,
  type AuditSealGroupCount,
} from '../functions/adapters/aws/audit-seal-groups.ts';

// A stage's configuration, from cdk.json context (`stages.<name>`) and the environment,
// validated before anything is synthesised: a bad value fails synth naming the field.

const ROUTE_GROUPS = ['public', 'status', 'issuer', 'retrieval', 'operator', 'holder'] as const;

/** The audit sealer's reserved concurrency per seal group (a group's runs may overlap; more is waste). */
export const SEALER_RESERVED_CONCURRENCY_PER_GROUP = 2;

/** The audit sealer's reserved concurrency: every seal group's run once a minute, each may overlap one. */
export function sealerReservedConcurrency(auditSealGroups: AuditSealGroupCount): number {
  return SEALER_RESERVED_CONCURRENCY_PER_GROUP * auditSealGroups;
}

/** What Lambda keeps unreserved of an account's concurrency, and the account's default quota. */
const UNRESERVED_MINIMUM = 100;
const DEFAULT_ACCOUNT_CONCURRENCY = 1_000;

/** The daily document sweeper's reserved concurrency: one run a day, overlapping none. */
export const DOCUMENT_SWEEPER_RESERVED_CONCURRENCY = 1;

/** China regions (partition aws-cn): SM2 keys exist only there; Cognito user pools do not. */
export function isChinaRegion(region: string | undefined): boolean {
  return region?.startsWith('cn-') ?? false;
}

const acmCertificateArn = z
  .string()
  .regex(
    /^arn:aws(-cn)?:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f-]{36}$/,
    'an ACM certificate ARN',
  );
const domainName = z
  .string()
  .regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/,
    'a lower-case DNS name such as api.example.gov.cn',
  );

export const StageConfigSchema = z
  .object({
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'a lower-case stage name of at most 21 characters'),
    account: z
      .string()
      .regex(/^\d{12}$/, 'a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as cn-north-1')
      .optional(),
    /**
     * The API's public base URL (the custom domain in front of API Gateway): issuer URIs
     * (`<url>/agencies/<USCC>`) and status-list URIs in every license are built from it, so it
     * must never change for a stage once licenses are issued.
     */
    publicBaseUrl: z
      .url({ protocol: /^https$/ })
      .describe('the https URL licenses name as issuer and status base'),
    /** Physical shards of the license table per data domain (人口库 person, 法人库 legal-entity, …). */
    shardsPerDomain: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case data-domain slug'),
        z.number().int().min(1).max(64),
      )
      .refine((r) => Object.keys(r).length > 0, 'at least one data domain'),
    /**
     * The blind-index HMAC key, as a KMS ciphertext under the stage's field key (base64), bound
     * to its use by the encryption context elicense:purpose=blind-index-key:
     * `npx elicense bootstrap blind-index-key --key-id <FieldKey ARN>` once after the first
     * deploy. Never change it on a stage with data: every holder lookup depends on it.
     */
    blindIndexKeyBlob: z.base64().optional(),
    logRetentionDays: z.number().int().positive().default(365),
    /**
     * Reserved concurrency per route group. It caps what one group can take from the account's
     * Lambda concurrency (1,000 by default) and so what it can ask of KMS: the issuer group's
     * cap bounds seal signatures (KMS ECC Sign: 1,000/s shared by default).
     */
    reservedConcurrency: z
      .object({
        public: z.number().int().min(1),
        status: z.number().int().min(1),
        issuer: z.number().int().min(1),
        retrieval: z.number().int().min(1),
        operator: z.number().int().min(1),
        holder: z.number().int().min(1),
      })
      .strict()
      .default({ public: 200, status: 20, issuer: 100, retrieval: 400, operator: 5, holder: 150 }),
    /**
     * How many chains the audit log is sealed as (functions/adapters/aws/audit-seal-groups.ts):
     * one chain is sealed at one core's pace, ≈ 9,000–12,000 events/s sustained on a whole vCPU,
     * below the design's peak of 15,000 events/s; G groups are sealed by G scheduled runs in
     * parallel (4 gives ≈ 4×). Part of the audit layout and fixed once the stage has sealed: the
     * sealer refuses to start chains of another count beside the stage's (AuditSealLayoutChanged).
     */
    auditSealGroups: z
      .literal(AUDIT_SEAL_GROUP_COUNTS, {
        error: (issue) =>
          `expected a seal-group count of ${AUDIT_SEAL_GROUP_COUNTS.join(', ')} (a divisor of the ${AUDIT_SHARDS} audit shards), found ${JSON.stringify(issue.input)}`,
      })
      .default(4),
    /** Where alarms are mailed (an SNS e-mail subscription); alarms still go to the topic without it. */
    alarmEmail: z.email().optional(),
    /**
     * Requests per 5 minutes per client IP before WAF blocks it. With the agency usage plan it
     * must be at least what one agency may send under the plan (rate × 300 + burst), so that an
     * agency behind one address is throttled by its plan before the WAF blocks the address; by
     * default it is that, or 2,000 when higher.
     */
    wafRateLimitPer5Min: z.number().int().min(100).optional(),
    /**
     * Whether the operator routes take demo records (`demo: true`) and the demo agencies' request
     * keys, whose private halves anyone can derive from their key ids: a LocalStack or throwaway
     * stage seeded like the local platform. Off by default, so no stage takes them by accident.
     */
    demoData: z.boolean().default(false),
    /**
     * A custom domain on the regional API (agencies sign requests to it): the name and an ACM
     * certificate for it in the stage's region. Without it the execute-api URL is the API's URL.
     */
    customDomain: z.object({ domainName, certificateArn: acmCertificateArn }).strict().optional(),
    /**
     * The field-encryption key in a CloudHSM custom key store (`cks-…`) instead of KMS's own
     * HSMs. CloudFormation cannot create keys there, so a custom resource calls kms:CreateKey.
     */
    cloudHsmKeyStoreId: z
      .string()
      .regex(/^cks-[0-9a-f]{17}$/, 'a custom key store id such as cks-1234567890abcdef0')
      .optional(),
    /**
     * The algorithm of agency seal keys. SM2 (GB/T 32918) is offered by KMS in China regions
     * only; the platform key stays ES256 because JOSE has no registered SM2 algorithm.
     */
    sealAlgorithm: z.enum(['ES256', 'SM2']).default('ES256'),
    /** Pre-initialised instances per route group (an alias `live` with provisioned concurrency). */
    provisionedConcurrency: z.partialRecord(z.enum(ROUTE_GROUPS), z.number().int().min(0)).default({}),
    /**
     * A PRIVATE REST API reachable only through this interface VPC endpoint (execute-api),
     * instead of a regional one.
     */
    privateEndpoint: z
      .object({ vpcEndpointId: z.string().regex(/^vpce-[0-9a-f]{8,17}$/, 'a VPC endpoint id (vpce-…)') })
      .strict()
      .optional(),
    /**
     * Status lists and the JWKS through a CloudFront distribution that honours their
     * Cache-Control. CloudFront certificates live in us-east-1 (ACM); in China regions
     * CloudFront needs an ICP-registered domain and an IAM server certificate, which this
     * stack does not handle, so the option is refused there.
     */
    cdn: z
      .object({
        domainName,
        certificateArn: acmCertificateArn.regex(
          /^arn:aws:acm:us-east-1:/,
          'CloudFront takes certificates from ACM in us-east-1',
        ),
      })
      .strict()
      .optional(),
    /**
     * How holders prove who they are on this stage (the development-only provider never runs on
     * AWS). `faceMatch`: Amazon Rekognition CompareFaces of a live selfie against the registered
     * ID photo at `reference-photos/<blind index>` in the given bucket (SSE-S3, or give the
     * role decrypt on its key; the holder function may list its keys, so keep it for the photos),
     * at least `similarityThreshold` % alike. Without it no provider
     * is enabled and holders cannot be proofed.
     */
    holderProofing: z
      .object({
        faceMatch: z
          .object({
            referencePhotoBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
            similarityThreshold: z.number().min(80).max(100).default(90),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    /** Default Object Lock retention of every object in the audit-archive bucket. */
    auditArchiveLock: z
      .object({ mode: z.enum(['COMPLIANCE', 'GOVERNANCE']), days: z.number().int().min(1).max(36_500) })
      .strict()
      .default({ mode: 'COMPLIANCE', days: 3653 }),
    /**
     * Who signs holders in: a Cognito user pool created by the data stack (MFA required or
     * optional), or an external OIDC provider (Cognito user pools are not offered in China
     * regions). Default: Cognito with MFA required.
     */
    holderIdentity: z
      .discriminatedUnion('kind', [
        z
          .object({ kind: z.literal('cognito'), mfa: z.enum(['required', 'optional']).default('required') })
          .strict(),
        z
          .object({
            kind: z.literal('oidc'),
            issuer: z.url({ protocol: /^https$/ }).describe('the OIDC issuer URL of holder tokens'),
            audience: z.string().min(1),
            /**
             * Where the provider publishes its signing keys (its discovery document's `jwks_uri`),
             * when not at `<issuer>/.well-known/jwks.json` — Keycloak's, for one, are at
             * `<issuer>/protocol/openid-connect/certs`.
             */
            jwksUri: z
              .url({ protocol: /^https$/ })
              .optional()
              .describe("the https URL of the provider's JWKS"),
          })
          .strict(),
      ])
      .default({ kind: 'cognito', mfa: 'required' }),
    /**
     * Per-agency throttling and quotas at API Gateway: a usage plan on the stage, an API key
     * (`x-api-key`) per agency required on every agency-signed route. The key only meters; the
     * RFC 9421 signature still authenticates every request. Off by default (and on the local
     * platform, which has no API Gateway).
     */
    agencyUsagePlan: z
      .object({
        enabled: z.boolean().default(false),
        /** Steady requests per second per agency key. */
        rateLimit: z.number().positive().max(10_000).default(50),
        /** Requests per agency key above the rate for short bursts (token bucket size). */
        burstLimit: z.number().int().min(1).max(5_000).default(100),
        /** Requests per agency key per day (UTC). */
        quotaPerDay: z.number().int().min(1).max(100_000_000).default(500_000),
      })
      .strict()
      .default({ enabled: false, rateLimit: 50, burstLimit: 100, quotaPerDay: 500_000 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const china = isChinaRegion(c.region);
    if (c.sealAlgorithm === 'SM2' && !china) {
      ctx.addIssue({
        code: 'custom',
        path: ['sealAlgorithm'],
        message: `SM2 keys are offered by KMS in China regions (cn-north-1, cn-northwest-1) only, not in ${c.region ?? 'an unspecified region'}`,
      });
    }
    if (c.holderIdentity.kind === 'cognito' && china) {
      ctx.addIssue({
        code: 'custom',
        path: ['holderIdentity'],
        message:
          'Cognito user pools are not offered in China regions: give an external OIDC provider ({"kind":"oidc","issuer":…,"audience":…})',
      });
    }
    if (c.cdn && china) {
      ctx.addIssue({
        code: 'custom',
        path: ['cdn'],
        message:
          'CloudFront in China regions needs an ICP-registered domain and an IAM server certificate, which this stack does not handle',
      });
    }
    if (c.cdn && c.privateEndpoint) {
      ctx.addIssue({ code: 'custom', path: ['cdn'], message: 'CloudFront cannot reach a private API' });
    }
    if (c.customDomain && c.privateEndpoint) {
      ctx.addIssue({
        code: 'custom',
        path: ['customDomain'],
        message: 'custom domains for private APIs are not built; reach a private API by its endpoint',
      });
    }
    const planFloor = wafRateFloor(c.agencyUsagePlan);
    if (c.wafRateLimitPer5Min !== undefined && c.wafRateLimitPer5Min < planFloor) {
      ctx.addIssue({
        code: 'custom',
        path: ['wafRateLimitPer5Min'],
        message: `one agency may send ${planFloor.toLocaleString('en-US')} requests in 5 minutes under the usage plan (rateLimit × 300 + burstLimit); the WAF would block its address first — set at least ${planFloor.toLocaleString('en-US')}`,
      });
    }
    // Lambda keeps 100 of the account's concurrency unreserved: with the scheduled functions',
    // the stage must leave at least that much of the default 1,000 (two stages at the defaults
    // do not fit one account without a raised quota).
    const sealer = sealerReservedConcurrency(c.auditSealGroups);
    const reserved = Object.values(c.reservedConcurrency).reduce(
      (a, b) => a + b,
      sealer + DOCUMENT_SWEEPER_RESERVED_CONCURRENCY,
    );
    if (reserved > DEFAULT_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM) {
      ctx.addIssue({
        code: 'custom',
        path: ['reservedConcurrency'],
        message: `reserved concurrency of the route groups with the sealer's ${sealer} (${SEALER_RESERVED_CONCURRENCY_PER_GROUP} for each of ${c.auditSealGroups} seal groups) and the document sweeper's ${DOCUMENT_SWEEPER_RESERVED_CONCURRENCY} is ${reserved}: it must leave at least ${UNRESERVED_MINIMUM} of the default ${DEFAULT_ACCOUNT_CONCURRENCY.toLocaleString('en-US')} unreserved`,
      });
    }
    for (const group of ROUTE_GROUPS) {
      const provisioned = c.provisionedConcurrency[group] ?? 0;
      if (provisioned > c.reservedConcurrency[group]) {
        ctx.addIssue({
          code: 'custom',
          path: ['provisionedConcurrency', group],
          message: `provisioned concurrency (${provisioned}) exceeds the group's reserved concurrency (${c.reservedConcurrency[group]})`,
        });
      }
    }
  })
  .transform((c) => ({
    ...c,
    wafRateLimitPer5Min: c.wafRateLimitPer5Min ?? Math.max(2_000, wafRateFloor(c.agencyUsagePlan)),
  }));

export type StageConfig = z.infer<typeof StageConfigSchema>;

/** The most one agency may send in the WAF's 5-minute window under the usage plan; 0 without it. */
function wafRateFloor(plan: { enabled: boolean; rateLimit: number; burstLimit: number }): number {
  return plan.enabled ? Math.ceil(plan.rateLimit * 300) + plan.burstLimit : 0;
}

/** Reads `stages.<stage>` from the context; CDK_DEFAULT_ACCOUNT/REGION fill what the stage leaves open. */
export function loadStageConfig(
  context: { stage?: unknown; stages?: unknown },
  env: Record<string, string | undefined> = {},
): StageConfig {
  const stage = typeof context.stage === 'string' ? context.stage : 'dev';
  const stages = (context.stages ?? {}) as Record<string, unknown>;
  const raw = stages[stage];
  if (raw === undefined) {
    throw new Error(
      `unknown stage '${stage}': cdk.json context 'stages' defines ${Object.keys(stages).join(', ')}`,
    );
  }
  const result = StageConfigSchema.safeParse({
    account: env.CDK_DEFAULT_ACCOUNT,
    region: env.CDK_DEFAULT_REGION,
    ...(raw as object),
    stage,
  });
  if (!result.success) {
    const issues = result.error.issues.map((i) => `stages.${stage}.${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid stage configuration — ${issues.join('; ')}`);
  }
  return result.data;
}

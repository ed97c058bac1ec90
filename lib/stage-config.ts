import { z } from 'zod';

// A stage's configuration, from cdk.json context (`stages.<name>`) and the environment,
// validated before anything is synthesised: a bad value fails synth naming the field.

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
     * The blind-index HMAC key, as a KMS ciphertext under the stage's field key (base64):
     * `aws kms generate-data-key-without-plaintext --key-id <FieldKey ARN> --key-spec AES_256
     * --query CiphertextBlob --output text` once after the first deploy. Never change it on a
     * stage with data: every holder lookup depends on it.
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
      .default({ public: 200, status: 20, issuer: 100, retrieval: 400, operator: 5, holder: 150 })
      .refine((r) => Object.values(r).reduce((a, b) => a + b, 0) <= 900, {
        message: 'reserved concurrency must leave at least 100 of the default 1,000 unreserved',
      }),
    /** Where alarms are mailed (an SNS e-mail subscription); alarms still go to the topic without it. */
    alarmEmail: z.email().optional(),
    /** Requests per 5 minutes per client IP before WAF blocks it. */
    wafRateLimitPer5Min: z.number().int().min(100).default(2_000),
  })
  .strict();

export type StageConfig = z.infer<typeof StageConfigSchema>;

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

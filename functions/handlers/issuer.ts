import { createHash } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { fieldCipherSecretSealer } from '#adapters/aws/field-cipher-secret-sealer.ts';
import { DynamoHolderStore } from '#adapters/aws/holder-store.ts';
import { idempotencySettings } from '#adapters/aws/idempotency.ts';
import { shardsFromTableBindings } from '#adapters/aws/license-shards.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import {
  attachLicenseDocument,
  beginLicenseDocumentUpload,
  completeLicenseDocumentUpload,
} from '#app/attach-license-document.ts';
import { CachedCatalog } from '#app/cached-catalog.ts';
import { changeLicenseStatus, type StatusAction } from '#app/change-license-status.ts';
import { issueLicense } from '#app/issue-license.ts';
import { issueLicenseBatch } from '#app/issue-license-batch.ts';
import { issuerCopy } from '#app/issuer-copy.ts';
import type { IssuanceDeps, IssuerCaller } from '#app/license-issuance.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import { authenticatedAgency } from '#http/agency-auth.ts';
import { asBatchItemProblem, unsettledBatchItem } from '#http/domain-problems.ts';
import { AnswerNotRemembered, idempotentRequests } from '#http/idempotency.ts';
import { HttpProblem, type ProblemDocument, problemDocument } from '#http/problem.ts';
import { header, parseJsonBody, schemaViolation } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import { createRouter } from '#http/router.ts';
import {
  CompleteDocumentUploadRequestSchema,
  DocumentUploadRequestSchema,
  IssueLicenseBatchEnvelopeSchema,
  IssueLicenseBatchItemSchema,
  IssueLicenseRequestSchema,
  ReinstateLicenseRequestSchema,
  ReissueLicenseRequestSchema,
  RevokeLicenseRequestSchema,
  SuspendLicenseRequestSchema,
} from '#http/schemas/issuer.ts';
import { authenticateAgency } from './agency-authenticator.ts';
import { documents, dynamodb, s3 } from './aws-clients.ts';
import { dataDomainOf } from './data-domains.ts';
import { bucket, catalogCacheOptions, environment, table } from './environment.ts';
import { issuerApplicationRoutes } from './issuer/applications.ts';
import { blindIndexer, fieldCipher, signingKeys } from './key-material.ts';
import { logger, withPowertools } from './observability.ts';

// Issuer route group: issuing agencies issue licenses and change their status. It writes the
// license tables, holder index, issuer listing, status lists and audit events; reads the holders
// table (a holder's device key becomes the license's cnf); signs with the agencies' seal keys;
// encrypts with the field key; stores layout documents. Every POST that changes something needs
// an Idempotency-Key, remembered in the idempotency table — which keeps no field values and no
// short-lived links: an answer carrying them is rebuilt after the record (withIssuerCopy, the
// review steps in issuer/applications.ts) or stored without them (rememberedProblem).
const registry = new DynamoConfigStore(documents, table('config'));
// Every issue, reinstate and application review reads its license type: through the container's
// cache (cached-catalog.ts), so the most used type's item takes no read per license — an issuer
// taken off a type, or a type changed, shows within CATALOG_MAX_AGE_MS. The issuer agency is read
// from the registry each time: it holds the seal key a new license is signed with, which must not
// be one the operator rotated out or withdrew a moment ago (its load is one agency's own requests).
const catalog = new CachedCatalog(registry, catalogCacheOptions());
const config = { getLicenseType: catalog.getLicenseType, getAgency: registry.getAgency.bind(registry) };
// An answer given again refuses a license whose seal key was withdrawn since (issuer-copy.ts).
const seals = new CachedSealStandings(catalog);
const shards = shardsFromTableBindings(process.env);
const licenses = new DynamoDbLicenseRepository({
  client: documents,
  // The repository also counts grant uses, which this group never does: it is not given the
  // grants table, only a name that no call here ever reaches.
  tables: stageTablesFromEnvironment(
    { TABLE_GRANTS: 'not-bound-to-the-issuer-group', ...process.env },
    shards,
  ),
  shards,
  domainOf: dataDomainOf(registry),
  // An approval's license is written only while its application is approving, marking it.
  applications: table('applications'),
  // A license bound to a holder's device key is written only while that key is active.
  holders: table('holders'),
});
const cipher = await fieldCipher();
const statusLists = new DynamoDbStatusListStore({
  client: documents,
  table: table('status-lists'),
  // Allocation keys sealed under the field key on AWS; the local platform keeps them unprotected,
  // as its status-list store does everywhere else (tests, seeding), so all of them read one format.
  sealer: environment.keys.kind === 'kms' ? fieldCipherSecretSealer(cipher) : unprotectedSecrets,
});
const documentStore = new S3DocumentStore(s3, {
  bucket: bucket('documents'),
  // The local S3 server ignores server-side encryption; on AWS the documents key is required.
  kmsKeyId:
    process.env.ELICENSE_DOCUMENTS_KEY_ID ??
    (environment.keys.kind === 'kms' ? required('ELICENSE_DOCUMENTS_KEY_ID') : 'local-documents-key'),
});
const { persistence, config: idempotencyConfig } = idempotencySettings(table('idempotency'), dynamodb);
const idempotent = idempotentRequests({
  persistenceStore: new DynamoDBPersistenceLayer(persistence),
  config: idempotencyConfig,
  keyPrefix: 'issuer',
  // The blind index's HMAC over the body's SHA-256 (hex: the index upper-cases what it is given;
  // `REQUEST-BODY` is no holder code type), so the record keeps nothing a guess can be tested on.
  bodyDigest: (body) =>
    blindIndexer().tokenFor('request-body', createHash('sha256').update(body).digest('hex')),
});

const deps: IssuanceDeps = {
  config,
  licenses,
  statusLists,
  keys: signingKeys,
  cipher,
  blindIndex: blindIndexer(),
  // Reads only: the holder's newest active device key, which becomes the license's cnf.jwk (the
  // license's write checks it still active: the repository's `holders`).
  holderKeys: new DynamoHolderStore(documents, {
    table: table('holders'),
    auditTable: table('audit'),
    cipher,
  }),
  publicBaseUrl: environment.publicBaseUrl,
  now: () => new Date(),
};
// Records the reads of a license an issue answered again (its issuer's copy, read back).
const audit = new DynamoAuditLogWriter(documents, table('audit'));
const lifecycleDeps = { ...deps, licenses, documents: documentStore, audit };

type Route = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const router = createRouter(
  'issuer',
  {
    // Reviewing license applications; an approval issues through the same issueLicense.
    ...issuerApplicationRoutes({ ...deps, licenses }, callerOf, idempotent),
    async issueLicense(event, context) {
      const { document, ...request } = parseJsonBody(event, IssueLicenseRequestSchema);
      const caller = callerOf(event);
      let signed: string | undefined;
      const answer = await idempotent(event, context, async (requestKey) => {
        const { sdJwt, ...issued } = await issueLicense(
          {
            ...request,
            document: document && {
              bytes: Buffer.from(document.content, 'base64'),
              mediaType: document.mediaType,
            },
            issuanceKey: { requestKey },
          },
          caller,
          lifecycleDeps,
        );
        signed = sdJwt;
        return jsonResponse(201, issued);
      });
      return withIssuerCopy(caller, 201, answer, signed);
    },
    async issueLicenseBatch(event, context) {
      const { items } = parseJsonBody(event, IssueLicenseBatchEnvelopeSchema);
      const caller = callerOf(event);
      let answered: unknown;
      const remembered = await idempotent(event, context, async (requestKey) => {
        const parsed = items.map((item, index) => ({
          index,
          result: IssueLicenseBatchItemSchema.safeParse(item),
        }));
        const valid = parsed.flatMap(({ index, result }) =>
          result.success ? [{ index, request: result.data }] : [],
        );
        const outcomes = new Map(
          (await issueLicenseBatch(valid, caller, lifecycleDeps, { requestKey })).map((o) => [o.index, o]),
        );
        const results = parsed.map(({ index, result }) => {
          const outcome = outcomes.get(index);
          if (outcome?.ok) {
            const { licenseId, version, statusList } = outcome.license;
            return { index, status: 201, licenseId, version, statusList };
          }
          const problem = problemOf(
            result.success ? outcome?.error : schemaViolation(result.error, '(item)'),
          );
          return { index, status: problem.status, problem };
        });
        const issued = results.filter((r) => r.status === 201).length;
        const counts = { issued, failed: results.length - issued };
        answered = { ...counts, items: results };
        const response = jsonResponse(200, {
          ...counts,
          items: results.map((r) =>
            r.problem === undefined ? r : { ...r, problem: rememberedProblem(r.problem) },
          ),
        });
        // An item that may have been issued, or was refused for a passing reason, is settled by
        // the batch run again under its key, which a remembered answer would stop.
        const unsettled = [...outcomes.values()].some((o) => !o.ok && unsettledBatchItem(o.error));
        if (unsettled) throw new AnswerNotRemembered(response);
        return response;
      });
      // The first answer has each refused item's reasons in full; the record, and so a repeat, not.
      return answered === undefined ? remembered : jsonResponse(200, answered);
    },
    suspendLicense: statusRoute('suspend', SuspendLicenseRequestSchema),
    reinstateLicense: statusRoute('reinstate', ReinstateLicenseRequestSchema),
    revokeLicense: statusRoute('revoke', RevokeLicenseRequestSchema),
    async reissueLicense(event, context) {
      const request = parseJsonBody(event, ReissueLicenseRequestSchema);
      const caller = callerOf(event);
      let signed: string | undefined;
      const answer = await idempotent(event, context, async (requestKey) => {
        const { sdJwt, ...reissued } = await reissueLicense(
          { ...request, licenseId: licenseIdOf(event), requestKey },
          caller,
          lifecycleDeps,
        );
        signed = sdJwt;
        return jsonResponse(201, reissued);
      });
      return withIssuerCopy(caller, 201, answer, signed);
    },
    async attachLicenseDocument(event, context) {
      const caller = callerOf(event);
      const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      if (bytes.byteLength === 0) {
        throw new HttpProblem(
          'bad-request',
          'expected the PDF or OFD document as the request body, found none',
        );
      }
      return idempotent(event, context, async () => {
        const attached = await attachLicenseDocument(
          { licenseId: licenseIdOf(event), bytes, mediaType: header(event, 'content-type') ?? '' },
          caller,
          lifecycleDeps,
        );
        return jsonResponse(200, attached);
      });
    },
    // Not under an Idempotency-Key: it changes nothing but the audit log (the upload begun), and a
    // remembered answer would hand out its URL after the URL expired.
    async beginLicenseDocumentUpload(event) {
      const request = parseJsonBody(event, DocumentUploadRequestSchema);
      const upload = await beginLicenseDocumentUpload(
        { ...request, licenseId: licenseIdOf(event) },
        callerOf(event),
        lifecycleDeps,
      );
      return jsonResponse(201, upload);
    },
    async completeLicenseDocumentUpload(event, context) {
      const request = parseJsonBody(event, CompleteDocumentUploadRequestSchema);
      const caller = callerOf(event);
      return idempotent(event, context, async () => {
        const attached = await completeLicenseDocumentUpload(
          { ...request, licenseId: licenseIdOf(event) },
          caller,
          lifecycleDeps,
        );
        return jsonResponse(200, attached);
      });
    },
  },
  {
    authenticate: authenticateAgency,
    onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }),
  },
);

export const handler = withPowertools(router);

function statusRoute(action: StatusAction, schema: z.ZodType<{ reason?: string | undefined }>): Route {
  return async (event, context) => {
    const { reason } = parseJsonBody(event, schema);
    const caller = callerOf(event);
    return idempotent(event, context, async (requestKey) => {
      const changed = await changeLicenseStatus(
        { licenseId: licenseIdOf(event), action, reason, requestKey },
        caller,
        lifecycleDeps,
      );
      return jsonResponse(200, changed);
    });
  };
}

/**
 * Adds the issuer's signed copy to an issue or re-issue answer. The idempotency record keeps the
 * answer without it (no field values in the clear there): a first answer adds the copy just
 * signed, a repeat reads it back from the sealed content.
 */
async function withIssuerCopy(
  caller: IssuerCaller,
  status: number,
  answer: APIGatewayProxyResult,
  signed: string | undefined,
): Promise<APIGatewayProxyResult> {
  if (answer.statusCode !== status) return answer;
  const body = JSON.parse(answer.body) as { licenseId: string } & Record<string, unknown>;
  const sdJwt =
    signed ?? (await issuerCopy(body.licenseId, caller, { licenses, cipher, seals, audit, now: deps.now }));
  return jsonResponse(status, { ...body, sdJwt });
}

function callerOf(event: APIGatewayProxyEvent): IssuerCaller {
  const caller = authenticatedAgency(event);
  // The router authenticates every route of this group first; no caller here is a wiring bug.
  if (caller === undefined) throw new Error('issuer route reached without an authenticated agency');
  return { agency: caller.agency };
}

function licenseIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id;
  if (!id) throw new HttpProblem('bad-request', 'expected a license id in the path, found none');
  return id;
}

/** The problem a refused batch item stands for; anything unexpected is logged and stays opaque. */
function problemOf(error: unknown): ProblemDocument {
  const problem = asBatchItemProblem(error);
  if (problem instanceof HttpProblem) {
    return problemDocument(problem.problemType, problem.message, problem.extensions);
  }
  logger.error('batch item failed', { error });
  return problemDocument('internal-error', 'An unexpected error occurred; it has been logged.');
}

/**
 * A refused batch item's problem as the idempotency record keeps it: type, status, code and the
 * path and code of each bad field, without the detail and messages, which quote the values sent
 * (`found "…"`) — field values stay out of that table, as everywhere else they are kept encrypted.
 */
function rememberedProblem(problem: ProblemDocument): ProblemDocument {
  const { type, title, status, code, errors } = problem;
  return {
    type,
    title,
    status,
    ...(typeof code === 'string' ? { code } : {}),
    detail: `${title}; a repeated answer leaves out the reasons, which may quote the values sent`,
    ...(Array.isArray(errors)
      ? {
          errors: (errors as { path: string; code?: string }[]).map(({ path, code: why }) => ({
            path,
            ...(why === undefined ? {} : { code: why }),
            message: `refused${why === undefined ? '' : ` (${why})`}; the reason is in the first answer only`,
          })),
        }
      : {}),
  };
}

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`invalid function environment — ${variable} is not set`);
  return value;
}

import { randomUUID } from 'node:crypto';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiGatewayUsageKeys } from '#adapters/aws/api-gateway-usage-keys.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { clearFailedClaims } from '#adapters/aws/holder-store.ts';
import { KmsSealKeyProvisioner, SEAL_KEY_SPECS, type SealKeySpec } from '#adapters/aws/kms-seal-keys.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { NoUsageKeys } from '#adapters/local/no-usage-keys.ts';
import { VaultSealKeyProvisioner } from '#adapters/local/vault-seal-keys.ts';
import type { OperatorActor } from '#app/admin-change.ts';
import { addApiKey, revokeApiKey } from '#app/agency-api-keys.ts';
import { issueUsageKey } from '#app/agency-usage-keys.ts';
import { listAgencies, listSharingAgreements, readAgency } from '#app/catalog-reads.ts';
import { designateSuccessor, removeSuccessor } from '#app/designate-successor.ts';
import { registerAgency } from '#app/register-agency.ts';
import { registerLicenseType, updateLicenseType } from '#app/register-license-type.ts';
import { registerSharingAgreement, updateSharingAgreement } from '#app/register-sharing-agreement.ts';
import { rotateSealKey } from '#app/rotate-seal-key.ts';
import { unblockIdentityProofing } from '#app/unblock-identity-proofing.ts';
import { updateAgency } from '#app/update-agency.ts';
import { withdrawSealKey } from '#app/withdraw-seal-key.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency, SealKeyRef } from '#core/catalog/agency.ts';
import { LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { SharingAgreementSchema } from '#core/catalog/sharing-agreement.ts';
import { authenticatedAgency } from '#http/agency-auth.ts';
import { HttpProblem } from '#http/problem.ts';
import { ifMatch, parseJsonBody, parseQuery } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import { createRouter } from '#http/router.ts';
import {
  DesignateSuccessorRequestSchema,
  NewApiKeySchema,
  RegisterAgencyRequestSchema,
  SharingAgreementListQuerySchema,
  UnblockIdentityProofingRequestSchema,
  UpdateAgencyRequestSchema,
  WithdrawSealKeyRequestSchema,
} from '#http/schemas/operator.ts';
import { PageQuerySchema } from '#http/schemas/paging.ts';
import type { Page, PageRequest, Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner } from '#ports/seal-key-provisioner.ts';
import type { UsageKeys } from '#ports/usage-keys.ts';
import { authenticateAgency } from './agency-authenticator.ts';
import { documents, kms } from './aws-clients.ts';
import { environment, shardsPerDomain, table } from './environment.ts';
import { blindIndexer, signingKeys } from './key-material.ts';
import { logger, tracer, withPowertools } from './observability.ts';

// Operator route group: the catalog — agencies, their API keys and seal keys, license types,
// sharing agreements. It writes the config table and audit events; on AWS it creates seal keys
// in KMS (tagged elicense-role=seal), disables the ones the operator withdraws, and holds no
// sign permission. It also unblocks an identity's
// proofing: the `I#…` items of the holders table, and the blind-index key (a decrypt of the field
// key allowed for that key blob alone). Each change is written with its audit event in one
// transaction.
const config = new DynamoConfigStore(documents, table('config'), { auditTable: table('audit') });
const sealKeys: SealKeyProvisioner =
  signingKeys instanceof LocalKeyVault
    ? new VaultSealKeyProvisioner(signingKeys)
    : new KmsSealKeyProvisioner({
        kms,
        stage: environment.stage,
        // Optional: the key policy the stack renders for seal keys (roles that sign and read them).
        ...(process.env.ELICENSE_SEAL_KEY_POLICY ? { keyPolicy: process.env.ELICENSE_SEAL_KEY_POLICY } : {}),
        keySpec: sealKeySpec(process.env.ELICENSE_SEAL_KEY_SPEC),
      });
// Agencies' usage keys on the stage's usage plan, which the stack names when the stage has one
// (agencyUsagePlan); none on the local platform, which has no API Gateway.
const usagePlanName = process.env.ELICENSE_USAGE_PLAN_NAME;
// Its client is made here, not in aws-clients.ts, so the other groups' bundles leave it out.
const usageKeys: UsageKeys = usagePlanName
  ? new ApiGatewayUsageKeys({
      client: tracer.captureAWSv3Client(new APIGatewayClient({})),
      stage: environment.stage,
      usagePlan: { name: usagePlanName },
    })
  : new NoUsageKeys();
const audit = new DynamoAuditLogWriter(documents, table('audit'));
const admin = {
  stage: environment.stage,
  demoData: environment.demoData,
  now: () => new Date(),
  newEventId: () => `admin-${randomUUID()}`,
};
// The identities of the holders table, for one thing only: forgetting the failed proofings
// claimed against one (unblockIdentityProofing), found by its blind index. This function may read
// and delete only `I#…` items and decrypt only the blind-index key: no binding, no sealed field.
const holdersTable = table('holders');
const failedClaims = {
  clearFailedClaims: (holderIndex: string, auditEventOf: (cleared: number) => AuditEvent) =>
    clearFailedClaims(
      documents,
      { table: holdersTable, auditTable: table('audit') },
      holderIndex,
      auditEventOf,
    ),
};
const deps = {
  ...admin,
  config,
  // A license type may name only a data domain the stage has license tables for.
  dataDomains: Object.keys(shardsPerDomain()),
  sealKeys,
  // An enabled key no record names, still usable by the signing roles: someone must delete it.
  onSealKeyNotDiscarded: (sealKey: SealKeyRef, error: unknown) =>
    logger.error('a seal key made for a refused change could not be discarded', {
      keyRef: sealKey.keyRef,
      kid: sealKey.kid,
      error,
    }),
  usageKeys,
  audit,
  store: failedClaims,
  blindIndex: blindIndexer(),
};

const router = createRouter(
  'operator',
  {
    async registerAgency(event) {
      const registration = parseJsonBody(event, RegisterAgencyRequestSchema);
      const { usageKey, ...record } = await registerAgency(registration, operatorOf(event), deps);
      const { version, value } = record;
      // The usage key's value is in this answer only: no-store, like every answer here.
      return jsonResponse(
        201,
        { version, agency: value, ...(usageKey ? { usageKey } : {}) },
        { etag: `"${version}"` },
      );
    },
    async issueUsageKey(event) {
      const request = { uscc: pathParameter(event, 'uscc') };
      return jsonResponse(201, await issueUsageKey(request, operatorOf(event), deps));
    },
    async listAgencies(event) {
      const { limit, cursor } = parseQuery(event, PageQuerySchema);
      const listed = await listAgencies(pageOf(limit, cursor), operatorOf(event), deps);
      return listResponse(listed, (agency) => ({ agency }));
    },
    async getAgency(event) {
      const uscc = pathParameter(event, 'uscc');
      const found = await readAgency(uscc, operatorOf(event), deps);
      if (!found) throw new HttpProblem('not-found', `no agency ${uscc} is registered`);
      const { auditEventId, ...record } = found;
      return recordResponse(200, record, (agency) => ({ agency, auditEventId }));
    },
    async updateAgency(event) {
      const changes = parseJsonBody(event, UpdateAgencyRequestSchema);
      const request = { uscc: pathParameter(event, 'uscc'), expectedVersion: ifMatch(event, true), changes };
      return agencyResponse(200, await updateAgency(request, operatorOf(event), deps));
    },
    async designateSuccessor(event) {
      const { successor } = parseJsonBody(event, DesignateSuccessorRequestSchema);
      const request = {
        uscc: pathParameter(event, 'uscc'),
        expectedVersion: ifMatch(event, true),
        successor,
      };
      return agencyResponse(200, await designateSuccessor(request, operatorOf(event), deps));
    },
    async removeSuccessor(event) {
      const request = { uscc: pathParameter(event, 'uscc'), expectedVersion: ifMatch(event, true) };
      return agencyResponse(200, await removeSuccessor(request, operatorOf(event), deps));
    },
    async addApiKey(event) {
      const key = parseJsonBody(event, NewApiKeySchema);
      return agencyResponse(
        201,
        await addApiKey({ uscc: pathParameter(event, 'uscc'), key }, operatorOf(event), deps),
      );
    },
    async revokeApiKey(event) {
      const request = { uscc: pathParameter(event, 'uscc'), keyId: pathParameter(event, 'keyId') };
      return agencyResponse(200, await revokeApiKey(request, operatorOf(event), deps));
    },
    async unblockIdentityProofing(event) {
      const request = parseJsonBody(event, UnblockIdentityProofingRequestSchema);
      return jsonResponse(200, await unblockIdentityProofing(request, operatorOf(event), deps));
    },
    async rotateSealKey(event) {
      const expectedVersion = ifMatch(event, false);
      const request = { uscc: pathParameter(event, 'uscc'), ...(expectedVersion ? { expectedVersion } : {}) };
      return agencyResponse(200, await rotateSealKey(request, operatorOf(event), deps));
    },
    async withdrawSealKey(event) {
      const { reason } = parseJsonBody(event, WithdrawSealKeyRequestSchema);
      const expectedVersion = ifMatch(event, false);
      const request = {
        uscc: pathParameter(event, 'uscc'),
        kid: pathParameter(event, 'kid'),
        reason,
        ...(expectedVersion ? { expectedVersion } : {}),
      };
      return agencyResponse(200, await withdrawSealKey(request, operatorOf(event), deps));
    },
    async registerLicenseType(event) {
      const type = parseJsonBody(event, LicenseTypeSchema);
      const saved = await registerLicenseType(type, operatorOf(event), deps);
      return recordResponse(201, saved, (licenseType) => ({ licenseType }));
    },
    async updateLicenseType(event) {
      const type = parseJsonBody(event, LicenseTypeSchema);
      samePathId('code', pathParameter(event, 'code'), type.code);
      const request = { type, expectedVersion: ifMatch(event, true) };
      const saved = await updateLicenseType(request, operatorOf(event), deps);
      return recordResponse(200, saved, (licenseType) => ({ licenseType }));
    },
    async registerSharingAgreement(event) {
      const agreement = parseJsonBody(event, SharingAgreementSchema);
      const saved = await registerSharingAgreement(agreement, operatorOf(event), deps);
      return recordResponse(201, saved, (agreement) => ({ agreement }));
    },
    async listSharingAgreements(event) {
      const { limit, cursor, ...filter } = parseQuery(event, SharingAgreementListQuerySchema);
      const listed = await listSharingAgreements(filter, pageOf(limit, cursor), operatorOf(event), deps);
      return listResponse(listed, (agreement) => ({ agreement }));
    },
    async updateSharingAgreement(event) {
      const agreement = parseJsonBody(event, SharingAgreementSchema);
      samePathId('id', pathParameter(event, 'id'), agreement.id);
      const request = { agreement, expectedVersion: ifMatch(event, true) };
      const saved = await updateSharingAgreement(request, operatorOf(event), deps);
      return recordResponse(200, saved, (agreement) => ({ agreement }));
    },
  },
  {
    authenticate: authenticateAgency,
    onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }),
  },
);

export const handler = withPowertools(router);

/** The operator agency the router authenticated. */
function operatorOf(event: APIGatewayProxyEvent): OperatorActor {
  const caller = authenticatedAgency(event);
  if (!caller) throw new Error('an operator route ran without an authenticated agency');
  return { agency: caller.agency, keyId: caller.keyId, keyThumbprint: caller.keyThumbprint };
}

/** The seal key spec the stack grants (ELICENSE_SEAL_KEY_SPEC); P-256 when unset. */
function sealKeySpec(value: string | undefined): SealKeySpec {
  if (value === undefined || value === '') return 'ECC_NIST_P256';
  if (!(SEAL_KEY_SPECS as readonly string[]).includes(value)) {
    throw new Error(
      `invalid function environment — ELICENSE_SEAL_KEY_SPEC: expected one of ${SEAL_KEY_SPECS.join(', ')}, found ${value}`,
    );
  }
  return value as SealKeySpec;
}

function pathParameter(event: APIGatewayProxyEvent, name: string): string {
  return event.pathParameters?.[name] ?? '';
}

/** A page as the query named it (checked by PageQuerySchema); 100 items unless it says fewer. */
function pageOf(limit: number | undefined, cursor: string | undefined): PageRequest {
  return { limit: limit ?? 100, ...(cursor === undefined ? {} : { cursor }) };
}

function samePathId(member: string, inPath: string, inBody: string): void {
  if (inPath !== inBody) {
    throw new HttpProblem(
      'validation-failed',
      `${member}: expected ${inPath} as in the path, found ${inBody}`,
      {
        errors: [{ path: member, message: `expected ${inPath} as in the path, found ${inBody}` }],
      },
    );
  }
}

function recordResponse<T>(status: number, { value, version }: Versioned<T>, wrap: (value: T) => object) {
  return jsonResponse(status, { version, ...wrap(value) }, { etag: `"${version}"` });
}

function agencyResponse(status: number, record: Versioned<Agency>) {
  return recordResponse(status, record, (agency) => ({ agency }));
}

function listResponse<T>(page: Page<Versioned<T>> & { auditEventId: string }, wrap: (value: T) => object) {
  return jsonResponse(200, {
    items: page.items.map(({ value, version }) => ({ version, ...wrap(value) })),
    ...(page.cursor ? { cursor: page.cursor } : {}),
    auditEventId: page.auditEventId,
  });
}

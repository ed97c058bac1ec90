import { type Agency, MAX_API_KEYS, roomForApiKey } from '#core/catalog/agency.ts';
import {
  ApiKeyAlreadyRevoked,
  ApiKeyLimitReached,
  ApiKeyNotFound,
  OperatorSelfLockout,
} from '#core/catalog/registration-errors.ts';
import { ApiKeyIdTaken, ConfigRecordNotFound, type ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  type OperatorActor,
  refuseDemoKeys,
} from './admin-change.ts';
import { operatorStanding } from './operator-standing.ts';
import { activeApiKey, apiKeyThumbprint, apiKeyThumbprints, type NewApiKey } from './register-agency.ts';

export interface ApiKeyDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency' | 'updateAgency'>;
}

/**
 * Adds a request-signing key to an agency, active at once. Key ids are global: one held by
 * this or any other agency, even revoked, is refused (the registry checks the others). Only
 * active keys count against the limit: when the record is full, the oldest revoked keys are let
 * go in the same write (named in its audit event), and with them their ids. A key of an operator
 * agency is added only while the caller's own record is as this read it (operator-standing.ts).
 */
export async function addApiKey(
  { uscc, key }: { uscc: string; key: NewApiKey },
  operator: OperatorActor,
  deps: ApiKeyDeps,
): Promise<Versioned<Agency>> {
  refuseDemoKeys([key], deps);
  const current = await registeredAgency(uscc, deps);
  const agency = current.value;
  if (agency.apiKeys.some((held) => held.keyId === key.keyId)) throw new ApiKeyIdTaken(key.keyId);
  const room = roomForApiKey(agency.apiKeys);
  if (room === undefined) throw new ApiKeyLimitReached(uscc, MAX_API_KEYS);
  // A key of an operator agency signs as an operator: granted only while the caller still is one.
  const standing = agency.roles.includes('operator')
    ? await operatorStanding(operator, deps.config, uscc === operator.agency ? current : undefined)
    : undefined;
  return deps.config.updateAgency(
    { ...agency, apiKeys: [...room.kept, activeApiKey(key, deps.now())] },
    current.version,
    adminChangeEvent(deps, operator, 'agency.api_key_added', {
      details: {
        agency: uscc,
        version: current.version + 1,
        apiKey: key.keyId,
        apiKeyThumbprint: apiKeyThumbprint(key),
        algorithm: key.algorithm,
        ...(room.dropped.length === 0
          ? {}
          : {
              droppedRevokedApiKeys: room.dropped.map((k) => k.keyId),
              droppedRevokedApiKeyThumbprints: apiKeyThumbprints(room.dropped),
            }),
      },
    }),
    standing,
  );
}

/**
 * Revokes one of an agency's request-signing keys: from the write on, a request signed with it
 * fails authentication like one with an unknown key. The key stays on record, revoked. A key of
 * an operator agency is revoked only while the caller's own record is as this read it
 * (operator-standing.ts): of two operators revoking each other at once, one is refused.
 */
export async function revokeApiKey(
  { uscc, keyId }: { uscc: string; keyId: string },
  operator: OperatorActor,
  deps: ApiKeyDeps,
): Promise<Versioned<Agency>> {
  const current = await registeredAgency(uscc, deps);
  const agency = current.value;
  const key = agency.apiKeys.find((held) => held.keyId === keyId);
  if (key === undefined) throw new ApiKeyNotFound(uscc, keyId);
  if (key.status === 'revoked') throw new ApiKeyAlreadyRevoked(uscc, keyId);
  if (uscc === operator.agency && keyId === operator.keyId) {
    throw new OperatorSelfLockout(`revoking key ${keyId}, the key this request is signed with,`);
  }
  const standing = agency.roles.includes('operator')
    ? await operatorStanding(operator, deps.config, uscc === operator.agency ? current : undefined)
    : undefined;
  return deps.config.updateAgency(
    {
      ...agency,
      apiKeys: agency.apiKeys.map((held) =>
        held.keyId === keyId ? { ...held, status: 'revoked' as const } : held,
      ),
    },
    current.version,
    adminChangeEvent(deps, operator, 'agency.api_key_revoked', {
      details: {
        agency: uscc,
        version: current.version + 1,
        apiKey: keyId,
        apiKeyThumbprint: apiKeyThumbprint(key),
      },
    }),
    standing,
  );
}

async function registeredAgency(uscc: string, deps: ApiKeyDeps): Promise<Versioned<Agency>> {
  const current = await deps.config.getAgency(uscc);
  if (!current) throw new ConfigRecordNotFound('agency', uscc);
  return current;
}

import type {
  Agency,
  AgencyPublicJwk,
  AgencyRole,
  ApiKey,
  RequestSignatureAlgorithm,
} from '#core/catalog/agency.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { ApiKeyIdTaken, ConfigRecordExists, type ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner } from '#ports/seal-key-provisioner.ts';
import type { UsageKey, UsageKeys } from '#ports/usage-keys.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  type OperatorActor,
  refuseDemoData,
  refuseDemoKeys,
  withNewSealKey,
} from './admin-change.ts';
import { withNewUsageKey } from './agency-usage-keys.ts';
import { operatorStanding } from './operator-standing.ts';

/** A request-signing key as the operator registers it; the platform marks it active and dates it. */
export interface NewApiKey {
  keyId: string;
  algorithm: RequestSignatureAlgorithm;
  publicJwk: AgencyPublicJwk;
}

export interface AgencyRegistration {
  uscc: string;
  name: string;
  roles: AgencyRole[];
  areaCode: string;
  apiKeys: NewApiKey[];
  demo?: true;
}

export interface RegisterAgencyDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency' | 'findApiKey' | 'createAgency'>;
  sealKeys: SealKeyProvisioner;
  /** The agency's key on the stage's usage plan; none made when absent or when the stage has no plan. */
  usageKeys?: UsageKeys;
}

/** The registered agency, and its usage key (value shown this once) where the stage meters agencies. */
export type RegisteredAgency = Versioned<Agency> & { usageKey?: UsageKey };

/** The key as the registry holds it from now on. */
export function activeApiKey(key: NewApiKey, created: Date): ApiKey {
  return { ...key, status: 'active', created: created.toISOString() };
}

/**
 * The RFC 7638 thumbprint of a request-signing key's public JWK, which audit events name beside
 * its id: ids are freed when revoked keys are let go (roomForApiKey) and may then be registered
 * again, by any agency, for another key — the thumbprint tells which key an event meant.
 */
export function apiKeyThumbprint(key: { publicJwk: AgencyPublicJwk }): string {
  return jwkThumbprint(key.publicJwk);
}

/** The thumbprints of keys by key id. */
export function apiKeyThumbprints(
  keys: readonly { keyId: string; publicJwk: AgencyPublicJwk }[],
): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key.keyId, apiKeyThumbprint(key)]));
}

/**
 * Registers an agency with its request-signing keys. An operator agency is registered only while
 * the caller's own record is as read, its signing key active (operator-standing.ts): an operator
 * whose key or role is being taken away cannot plant another operator meanwhile. An issuer gets a seal key of its own, made
 * for it here (generation 1): the operator never hands one in, so no agency can be pointed at
 * another's key or the platform's. Where the stage meters agencies by a usage plan, the agency
 * also gets its usage key, whose id the audit event records (never its value).
 */
export async function registerAgency(
  registration: AgencyRegistration,
  operator: OperatorActor,
  deps: RegisterAgencyDeps,
): Promise<RegisteredAgency> {
  const { uscc } = registration;
  refuseDemoData('agency', uscc, registration, deps);
  refuseDemoKeys(registration.apiKeys, deps);
  // Checked before a seal key is made; the registry checks both again when it writes.
  if (await deps.config.getAgency(uscc)) throw new ConfigRecordExists('agency', uscc);
  for (const key of registration.apiKeys) {
    if (await deps.config.findApiKey(key.keyId)) throw new ApiKeyIdTaken(key.keyId);
  }
  // Granting the operator role holds only while the caller still holds it with its key active.
  const standing = registration.roles.includes('operator')
    ? await operatorStanding(operator, deps.config)
    : undefined;
  const now = deps.now();
  const agency: Agency = {
    uscc,
    name: registration.name,
    roles: registration.roles,
    areaCode: registration.areaCode,
    apiKeys: registration.apiKeys.map((key) => activeApiKey(key, now)),
    ...(registration.demo ? { demo: true } : {}),
  };
  const event = (registered: Agency, usageKey: UsageKey | undefined) =>
    adminChangeEvent(deps, operator, 'agency.registered', {
      details: {
        agency: uscc,
        version: 1,
        roles: registered.roles,
        apiKeys: registered.apiKeys.map((key) => key.keyId),
        apiKeyThumbprints: apiKeyThumbprints(registered.apiKeys),
        ...(registered.sealKey ? { sealKid: registered.sealKey.kid } : {}),
        ...(usageKey ? { usageKey: usageKey.id } : {}),
      },
    });
  // The usage key before the seal key: API Gateway failing to issue it (its control plane
  // throttles hard; the account's key quota fills, withdrawn keys never being deleted) then leaves
  // no seal key behind. A seal key that cannot be made counts as a write not sent, so the usage
  // key is withdrawn then, as when the registry refuses the write for certain.
  return withNewUsageKey(deps.usageKeys, uscc, async (usageKey) => {
    const create = async (registered: Agency): Promise<RegisteredAgency> => {
      const saved = await deps.config.createAgency(registered, event(registered, usageKey), standing);
      return usageKey ? { ...saved, usageKey } : saved;
    };
    if (!registration.roles.includes('issuer')) return create(agency);
    return withNewSealKey(deps, { agency: uscc, generation: 1 }, (sealKey) => create({ ...agency, sealKey }));
  });
}

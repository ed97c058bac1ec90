import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditEvent } from '#core/audit/event.ts';
import {
  checkPossession,
  type DeviceKeyJwk,
  DeviceKeyLimitReached,
  DeviceKeyProofInvalid,
  deviceKeyId,
  MAX_ACTIVE_DEVICE_KEYS,
} from '#core/holders/device-key.ts';
import { decodeCompactJws } from '#core/jws.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import { type DeviceKey, DeviceKeyNotFound, type HolderStore } from '#ports/holder-store.ts';
import { recordHolderRead } from './holder-read-event.ts';
import { requireBinding } from './proof-identity.ts';

// 手机盾: a proofed holder registers the public half of a key pair its device made, proving
// possession by signing a nonce the platform issued. Licenses issued to the holder afterwards
// carry the key as `cnf.jwk`; revoking it stops that for licenses issued after the revocation.

export interface DeviceKeyDeps {
  store: Pick<
    HolderStore,
    'bindingOf' | 'openDeviceKeyChallenge' | 'registerDeviceKey' | 'listDeviceKeys' | 'revokeDeviceKey'
  >;
  /** The `aud` proofs must name: the holder API's base URL. */
  audience: string;
  now: () => Date;
  newEventId?: () => string;
}

/** How long a device-key challenge may be answered. */
export const CHALLENGE_SECONDS = 300;

/**
 * 32 bytes, unpadded base64url: the shape of every challenge nonce (32 random bytes) and every
 * key id (an RFC 7638 SHA-256 thumbprint). Both become part of a store key, which has a length
 * limit of its own (1,024 bytes for a DynamoDB sort key): anything else is refused before it
 * gets there.
 */
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

export interface DeviceKeyChallengeIssued {
  nonce: string;
  audience: string;
  expiresAt: string;
}

/** A challenge for a proofed account (IdentityNotProofed otherwise). */
export async function openDeviceKeyChallenge(
  account: string,
  deps: DeviceKeyDeps,
): Promise<DeviceKeyChallengeIssued> {
  await requireBinding(deps.store, account);
  const nonce = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.now().getTime() + CHALLENGE_SECONDS * 1000);
  await deps.store.openDeviceKeyChallenge(account, nonce, expiresAt);
  return { nonce, audience: deps.audience, expiresAt: expiresAt.toISOString() };
}

export interface RegisterDeviceKeyRequest {
  account: string;
  jwk: DeviceKeyJwk;
  /** Compact JWS of typ device-key-proof+jwt over {nonce, aud}, signed with the key. */
  proof: string;
  label?: string | undefined;
}

/**
 * Proofed account → the proof verifies with the submitted key and names this platform and a
 * nonce → fewer than {@link MAX_ACTIVE_DEVICE_KEYS} active keys → the challenge consumed and
 * the key stored with its audit event, in one transaction.
 */
export async function registerDeviceKey(
  request: RegisterDeviceKeyRequest,
  deps: DeviceKeyDeps,
): Promise<DeviceKey> {
  await requireBinding(deps.store, request.account);
  const nonce = nonceOf(request.proof);
  await checkPossession(request.jwk, request.proof, { nonce, audience: deps.audience });
  // Counted before the write, not in its transaction: registrations racing at the limit may both
  // land. The limit keeps an account's keys (and the listing's audit event) bounded, and nothing
  // depends on its being exact: the store reads every key, however many.
  const keys = await deps.store.listDeviceKeys(request.account);
  if (keys.filter((key) => key.status === 'active').length >= MAX_ACTIVE_DEVICE_KEYS) {
    throw new DeviceKeyLimitReached();
  }
  const now = deps.now().toISOString();
  const key: DeviceKey = {
    id: await deviceKeyId(request.jwk),
    account: request.account,
    jwk: request.jwk,
    ...(request.label === undefined ? {} : { label: request.label }),
    status: 'active',
    registered: now,
  };
  await deps.store.registerDeviceKey(
    key,
    nonce,
    keyEvent(deps, request.account, 'holder.device_key_registered', now, key.id),
  );
  return key;
}

export interface DeviceKeyListDeps {
  store: Pick<HolderStore, 'listDeviceKeys'>;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

/**
 * The account's device keys, newest first, read and audited (holder.device_keys_listed) before
 * they are answered, like the account's other reads: the list tells which devices hold the keys
 * that bind the person's licenses. The event names the key ids (thumbprints) only — no
 * coordinates, no labels: at most {@link MAX_ACTIVE_DEVICE_KEYS} active ones, and the keys the
 * holder revoked.
 */
export async function listDeviceKeys(
  account: string,
  deps: DeviceKeyListDeps,
): Promise<{ keys: DeviceKey[]; auditEventId: string }> {
  const keys = await deps.store.listDeviceKeys(account);
  const auditEventId = await recordHolderRead(
    account,
    'holder.device_keys_listed',
    { deviceKeys: keys.length, deviceKeyIds: keys.map((key) => key.id) },
    deps,
  );
  return { keys, auditEventId };
}

export async function revokeDeviceKey(
  account: string,
  keyId: string,
  deps: DeviceKeyDeps,
): Promise<DeviceKey> {
  // No key of any account has such an id (echoed at most as long as a real one).
  if (!BASE64URL_32_BYTES.test(keyId)) {
    throw new DeviceKeyNotFound(keyId.length > 43 ? `${keyId.slice(0, 43)}…` : keyId);
  }
  const now = deps.now().toISOString();
  return deps.store.revokeDeviceKey(
    account,
    keyId,
    keyEvent(deps, account, 'holder.device_key_revoked', now, keyId),
  );
}

// The nonce is read before the signature is checked only to find the challenge; checkPossession
// then verifies the whole proof, nonce included.
function nonceOf(proof: string): string {
  let nonce: unknown;
  try {
    nonce = decodeCompactJws(proof).payload.nonce;
  } catch (error) {
    throw new DeviceKeyProofInvalid(`expected a compact JWS, found ${(error as Error).message}`);
  }
  if (typeof nonce !== 'string' || nonce === '') {
    throw new DeviceKeyProofInvalid('expected a payload naming the challenge nonce');
  }
  if (!BASE64URL_32_BYTES.test(nonce)) {
    throw new DeviceKeyProofInvalid(
      `expected the nonce of a challenge (43 base64url characters), found ${nonce.length} characters`,
    );
  }
  return nonce;
}

function keyEvent(
  deps: DeviceKeyDeps,
  account: string,
  action: string,
  time: string,
  keyId: string,
): AuditEvent {
  return {
    id: deps.newEventId?.() ?? randomUUID(),
    time,
    actor: { kind: 'holder', id: account },
    action,
    outcome: 'success',
    details: { deviceKeyId: keyId },
  };
}

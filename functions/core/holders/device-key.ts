import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { z } from 'zod';

// A holder's device key (手机盾): a P-256 key pair made and kept on the holder's device. The
// platform stores only its public JWK, after the device proved it holds the private key by
// signing a challenge the platform issued (a JWS over the nonce and the platform's audience).
// The key then becomes the `cnf.jwk` of licenses issued to the holder, so presentations can
// carry a KB-JWT made with it.

/** `typ` of the proof-of-possession JWS. */
export const DEVICE_KEY_PROOF_TYP = 'device-key-proof+jwt';

export const DeviceKeyJwkSchema = z
  .strictObject({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes base64url'),
    y: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes base64url'),
  })
  .describe('A P-256 public key as a JWK (kty, crv, x, y only: no private or extra members)');

export type DeviceKeyJwk = z.infer<typeof DeviceKeyJwkSchema>;

export interface DeviceKeyChallenge {
  nonce: string;
  /** The `aud` the proof must name: the platform's holder API. */
  audience: string;
}

/** A proof that does not show possession of the key; the message says what was wrong. */
export class DeviceKeyProofInvalid extends Error {
  readonly code = 'DEVICE_KEY_PROOF_INVALID';
  constructor(reason: string) {
    super(`device key proof refused: ${reason}`);
    this.name = 'DeviceKeyProofInvalid';
  }
}

/**
 * Most active device keys an account holds. Revoked keys do not count: they are kept (a revoked
 * key cannot be registered again, and the holder sees when it was revoked), so counting them would
 * leave a holder who revoked this many keys over the years unable ever to register another.
 */
export const MAX_ACTIVE_DEVICE_KEYS = 100;

/** The account holds {@link MAX_ACTIVE_DEVICE_KEYS} active keys already. */
export class DeviceKeyLimitReached extends Error {
  readonly code = 'DEVICE_KEY_LIMIT_REACHED';
  constructor() {
    super(
      `an account holds at most ${MAX_ACTIVE_DEVICE_KEYS} active device keys, and this one holds that many; revoke one (DELETE /holder/device-keys/{id}) to register another`,
    );
    this.name = 'DeviceKeyLimitReached';
  }
}

/** The RFC 7638 SHA-256 thumbprint of the key: its id, the same on every registration. */
export function deviceKeyId(jwk: DeviceKeyJwk): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/**
 * Checks that `proof` is an ES256 compact JWS of typ {@link DEVICE_KEY_PROOF_TYP}, signed by
 * `jwk`, whose payload names the challenge's nonce and audience. Throws DeviceKeyProofInvalid.
 */
export async function checkPossession(
  jwk: DeviceKeyJwk,
  proof: string,
  challenge: DeviceKeyChallenge,
): Promise<void> {
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    const key = await importJWK(jwk, 'ES256');
    verified = await compactVerify(proof, key, { algorithms: ['ES256'] });
  } catch (error) {
    throw new DeviceKeyProofInvalid(
      `expected an ES256 JWS signed by the submitted key, found one that does not verify (${(error as Error).message})`,
    );
  }
  if (verified.protectedHeader.typ !== DEVICE_KEY_PROOF_TYP) {
    throw new DeviceKeyProofInvalid(
      `expected typ ${DEVICE_KEY_PROOF_TYP}, found ${JSON.stringify(verified.protectedHeader.typ)}`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    throw new DeviceKeyProofInvalid('expected a JSON payload');
  }
  const claims = z.object({ nonce: z.string(), aud: z.string() }).safeParse(payload);
  if (!claims.success) throw new DeviceKeyProofInvalid('expected a payload with string nonce and aud');
  if (claims.data.aud !== challenge.audience) {
    throw new DeviceKeyProofInvalid(`expected aud ${challenge.audience}, found ${claims.data.aud}`);
  }
  if (claims.data.nonce !== challenge.nonce) {
    throw new DeviceKeyProofInvalid('expected the nonce of the challenge, found another');
  }
}

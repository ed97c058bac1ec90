import { createECDH, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { AgencyPublicJwk, RequestSignatureAlgorithm } from './agency.ts';

/**
 * The demo agencies' request-signing keys (dev/demo/catalog.ts), by key id. Their private keys
 * follow from the key id alone (`demoPrivateKey`), so the local platform, the CLI and the tests
 * hold them without sharing a file — and so does anyone who reads this file. A stage that takes
 * no demo data refuses these public keys under any key id and any agency: copied without the
 * demo mark they would still let anyone sign as that agency.
 */
export const DEMO_REQUEST_KEYS: readonly { keyId: string; algorithm: RequestSignatureAlgorithm }[] = [
  { keyId: 'demo-psb-1', algorithm: 'ecdsa-p256-sha256' },
  { keyId: 'demo-amr-1', algorithm: 'ecdsa-p256-sha256' },
  { keyId: 'demo-vehicle-1', algorithm: 'ed25519' },
  { keyId: 'demo-hpf-1', algorithm: 'ecdsa-p256-sha256' },
  { keyId: 'demo-operator-1', algorithm: 'ed25519' },
];

/** The private key of a demo key id: derived from the id, public by construction. */
export function demoPrivateKey(keyId: string, algorithm: RequestSignatureAlgorithm): KeyObject {
  const seed = createHash('sha256').update(`elicense demo request key ${keyId}`).digest();
  if (algorithm === 'ed25519') {
    const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
    return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, seed]), format: 'der', type: 'pkcs8' });
  }
  // A SHA-256 digest exceeds the P-256 group order with probability about 2^-32; the key ids
  // above are fixed, and setPrivateKey would throw if one ever did.
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(seed);
  const point = ecdh.getPublicKey();
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: seed.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

let demoPublicKeys: ReadonlySet<string> | undefined;

/** Whether `jwk` is the public half of a demo request key, whatever key id it carries. */
export function isDemoPublicKey(jwk: AgencyPublicJwk): boolean {
  demoPublicKeys ??= new Set(
    DEMO_REQUEST_KEYS.map(({ keyId, algorithm }) => {
      const { crv, x } = demoPrivateKey(keyId, algorithm).export({ format: 'jwk' });
      return `${crv}.${x}`;
    }),
  );
  return demoPublicKeys.has(`${jwk.crv}.${jwk.x}`);
}

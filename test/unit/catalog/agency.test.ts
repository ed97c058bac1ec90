import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Agency, AgencySchema, activeApiKey, hasRole } from '#core/catalog/agency.ts';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';

const issuer = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;
const relying = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.housingProvidentFundCentre)!;

function issuesOf(candidate: unknown): { path: string; message: string }[] {
  const result = AgencySchema.safeParse(candidate);
  return result.success
    ? []
    : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('AgencySchema', () => {
  it.each(DEMO_AGENCIES.map((a) => [a.name, a] as const))('accepts the demo agency %s', (_, agency) => {
    expect(AgencySchema.parse(agency)).toEqual(agency);
  });

  it('rejects an agency without a role, and a role given twice', () => {
    expect(issuesOf({ ...relying, roles: [] })[0]?.path).toBe('roles');
    expect(issuesOf({ ...relying, roles: ['relying', 'relying'] })).toEqual([
      { path: 'roles', message: 'roles must be distinct' },
    ]);
  });

  it('rejects an issuer without a seal key', () => {
    const { sealKey: _, ...withoutSeal } = issuer;
    expect(issuesOf(withoutSeal)).toEqual([{ path: 'sealKey', message: 'an issuer needs a seal key' }]);
  });

  it('refuses to store a JWK that carries its private part', () => {
    const key = issuer.apiKeys[0]!;
    const d = demoPrivateKey(key.keyId, key.algorithm).export({ format: 'jwk' }).d;
    const leaky = { ...issuer, apiKeys: [{ ...key, publicJwk: { ...key.publicJwk, d } }] };
    expect(issuesOf(leaky).map((i) => i.path)).toEqual(['apiKeys.0.publicJwk']);
  });

  it('rejects a key whose JWK does not fit its algorithm', () => {
    const key = issuer.apiKeys[0]!;
    const mismatched = { ...issuer, apiKeys: [{ ...key, algorithm: 'ed25519' }] };
    expect(issuesOf(mismatched)).toEqual([
      { path: 'apiKeys.0.publicJwk', message: 'algorithm ed25519 needs a OKP/Ed25519 key, found EC/P-256' },
    ]);
  });

  it('rejects two keys with one key id, a bad area code and a bad USCC', () => {
    const key = issuer.apiKeys[0]!;
    const paths = issuesOf({
      ...issuer,
      uscc: '11330100D0000011X0',
      areaCode: '3301',
      apiKeys: [key, key],
    }).map((i) => i.path);
    expect(paths.sort()).toEqual(['apiKeys', 'areaCode', 'uscc']);
  });
});

describe('agency helpers', () => {
  it('finds an active key by key id and ignores a revoked one', () => {
    const key = issuer.apiKeys[0]!;
    expect(activeApiKey(issuer, key.keyId)).toEqual(key);
    const revoked: Agency = { ...issuer, apiKeys: [{ ...key, status: 'revoked' }] };
    expect(activeApiKey(revoked, key.keyId)).toBeUndefined();
    expect(activeApiKey(issuer, 'no-such-key')).toBeUndefined();
  });

  it('tells roles apart', () => {
    expect(hasRole(relying, 'relying')).toBe(true);
    expect(hasRole(relying, 'issuer')).toBe(false);
  });
});

describe('demo request-signing keys', () => {
  it.each(DEMO_AGENCIES.flatMap((a) => a.apiKeys).map((k) => [k.keyId, k] as const))(
    'derives a private key matching the registered public key of %s',
    (_, key) => {
      const message = Buffer.from('@method: POST');
      const privateKey = demoPrivateKey(key.keyId, key.algorithm);
      const publicKey = createPublicKey({ key: key.publicJwk, format: 'jwk' });
      const digest = key.algorithm === 'ed25519' ? null : 'sha256';
      const signature = sign(digest, message, privateKey);
      expect(verify(digest, message, publicKey, signature)).toBe(true);
      expect(verify(digest, Buffer.from('@method: GET'), publicKey, signature)).toBe(false);
    },
  );

  it('derives the same key for the same key id, and different keys for different ids', () => {
    const a = demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256').export({ format: 'jwk' });
    const again = demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256').export({ format: 'jwk' });
    const b = demoPrivateKey('demo-amr-1', 'ecdsa-p256-sha256').export({ format: 'jwk' });
    expect(again.d).toBe(a.d);
    expect(b.d).not.toBe(a.d);
  });
});

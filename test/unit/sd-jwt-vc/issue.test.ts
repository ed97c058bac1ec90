import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { decodeCompactJws, fromBase64url } from '#core/jws.ts';
import { sdDigest } from '#core/sd-jwt-vc/digest.ts';
import { issueSdJwtVc, SdJwtVcError } from '#core/sd-jwt-vc/index.ts';
import {
  demoLicense,
  ID_CARD_FIELDS,
  ISSUED_AT,
  ISSUER,
  LICENSE_ID,
  STATUS_URI,
  VALID_UNTIL,
  VCT,
} from './demo-license.ts';

const signer = new SoftwareEs256Signer('agency-seal-2024');

describe('issueSdJwtVc', () => {
  it('signs a dc+sd-jwt with ES256 and the signer kid, ending with ~', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense(), signer);
    expect(sdJwt.endsWith('~')).toBe(true);
    const { header } = decodeCompactJws(sdJwt.split('~')[0]!);
    expect(header).toEqual({ typ: 'dc+sd-jwt', alg: 'ES256', kid: 'agency-seal-2024' });
  });

  it('puts the metadata in the clear and no field value in the signed payload', async () => {
    const { sdJwt, payload } = await issueSdJwtVc(demoLicense(), signer);
    expect(payload).toMatchObject({
      iss: ISSUER,
      vct: VCT,
      iat: ISSUED_AT,
      nbf: ISSUED_AT,
      exp: VALID_UNTIL,
      license_id: LICENSE_ID,
      license_version: '001',
      status: { status_list: { idx: 4711, uri: STATUS_URI } },
      _sd_alg: 'sha-256',
    });
    // Compared claim by claim: the identifier legitimately repeats the serial and area code.
    const signed = decodeCompactJws(sdJwt.split('~')[0]!).payload;
    const leaves = (value: unknown): unknown[] =>
      typeof value === 'object' && value !== null ? Object.values(value).flatMap(leaves) : [value];
    const keys = (value: unknown): string[] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)])
        : [];
    for (const [name, value] of Object.entries(ID_CARD_FIELDS)) {
      expect(keys(signed)).not.toContain(name);
      expect(leaves(signed)).not.toContain(value);
    }
  });

  it('makes each field its own disclosure whose digest is in _sd, with decoys, sorted', async () => {
    const { sdJwt, disclosures, payload } = await issueSdJwtVc(demoLicense(), signer, { decoys: 3 });
    expect(disclosures.map((d) => d.name).sort()).toEqual(Object.keys(ID_CARD_FIELDS).sort());
    const sd = payload._sd as string[];
    expect(sd).toHaveLength(12 + 3);
    expect([...sd].sort()).toEqual(sd);
    expect(new Set(sd).size).toBe(sd.length);
    for (const d of disclosures) {
      expect(JSON.parse(fromBase64url(d.encoded).toString('utf8'))).toEqual([d.salt, d.name, d.value]);
      expect(d.digest).toBe(sdDigest(d.encoded));
      expect(sd).toContain(d.digest);
      expect(d.value).toBe(ID_CARD_FIELDS[d.name as keyof typeof ID_CARD_FIELDS]);
    }
    expect(sdJwt.split('~').slice(1, -1)).toEqual(disclosures.map((d) => d.encoded));
  });

  it('salts each disclosure with 128 random bits, never twice the same', async () => {
    const a = await issueSdJwtVc(demoLicense(), signer);
    const b = await issueSdJwtVc(demoLicense(), signer);
    const salts = [...a.disclosures, ...b.disclosures].map((d) => d.salt);
    expect(new Set(salts).size).toBe(salts.length);
    for (const salt of salts) expect(fromBase64url(salt)).toHaveLength(16);
  });

  it('uses a given salt source', async () => {
    let n = 0;
    const { disclosures } = await issueSdJwtVc(demoLicense(), signer, {
      salt: () => `salt-${n++}`,
      decoys: 0,
    });
    expect(disclosures.map((d) => d.salt)).toEqual(disclosures.map((_, i) => `salt-${i}`));
  });

  it('leaves exp out for long-term validity (长期)', async () => {
    const { payload } = await issueSdJwtVc(demoLicense({ validUntil: null }), signer);
    expect(payload).not.toHaveProperty('exp');
    expect(payload.nbf).toBe(ISSUED_AT);
  });

  it('binds to the holder key through cnf.jwk with only its public members', async () => {
    const holder = new SoftwareEs256Signer('device');
    const { payload } = await issueSdJwtVc(demoLicense({ holderKey: holder.publicJwk }), signer);
    const { kty, crv, x, y } = holder.publicJwk;
    expect(payload.cnf).toEqual({ jwk: { kty, crv, x, y } });
  });

  it.each([
    ['a reserved field name', { fields: { ...ID_CARD_FIELDS, _sd: 'x' } }],
    ['a field named like an always-visible claim', { fields: { ...ID_CARD_FIELDS, exp: 1 } }],
    ['no fields', { fields: {} }],
    ['an identifier with a wrong check character', { licenseId: LICENSE_ID.replace(/H$/, 'G') }],
    ['something that is not a GB/T 36904 identifier', { licenseId: 'license-0001' }],
    ['a validity end before its start', { validUntil: ISSUED_AT - 1 }],
    ['a negative status index', { status: { uri: STATUS_URI, idx: -1 } }],
  ])('rejects %s as invalid_license_input', async (_, overrides) => {
    const error = await issueSdJwtVc(demoLicense(overrides), signer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdJwtVcError);
    expect((error as SdJwtVcError).code).toBe('invalid_license_input');
  });
});

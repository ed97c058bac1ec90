// Our SD-JWT VCs against the reference implementation (@sd-jwt, OpenWallet Foundation), both ways.

import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { base64url } from '#core/jws.ts';
import { issueSdJwtVc, presentSdJwtVc, verifySdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { StatusList } from '#core/status-list.ts';
import { signStatusListToken } from '#core/status-list-token.ts';
import {
  demoIssuerKeys,
  demoLicense,
  ID_CARD_FIELDS,
  ISSUED_AT,
  ISSUER,
  LICENSE_ID,
  NOW,
  SIX_FIELDS,
  STATUS_URI,
  statusTable,
  VALID_UNTIL,
  VCT,
} from './demo-license.ts';

const { signer, resolveIssuerKey } = demoIssuerKeys();
const platform = new SoftwareEs256Signer('platform-status-2024');
const holder = new SoftwareEs256Signer('holder-device');
const encoder = new TextEncoder();

// The library signs through a callback returning a base64url signature: adapt our JwsSigner.
const librarySigner = (s: SoftwareEs256Signer) => async (data: string) =>
  base64url(await s.sign(encoder.encode(data)));

async function statusListToken(revoked: number[] = []): Promise<string> {
  const list = StatusList.create(8192);
  for (const idx of revoked) list.set(idx, 1);
  return signStatusListToken(
    {
      uri: STATUS_URI,
      list,
      issuedAt: new Date((NOW - 600) * 1000),
      expiresAt: new Date((NOW + 86400) * 1000),
      ttlSeconds: 300,
    },
    platform,
  );
}

async function libraryVerifier(revoked: number[] = []) {
  const token = await statusListToken(revoked);
  return new SDJwtVcInstance({
    hasher: digest,
    verifier: await ES256.getVerifier(signer.publicJwk),
    kbVerifier: await ES256.getVerifier(holder.publicJwk),
    statusListFetcher: async () => token,
    statusVerifier: await ES256.getVerifier(platform.publicJwk),
  });
}

describe('SD-JWT VC interop with @sd-jwt/sd-jwt-vc', () => {
  it('the library verifies a license we issued and sees every field', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense(), signer);
    const result = await (await libraryVerifier()).verify(sdJwt, { currentDate: NOW });
    expect(result.header).toMatchObject({ typ: 'dc+sd-jwt', alg: 'ES256', kid: signer.kid });
    expect(result.payload).toMatchObject({
      iss: ISSUER,
      vct: VCT,
      license_id: LICENSE_ID,
      ...ID_CARD_FIELDS,
    });
  });

  it('the library verifies our key-bound presentation of six fields, and reads our status list', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense({ holderKey: holder.publicJwk }), signer);
    const presentation = await presentSdJwtVc(sdJwt, SIX_FIELDS, {
      keyBinding: { signer: holder, audience: 'https://gjj.example/verifier', nonce: 'n-42', issuedAt: NOW },
    });
    const result = await (await libraryVerifier()).verify(presentation, {
      currentDate: NOW,
      keyBindingNonce: 'n-42',
    });
    expect(result.kb?.payload).toMatchObject({ aud: 'https://gjj.example/verifier', nonce: 'n-42' });
    expect(
      Object.keys(result.payload)
        .filter((k) => k in ID_CARD_FIELDS)
        .sort(),
    ).toEqual([...SIX_FIELDS].sort());
    const revoked = await libraryVerifier([4711]);
    await expect(revoked.verify(presentation, { currentDate: NOW, keyBindingNonce: 'n-42' })).rejects.toThrow(
      /Status is not valid/,
    );
  });

  it('we verify a license the library issued, and a subset it presented', async () => {
    const lib = new SDJwtVcInstance({
      hasher: digest,
      saltGenerator: () => base64url(crypto.getRandomValues(new Uint8Array(16))),
      signer: librarySigner(signer),
      signAlg: 'ES256',
    });
    const payload = {
      iss: ISSUER,
      vct: VCT,
      iat: ISSUED_AT,
      nbf: ISSUED_AT,
      exp: VALID_UNTIL,
      license_id: LICENSE_ID,
      license_version: '001',
      status: { status_list: { idx: 4711, uri: STATUS_URI } },
      ...ID_CARD_FIELDS,
    };
    const sdJwt = await lib.issue(
      payload,
      { _sd: Object.keys(ID_CARD_FIELDS) as (keyof typeof payload)[] },
      { header: { kid: signer.kid } },
    );
    const options = { now: NOW, resolveIssuerKey, status: statusTable(), issuers: [ISSUER], vcts: [VCT] };
    const full = await verifySdJwtVc(sdJwt, options);
    expect(full.valid).toBe(true);
    expect(full.claims?.fields).toEqual(ID_CARD_FIELDS);

    const frame = Object.fromEntries(SIX_FIELDS.map((name) => [name, true]));
    const subset = await lib.present(sdJwt, frame);
    const presented = await verifySdJwtVc(subset, options);
    expect(presented.valid).toBe(true);
    expect(Object.keys(presented.claims?.fields ?? {}).sort()).toEqual([...SIX_FIELDS].sort());
  });

  it('the library accepts a smuggled disclosure that we reject', async () => {
    // Why we do not rely on the library's verify: it drops a disclosure whose digest the
    // issuer never signed instead of failing, so a tampered presentation still "verifies".
    const presentation = await presentSdJwtVc((await issueSdJwtVc(demoLicense(), signer)).sdJwt, ['性别']);
    const smuggled = `${presentation}${base64url(JSON.stringify(['c2FsdA', '姓名', '李冒充']))}~`;
    await expect((await libraryVerifier()).verify(smuggled, { currentDate: NOW })).resolves.toBeDefined();
    const ours = await verifySdJwtVc(smuggled, { now: NOW, resolveIssuerKey, status: statusTable() });
    expect(ours.valid).toBe(false);
    expect(ours.checks.disclosures).toMatch(/^failed: disclosure "姓名"/);
  });
});

import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { base64url, decodeCompactJws, type JsonObject, type PublicJwk, signCompactJws } from '#core/jws.ts';
import { sdDigest } from '#core/sd-jwt-vc/digest.ts';
import {
  issueSdJwtVc,
  presentSdJwtVc,
  SD_JWT_VC_CHECKS,
  type SdJwtVcCheck,
  type SdJwtVcVerification,
  type VerifySdJwtVcOptions,
  verifySdJwtVc,
} from '#core/sd-jwt-vc/index.ts';
import { DEMO_USCC } from '#dev/demo/catalog.ts';
import {
  AGENCY_USCC,
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
  TYPE_CODE,
  VALID_UNTIL,
  VCT,
} from './demo-license.ts';

/** An issuer other than the demo license's. */
const OTHER_USCC = DEMO_USCC.marketRegulationBureau;

const { signer, resolveIssuerKey } = demoIssuerKeys();
const holder = new SoftwareEs256Signer('holder-device');
const AUDIENCE = 'https://gjj.example/verifier';
const NONCE = 'nonce-5f1c2a';

function options(overrides: Partial<VerifySdJwtVcOptions> = {}): VerifySdJwtVcOptions {
  return { now: NOW, resolveIssuerKey, status: statusTable(), issuers: [ISSUER], vcts: [VCT], ...overrides };
}

/** Asserts the verification failed, exactly the named checks failed, and returns their messages. */
function failedChecks(result: SdJwtVcVerification): Partial<Record<SdJwtVcCheck, string>> {
  expect(result.valid).toBe(false);
  expect(result.claims).toBeUndefined();
  return Object.fromEntries(
    Object.entries(result.checks).filter(([, outcome]) => outcome.startsWith('failed')),
  );
}

async function issued(overrides = {}) {
  return (await issueSdJwtVc(demoLicense(overrides), signer)).sdJwt;
}

async function keyBound(
  kb: Partial<{ audience: string; nonce: string; issuedAt: number; signer: SoftwareEs256Signer }> = {},
) {
  const sdJwt = await issued({ holderKey: holder.publicJwk });
  return presentSdJwtVc(sdJwt, SIX_FIELDS, {
    keyBinding: { signer: holder, audience: AUDIENCE, nonce: NONCE, issuedAt: NOW - 5, ...kb },
  });
}

// An issuer-signed payload of our choosing: how a careless or hostile issuer could shape one.
async function signedCustom(payload: JsonObject, header: JsonObject = { typ: 'dc+sd-jwt' }) {
  return signCompactJws(header, payload, signer);
}

function basePayload(extra: JsonObject = {}): JsonObject {
  return {
    iss: ISSUER,
    vct: VCT,
    iat: ISSUED_AT,
    nbf: ISSUED_AT,
    exp: VALID_UNTIL,
    license_id: LICENSE_ID,
    license_version: '001',
    status: { status_list: { idx: 1, uri: STATUS_URI } },
    _sd_alg: 'sha-256',
    ...extra,
  };
}

const disclosure = (...parts: unknown[]) => base64url(JSON.stringify(parts));

describe('verifySdJwtVc — valid credentials', () => {
  it('verifies an issued license with all its disclosures and returns every field', async () => {
    const result = await verifySdJwtVc(await issued(), options());
    expect(result.valid).toBe(true);
    for (const check of [
      'format',
      'header',
      'issuer',
      'signature',
      'vct',
      'validity',
      'profile',
      'disclosures',
      'status',
    ] as const) {
      expect(result.checks[check]).toBe('ok');
    }
    expect(result.checks.keyBinding).toBe('skipped');
    expect(result.claims).toEqual({
      issuer: ISSUER,
      vct: VCT,
      licenseId: LICENSE_ID,
      licenseVersion: '001',
      issuedAt: ISSUED_AT,
      notBefore: ISSUED_AT,
      expiresAt: VALID_UNTIL,
      status: { uri: STATUS_URI, idx: 4711 },
      fields: ID_CARD_FIELDS,
    });
  });

  it('shows only the presented subset of fields', async () => {
    const presentation = await presentSdJwtVc(await issued(), SIX_FIELDS);
    const result = await verifySdJwtVc(presentation, options());
    expect(result.valid).toBe(true);
    expect(Object.keys(result.claims!.fields).sort()).toEqual([...SIX_FIELDS].sort());
    expect(result.claims!.fields.姓名).toBe('张演示');
    expect(result.claims!.fields).not.toHaveProperty('住址');
  });

  it('accepts a long-term license without exp', async () => {
    const result = await verifySdJwtVc(
      await issued({ validUntil: null }),
      options({ now: VALID_UNTIL + 86400 * 365 }),
    );
    expect(result.valid).toBe(true);
    expect(result.claims).not.toHaveProperty('expiresAt');
  });

  it('round-trips a key-bound presentation', async () => {
    const result = await verifySdJwtVc(
      await keyBound(),
      options({ keyBinding: { audience: AUDIENCE, nonce: NONCE } }),
    );
    expect(result.valid).toBe(true);
    for (const check of [
      'keyBinding',
      'kbSignature',
      'kbAudience',
      'kbNonce',
      'kbIssuedAt',
      'kbSdHash',
    ] as const) {
      expect(result.checks[check]).toBe('ok');
    }
    expect(result.claims!.keyBinding).toEqual({ audience: AUDIENCE, nonce: NONCE, issuedAt: NOW - 5 });
    const { kty, crv, x, y } = holder.publicJwk;
    expect(result.claims!.holderKey).toEqual({ kty, crv, x, y });
  });

  it('checks a KB-JWT it did not ask for but reports aud and nonce as skipped', async () => {
    const result = await verifySdJwtVc(await keyBound(), options());
    expect(result.valid).toBe(true);
    expect(result.checks.kbSignature).toBe('ok');
    expect(result.checks.kbSdHash).toBe('ok');
    expect(result.checks.kbAudience).toBe('skipped');
    expect(result.checks.kbNonce).toBe('skipped');
  });

  it('returns a result that survives JSON', async () => {
    const result = await verifySdJwtVc(await issued(), options());
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(Object.keys(result.checks)).toEqual([...SD_JWT_VC_CHECKS]);
  });
});

describe('verifySdJwtVc — each failure is named', () => {
  it('fails format for input that is not a compact SD-JWT, without throwing', async () => {
    for (const input of [
      '',
      'garbage',
      'a.b.c~',
      `${(await issued()).split('~')[0]}~!!notjson~`,
      `${(await issued()).split('~')[0]}~~`,
    ]) {
      const failed = failedChecks(await verifySdJwtVc(input, options()));
      expect(Object.keys(failed)).toEqual(['format']);
    }
    const notString = await verifySdJwtVc(42 as unknown as string, options());
    expect(notString.checks.format).toMatch(/^failed: expected a compact SD-JWT string/);
  });

  it('fails signature for a tampered payload', async () => {
    const sdJwt = await issued();
    const [h, p, s] = sdJwt.split('~')[0]!.split('.') as [string, string, string];
    const payload = decodeCompactJws(`${h}.${p}.${s}`).payload;
    const forged = `${h}.${base64url(JSON.stringify({ ...payload, exp: VALID_UNTIL + 86400 * 3650 }))}.${s}`;
    const failed = failedChecks(await verifySdJwtVc(sdJwt.replace(/^[^~]+/, forged), options()));
    expect(Object.keys(failed)).toEqual(['signature']);
    expect(failed.signature).toContain('does not verify');
  });

  it('fails signature for the right kid with another key', async () => {
    const impostor = new SoftwareEs256Signer(signer.kid);
    const sdJwt = (await issueSdJwtVc(demoLicense(), impostor)).sdJwt;
    const failed = failedChecks(await verifySdJwtVc(sdJwt, options()));
    expect(Object.keys(failed)).toEqual(['signature']);
  });

  it('fails signature for a kid the issuer does not publish', async () => {
    const sdJwt = (await issueSdJwtVc(demoLicense(), new SoftwareEs256Signer('agency-seal-old'))).sdJwt;
    const failed = failedChecks(await verifySdJwtVc(sdJwt, options()));
    expect(failed.signature).toBe(`failed: issuer "${ISSUER}" publishes no key "agency-seal-old"`);
  });

  it('fails signature for a key the issuer withdrew, naming it withdrawn (and since when, if known)', async () => {
    const sdJwt = await issued();
    const since = '2026-03-01T08:00:00.000Z';
    const withdrawn = failedChecks(
      await verifySdJwtVc(sdJwt, options({ resolveIssuerKey: async () => ({ withdrawn: true, since }) })),
    );
    expect(withdrawn).toEqual({
      signature: `failed: key "${signer.kid}" of issuer "${ISSUER}" is withdrawn since ${since}: it verifies nothing it signed`,
    });
    const undated = failedChecks(
      await verifySdJwtVc(sdJwt, options({ resolveIssuerKey: () => ({ withdrawn: true }) })),
    );
    expect(undated.signature).toBe(
      `failed: key "${signer.kid}" of issuer "${ISSUER}" is withdrawn: it verifies nothing it signed`,
    );
  });

  it('fails issuer for an issuer the verifier does not accept', async () => {
    const sdJwt = await issued({ issuer: 'https://elicense.example/agencies/11990102MB7654321X' });
    const failed = failedChecks(await verifySdJwtVc(sdJwt, options()));
    expect(failed.issuer).toContain('not one this verifier accepts');
    expect(failed.signature).toContain('publishes no key');
  });

  it('fails vct for a type the verifier does not accept', async () => {
    const failed = failedChecks(
      await verifySdJwtVc(
        await issued(),
        options({ vcts: ['urn:gbt36904:license-type:11100000MB0000001T002'] }),
      ),
    );
    expect(Object.keys(failed)).toEqual(['vct']);
  });

  it('fails validity once expired beyond the skew, and passes within it', async () => {
    const sdJwt = await issued();
    const late = failedChecks(await verifySdJwtVc(sdJwt, options({ now: VALID_UNTIL + 61 })));
    expect(late).toEqual({ validity: 'failed: expired at 2044-03-01T00:00:00.000Z' });
    expect((await verifySdJwtVc(sdJwt, options({ now: VALID_UNTIL + 30 }))).valid).toBe(true);
  });

  it('fails validity before nbf beyond the skew, and passes within it', async () => {
    const sdJwt = await issued();
    const early = failedChecks(await verifySdJwtVc(sdJwt, options({ now: ISSUED_AT - 120 })));
    expect(Object.keys(early)).toEqual(['validity']);
    expect(early.validity).toContain('issued in the future');
    const start = ISSUED_AT + 86400;
    const notYet = await issued({ validFrom: start });
    expect(failedChecks(await verifySdJwtVc(notYet, options({ now: start - 120 })))).toEqual({
      validity: 'failed: not yet valid, valid from 2024-03-02T00:00:00.000Z',
    });
    expect((await verifySdJwtVc(notYet, options({ now: start - 30 }))).valid).toBe(true);
    expect((await verifySdJwtVc(notYet, options({ now: start - 120, skewSeconds: 300 }))).valid).toBe(true);
  });

  it('fails status for a revoked or suspended license, and for an unreachable list', async () => {
    const sdJwt = await issued();
    expect(failedChecks(await verifySdJwtVc(sdJwt, options({ status: statusTable([[4711, 1]]) })))).toEqual({
      status: 'failed: revoked (status 1, invalid)',
    });
    expect(failedChecks(await verifySdJwtVc(sdJwt, options({ status: statusTable([[4711, 2]]) })))).toEqual({
      status: 'failed: suspended (status 2)',
    });
    const down = () => Promise.reject(new Error('list not reachable'));
    expect(failedChecks(await verifySdJwtVc(sdJwt, options({ status: down }))).status).toContain(
      'list not reachable',
    );
  });

  it('does not ask the status port about a credential whose signature fails', async () => {
    const asked: unknown[] = [];
    const impostor = new SoftwareEs256Signer(signer.kid);
    const sdJwt = (await issueSdJwtVc(demoLicense(), impostor)).sdJwt;
    const result = await verifySdJwtVc(
      sdJwt,
      options({
        status: (ref) => {
          asked.push(ref);
          return 0;
        },
      }),
    );
    expect(result.checks.status).toBe('skipped');
    expect(asked).toEqual([]);
  });

  it('fails disclosures for a disclosure whose digest is not in _sd', async () => {
    const presentation = await presentSdJwtVc(await issued(), ['性别']);
    const smuggled = `${presentation}${disclosure('c2FsdHNhbHRzYWx0c2FsdA', '姓名', '李冒充')}~`;
    const failed = failedChecks(await verifySdJwtVc(smuggled, options()));
    expect(Object.keys(failed)).toEqual(['disclosures']);
    expect(failed.disclosures).toContain('"姓名"');
    expect(failed.disclosures).toContain('did not sign');
  });

  it('fails disclosures for a disclosure presented twice', async () => {
    const presentation = await presentSdJwtVc(await issued(), ['姓名']);
    const repeated = `${presentation}${presentation.split('~')[1]}~`;
    const failed = failedChecks(await verifySdJwtVc(repeated, options()));
    expect(failed).toEqual({ disclosures: 'failed: disclosure "姓名" is presented twice' });
  });

  it('fails disclosures for a digest listed twice in the signed payload', async () => {
    const d = disclosure('c2FsdA', '姓名', '张演示');
    const jwt = await signedCustom(basePayload({ _sd: [sdDigest(d), sdDigest(d)] }));
    const failed = failedChecks(await verifySdJwtVc(`${jwt}~${d}~`, options()));
    expect(failed.disclosures).toContain('appears more than once');
  });

  it('fails disclosures for an undisclosed digest listed twice, in _sd or as an array element', async () => {
    const decoy = sdDigest(disclosure('ZGVjb3k', '未披露', 'x'));
    const shown = disclosure('c2FsdA', '姓名', '张演示');
    for (const extra of [
      { _sd: [decoy, sdDigest(shown), decoy] },
      { _sd: [decoy, sdDigest(shown)], 准驾车型: [{ '...': decoy }] },
    ]) {
      const jwt = await signedCustom(basePayload(extra));
      const failed = failedChecks(await verifySdJwtVc(`${jwt}~${shown}~`, options()));
      expect(failed).toEqual({ disclosures: `failed: digest ${decoy} appears more than once` });
    }
  });

  it('fails disclosures for a digest repeated inside a disclosed value', async () => {
    const inner = disclosure('aW5uZXI', 'C1');
    const outer = disclosure('b3V0ZXI', '准驾车型', [{ '...': sdDigest(inner) }, { '...': sdDigest(inner) }]);
    const jwt = await signedCustom(basePayload({ _sd: [sdDigest(outer)] }));
    const failed = failedChecks(await verifySdJwtVc(`${jwt}~${outer}~${inner}~`, options()));
    expect(failed).toEqual({ disclosures: `failed: digest ${sdDigest(inner)} appears more than once` });
  });

  it('fails disclosures for a reserved claim name or a claim that must stay in the clear', async () => {
    for (const name of ['_sd', '...', 'exp']) {
      const d = disclosure('c2FsdA', name, 1);
      const jwt = await signedCustom(basePayload({ _sd: [sdDigest(d)] }));
      const failed = failedChecks(await verifySdJwtVc(`${jwt}~${d}~`, options()));
      expect(Object.keys(failed)).toEqual(['disclosures']);
    }
  });

  it('fails disclosures for a disclosed claim that overwrites one in the clear', async () => {
    const d = disclosure('c2FsdA', 'license_version', '999');
    const jwt = await signedCustom(basePayload({ _sd: [sdDigest(d)] }));
    expect(failedChecks(await verifySdJwtVc(`${jwt}~${d}~`, options()))).toEqual({
      disclosures: 'failed: disclosed claim "license_version" already exists',
    });
  });

  it('fails disclosures for an _sd_alg other than sha-256', async () => {
    const jwt = await signedCustom(basePayload({ _sd_alg: 'sha-512', _sd: [] }));
    expect(failedChecks(await verifySdJwtVc(`${jwt}~`, options()))).toEqual({
      disclosures: 'failed: expected _sd_alg "sha-256", found "sha-512"',
    });
  });

  it('unpacks nested and array-element disclosures, dropping undisclosed elements', async () => {
    const street = disclosure('czE', '街道', '测试路1号');
    const first = disclosure('czI', 'C1');
    const hidden = disclosure('czM', 'A1');
    const jwt = await signedCustom(
      basePayload({
        住址: { 省: '演示省', _sd: [sdDigest(street)] },
        准驾车型: [{ '...': sdDigest(first) }, { '...': sdDigest(hidden) }, 'C2'],
      }),
    );
    const result = await verifySdJwtVc(`${jwt}~${street}~${first}~`, options());
    expect(result.valid).toBe(true);
    expect(result.claims!.fields).toEqual({
      住址: { 省: '演示省', 街道: '测试路1号' },
      准驾车型: ['C1', 'C2'],
    });
  });

  it('fails header for another typ or an unsupported alg', async () => {
    const jwt = await signedCustom(basePayload(), { typ: 'JWT' });
    expect(failedChecks(await verifySdJwtVc(`${jwt}~`, options())).header).toBe(
      'failed: expected typ "dc+sd-jwt", found "JWT"',
    );
    const [, p, s] = jwt.split('.');
    const none = `${base64url(JSON.stringify({ typ: 'dc+sd-jwt', alg: 'none', kid: signer.kid }))}.${p}.${s}`;
    const failed = failedChecks(await verifySdJwtVc(`${none}~`, options()));
    expect(failed.header).toContain('expected alg one of ES256');
  });

  it('fails header for a crit header: it names extensions this verifier does not understand (RFC 7515)', async () => {
    const jwt = await signedCustom(basePayload(), { typ: 'dc+sd-jwt', crit: ['exp-ext'], 'exp-ext': 1 });
    expect(failedChecks(await verifySdJwtVc(`${jwt}~`, options())).header).toBe(
      'failed: the header marks extensions as critical (crit), and this verifier understands none',
    );
  });

  it('fails profile for a license identifier that disagrees with what else the issuer signed', async () => {
    const otherIssuer = buildLicenseId({
      typeCode: TYPE_CODE,
      issuerCode: OTHER_USCC,
      serial: 'D20240001',
      version: '001',
    });
    const otherType = buildLicenseId({
      typeCode: '11100000000013338W032',
      issuerCode: AGENCY_USCC,
      serial: 'D20240001',
      version: '001',
    });
    const cases: [JsonObject, RegExp][] = [
      [{ license_version: '007' }, /license_version "007" is not the version 001 of license_id/],
      [{ license_id: otherIssuer }, new RegExp(`iss ".*" is not the issuer ${OTHER_USCC} of license_id`)],
      [{ license_id: otherType }, /vct ".*" is not the type 11100000000013338W032 of license_id/],
      [{ license_id: 'anything' }, /license_id "anything" is not a GB\/T 36904 license identifier/],
    ];
    for (const [extra, reason] of cases) {
      const jwt = await signedCustom(basePayload(extra));
      const failed = failedChecks(await verifySdJwtVc(`${jwt}~`, options()));
      expect(Object.keys(failed)).toEqual(['profile']);
      expect(failed.profile).toMatch(reason);
    }
    // Agreeing, the same shape verifies.
    expect((await verifySdJwtVc(`${await signedCustom(basePayload())}~`, options())).valid).toBe(true);
  });

  it('fails profile for a credential without the license identifier in the clear', async () => {
    const { license_id: _, ...withoutId } = basePayload();
    const jwt = await signedCustom(withoutId);
    expect(Object.keys(failedChecks(await verifySdJwtVc(`${jwt}~`, options())))).toEqual(['profile']);
  });
});

describe('verifySdJwtVc — key binding failures', () => {
  const required = { keyBinding: { audience: AUDIENCE, nonce: NONCE } };

  it('fails kbAudience for a KB-JWT meant for another verifier', async () => {
    const failed = failedChecks(
      await verifySdJwtVc(await keyBound({ audience: 'https://other.example' }), options(required)),
    );
    expect(failed).toEqual({
      kbAudience: `failed: expected aud "${AUDIENCE}", found "https://other.example"`,
    });
  });

  it('fails kbNonce for a replayed nonce', async () => {
    const failed = failedChecks(
      await verifySdJwtVc(await keyBound({ nonce: 'old-nonce' }), options(required)),
    );
    expect(Object.keys(failed)).toEqual(['kbNonce']);
  });

  it('fails kbIssuedAt for a stale or future KB-JWT', async () => {
    const stale = failedChecks(
      await verifySdJwtVc(await keyBound({ issuedAt: NOW - 3600 }), options(required)),
    );
    expect(Object.keys(stale)).toEqual(['kbIssuedAt']);
    const future = failedChecks(
      await verifySdJwtVc(await keyBound({ issuedAt: NOW + 600 }), options(required)),
    );
    expect(future.kbIssuedAt).toContain('in the future');
  });

  it('fails kbSdHash when the disclosures differ from those the KB-JWT covers', async () => {
    const presentation = await keyBound();
    const parts = presentation.split('~');
    const fewer = [parts[0], ...parts.slice(2)].join('~'); // drop one disclosure, keep the KB-JWT
    const failed = failedChecks(await verifySdJwtVc(fewer, options(required)));
    expect(Object.keys(failed)).toEqual(['kbSdHash']);
  });

  it('fails kbSignature for a KB-JWT signed by another key', async () => {
    const thief = new SoftwareEs256Signer('thief-device');
    const failed = failedChecks(await verifySdJwtVc(await keyBound({ signer: thief }), options(required)));
    expect(failed).toEqual({
      kbSignature: 'failed: KB-JWT signature does not verify with the credential cnf.jwk',
    });
  });

  it('fails keyBinding for a key-bound credential presented without a KB-JWT', async () => {
    const sdJwt = await issued({ holderKey: holder.publicJwk });
    const presentation = await presentSdJwtVc(sdJwt, SIX_FIELDS);
    const failed = failedChecks(await verifySdJwtVc(presentation, options(required)));
    expect(Object.keys(failed)).toEqual(['keyBinding']);
    expect((await verifySdJwtVc(presentation, options())).valid).toBe(true);
  });

  it('fails keyBinding for a KB-JWT with another typ', async () => {
    const sdJwt = await issued({ holderKey: holder.publicJwk });
    const presentation = await presentSdJwtVc(sdJwt, SIX_FIELDS);
    const kb = await signCompactJws(
      { typ: 'JWT' },
      { iat: NOW, aud: AUDIENCE, nonce: NONCE, sd_hash: sdDigest(presentation) },
      holder,
    );
    const failed = failedChecks(await verifySdJwtVc(presentation + kb, options(required)));
    expect(failed).toEqual({ keyBinding: 'failed: expected KB-JWT typ "kb+jwt", found "JWT"' });
  });

  it('fails keyBinding for a KB-JWT with a crit header', async () => {
    const sdJwt = await issued({ holderKey: holder.publicJwk });
    const presentation = await presentSdJwtVc(sdJwt, SIX_FIELDS);
    const kb = await signCompactJws(
      { typ: 'kb+jwt', crit: ['x-limit'], 'x-limit': 1 },
      { iat: NOW, aud: AUDIENCE, nonce: NONCE, sd_hash: sdDigest(presentation) },
      holder,
    );
    const failed = failedChecks(await verifySdJwtVc(presentation + kb, options(required)));
    expect(failed.keyBinding).toBe(
      'failed: the header marks extensions as critical (crit), and this verifier understands none',
    );
  });

  it('fails keyBinding for a KB-JWT on a credential without cnf', async () => {
    const presentation = await presentSdJwtVc(await issued(), SIX_FIELDS);
    const kb = await signCompactJws(
      { typ: 'kb+jwt' },
      { iat: NOW, aud: AUDIENCE, nonce: NONCE, sd_hash: sdDigest(presentation) },
      holder,
    );
    const failed = failedChecks(await verifySdJwtVc(presentation + kb, options(required)));
    expect(failed.keyBinding).toContain('has no cnf.jwk');
  });
});

describe('verifySdJwtVc — hostile input', () => {
  it('answers, rather than throws, for claims nested deep enough to exhaust the stack', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const jwt = `${base64url(JSON.stringify({ typ: 'dc+sd-jwt', alg: 'ES256', kid: signer.kid }))}.${base64url(
      `{"iss":"${ISSUER}","deep":${deep}}`,
    )}.${base64url(new Uint8Array(64))}`;
    const result = await verifySdJwtVc(`${jwt}~`, options());
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toMatch(/^failed/);
    expect(result.checks.disclosures).toMatch(/^failed: cannot unpack the claims/);
  });

  // JSON.parse takes any depth; JSON.stringify, printing a value for a failure message, runs out
  // of stack at a few thousand levels. 20,000 levels is a 55 KB presentation, under the API's
  // limit. The JSON is written as text: the test cannot stringify it either.
  const DEEP = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  const KID = JSON.stringify(signer.kid);
  const unsignedJwt = (header: string, payload: string) =>
    `${base64url(header)}.${base64url(payload)}.${base64url(new Uint8Array(64))}`;
  const payloadText = (replaced: string[]) => {
    const clear = Object.fromEntries(Object.entries(basePayload()).filter(([k]) => !replaced.includes(k)));
    return `{${[JSON.stringify(clear).slice(1, -1), ...replaced.map((k) => `"${k}":${DEEP}`)].join(',')}}`;
  };

  it('answers, rather than throws, for a header value nested too deeply to print', async () => {
    for (const header of [
      `{"typ":${DEEP},"alg":"ES256","kid":${KID}}`,
      `{"typ":"dc+sd-jwt","alg":${DEEP},"kid":${KID}}`,
      `{"typ":"dc+sd-jwt","alg":"ES256","kid":${DEEP}}`,
    ]) {
      const result = await verifySdJwtVc(`${unsignedJwt(header, payloadText([]))}~`, options());
      expect(result.checks.format).toBe('ok');
      expect(failedChecks(result).header).toMatch(/found <unprintable array>$/);
    }
  });

  it('answers, rather than throws, for a disclosure or claim nested too deeply to print', async () => {
    const jwt = (await issued()).split('~')[0]!;
    expect(failedChecks(await verifySdJwtVc(`${jwt}~${base64url(DEEP)}~`, options()))).toEqual({
      format:
        'failed: disclosure 1: expected [salt, name, value] or [salt, value], found <unprintable array>',
    });
    const deepClaims = unsignedJwt(
      `{"typ":"dc+sd-jwt","alg":"ES256","kid":${KID}}`,
      payloadText(['iss', 'vct', 'exp', 'status']),
    );
    expect(failedChecks(await verifySdJwtVc(`${deepClaims}~`, options()))).toMatchObject({
      issuer: 'failed: expected iss, found <unprintable array>',
      vct: 'failed: expected vct, found <unprintable array>',
      validity: 'failed: expected exp in NumericDate seconds, found <unprintable array>',
      status: 'failed: expected status.status_list {idx, uri}, found <unprintable array>',
    });
  });

  it('fails closed, rather than throws, when a check throws where nothing expected it', async () => {
    const explodingKey = {
      get alg(): string {
        throw new RangeError('Maximum call stack size exceeded');
      },
    };
    const result = await verifySdJwtVc(
      await issued(),
      options({ resolveIssuerKey: async () => explodingKey as unknown as PublicJwk }),
    );
    expect(failedChecks(result)).toEqual({
      format: 'failed: the presentation could not be checked (RangeError)',
    });
    expect(result.checks.header).toBe('ok');
  });

  it('keeps a disclosed "__proto__" claim as data, not as the prototype', async () => {
    const d = disclosure('c2FsdA', '__proto__', { polluted: true });
    const jwt = await signedCustom(basePayload({ _sd: [sdDigest(d)] }));
    const result = await verifySdJwtVc(`${jwt}~${d}~`, options());
    expect(result.valid).toBe(true);
    const fields = result.claims!.fields;
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
    expect((fields as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { publishJwks } from '#app/publish-jwks.ts';
import { VerificationUnavailable } from '#app/verification-errors.ts';
import { registrySealKeys, type VerifyLicenseDeps, verifyLicense } from '#app/verify-license.ts';
import { type AuditEvent, parseAuditEvent } from '#core/audit/event.ts';
import type { Agency } from '#core/catalog/agency.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';
import { agencyIssuer, issueSdJwtVc, presentSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import { DEMO_AGENCIES, DEMO_USCC } from '#dev/demo/catalog.ts';
import type { SigningKey } from '#ports/signer.ts';

// The verification use case with in-memory fakes of its ports: no I/O.
const BASE = 'https://api.elicense.test';
const NOW = 1_800_000_000;
const agency: Agency = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;
const LICENSE_ID = buildLicenseId({
  typeCode: '11100000000013338W032',
  issuerCode: agency.uscc,
  serial: '2430599',
  version: '001',
});
const seal = new SoftwareEs256Signer('seal-kid');
const platform = new SoftwareEs256Signer('platform-kid');
const key = (signer: SoftwareEs256Signer, keyRef: string): SigningKey => ({
  keyRef,
  signer,
  publicJwk: signer.publicJwk,
});

/** The audit events the fakes recorded, validated as the DynamoDB writer validates them. */
let recorded: AuditEvent[] = [];
let eventCount = 0;

function deps(statuses: Record<string, number> = { 'list-1#7': 0 }): VerifyLicenseDeps {
  recorded = [];
  return {
    sealKeys: registrySealKeys({
      getAgency: async (uscc) =>
        uscc === agency.uscc
          ? { value: { ...agency, sealKey: { keyRef: 'local:seal/x', kid: 'seal-kid' } }, version: 1 }
          : undefined,
    }),
    keys: { keyFor: async (ref) => key(seal, ref) },
    statuses: { statusOf: async (listId, index) => statuses[`${listId}#${index}`] },
    publicBaseUrl: BASE,
    audit: {
      record: async (event) => {
        recorded.push(parseAuditEvent(event));
      },
    },
    now: () => new Date(NOW * 1000),
    newEventId: () => `verify-${++eventCount}`,
  };
}

async function license(
  overrides: {
    issuer?: string;
    statusUri?: string;
    holderKey?: SoftwareEs256Signer['publicJwk'];
    licenseId?: string;
    signer?: SoftwareEs256Signer;
  } = {},
) {
  const { sdJwt } = await issueSdJwtVc(
    {
      licenseId: overrides.licenseId ?? LICENSE_ID,
      issuer: overrides.issuer ?? agencyIssuer(BASE, agency.uscc),
      ...(overrides.holderKey ? { holderKey: overrides.holderKey } : {}),
      fields: { 姓名: '张演示', 性别: '男' },
      issuedAt: NOW - 100,
      validFrom: NOW - 100,
      validUntil: NOW + 100,
      status: { uri: overrides.statusUri ?? statusListUri(BASE, 'list-1'), idx: 7 },
    },
    overrides.signer ?? seal,
  );
  return sdJwt;
}

describe('verifyLicense', () => {
  it('accepts a license whose issuer, seal key and status entry are registered', async () => {
    const result = await verifyLicense({ presentation: await license() }, deps());
    expect(result.valid).toBe(true);
  });

  it('knows no key for an issuer outside this platform', async () => {
    const result = await verifyLicense(
      { presentation: await license({ issuer: 'https://elsewhere.test/agencies/x' }) },
      deps(),
    );
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toMatch(/publishes no key/);
  });

  it('fails the status check for a list of another platform or an entry no license holds', async () => {
    const foreign = await verifyLicense(
      { presentation: await license({ statusUri: 'https://x.test/status-lists/l' }) },
      deps(),
    );
    expect(foreign.checks.status).toMatch(/not a status list of this platform/);
    const missing = await verifyLicense({ presentation: await license() }, deps({}));
    expect(missing.checks.status).toMatch(/no license holds this status entry/);
  });

  it('accepts a license signed with a seal key that rotation replaced, and refuses an unknown kid', async () => {
    const rotated = new SoftwareEs256Signer('rotated-kid');
    const unknown = new SoftwareEs256Signer('unknown-kid');
    const signWith = (signer: SoftwareEs256Signer) => license({ signer });
    const signers: Record<string, SoftwareEs256Signer> = {
      'local:seal/new': seal,
      'local:seal/old': rotated,
    };
    const afterRotation: VerifyLicenseDeps = {
      ...deps(),
      sealKeys: registrySealKeys({
        getAgency: async () => ({
          value: {
            ...agency,
            sealKey: { keyRef: 'local:seal/new', kid: 'seal-kid' },
            previousSealKeys: [{ keyRef: 'local:seal/old', kid: 'rotated-kid' }],
          },
          version: 2,
        }),
      }),
      keys: { keyFor: async (ref) => key(signers[ref] ?? unknown, ref) },
    };
    expect((await verifyLicense({ presentation: await signWith(rotated) }, afterRotation)).valid).toBe(true);
    expect((await verifyLicense({ presentation: await signWith(seal) }, afterRotation)).valid).toBe(true);
    const stranger = await verifyLicense({ presentation: await signWith(unknown) }, afterRotation);
    expect(stranger.valid).toBe(false);
    expect(stranger.checks.signature).toMatch(/^failed/);
  });

  it('gives no verdict when a store or the key service fails, and keeps its words out of the answer', async () => {
    // What an AccessDenied of KMS or DynamoDB says: role, account, key and table ARNs.
    const denied = () =>
      Promise.reject(
        new Error(
          'User: arn:aws:sts::123456789012:assumed-role/elicense-public/fn is not authorized to perform: kms:GetPublicKey on resource: arn:aws:kms:cn-north-1:123456789012:key/abcd',
        ),
      );
    const presentation = await license();
    const failing: [string, VerifyLicenseDeps][] = [
      ['the issuer key', { ...deps(), sealKeys: registrySealKeys({ getAgency: denied }) }],
      ['the issuer key', { ...deps(), keys: { keyFor: denied } }],
      ["the license's status", { ...deps(), statuses: { statusOf: denied } }],
    ];
    for (const [what, broken] of failing) {
      const error = await verifyLicense({ presentation }, broken).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VerificationUnavailable);
      expect((error as VerificationUnavailable).message).toContain(what);
      expect((error as VerificationUnavailable).message).not.toMatch(/arn:|123456789012/);
      expect(((error as VerificationUnavailable).cause as Error).message).toMatch(/not authorized/);
    }
  });

  it('reports a suspended license', async () => {
    const result = await verifyLicense({ presentation: await license() }, deps({ 'list-1#7': 2 }));
    expect(result.checks.status).toMatch(/^failed: suspended/);
  });
});

describe('verifyLicense audits every verification', () => {
  const VERIFIER = { kind: 'system', id: 'public-verifier', name: 'unauthenticated verifier' };
  const SUBJECT = { licenseId: LICENSE_ID, licenseVersion: '001', typeCode: '11100000000013338W032' };

  it('records a valid one as a success naming the license and the disclosed field names, never values', async () => {
    const presentation = await presentSdJwtVc(await license(), ['姓名']);
    const result = await verifyLicense(
      { presentation, verifier: { sourceIp: '203.0.113.9', userAgent: 'curl/8' } },
      deps(),
    );
    expect(result.valid).toBe(true);
    expect(recorded).toEqual([
      {
        id: expect.stringMatching(/^verify-/),
        time: new Date(NOW * 1000).toISOString(),
        actor: VERIFIER,
        action: 'license.verified',
        subject: SUBJECT,
        outcome: 'success',
        details: { disclosed: ['姓名'], keyBound: false, sourceIp: '203.0.113.9', userAgent: 'curl/8' },
      },
    ]);
    expect(JSON.stringify(recorded)).not.toContain('张演示');
  });

  it('records a genuine license that fails as denied, naming the failed checks and the license', async () => {
    const result = await verifyLicense({ presentation: await license() }, deps({ 'list-1#7': 1 }));
    expect(result.valid).toBe(false);
    expect(recorded).toEqual([
      expect.objectContaining({
        action: 'license.verified',
        subject: SUBJECT,
        outcome: 'denied',
        details: { failed: ['status'], disclosed: [], keyBound: false },
      }),
    ]);
  });

  it('names no license for a credential whose issuer signature does not verify, or that is no credential', async () => {
    const impostor = new SoftwareEs256Signer('seal-kid');
    const { sdJwt: forged } = await issueSdJwtVc(
      {
        licenseId: LICENSE_ID,
        issuer: agencyIssuer(BASE, agency.uscc),
        fields: { 姓名: '李冒充' },
        issuedAt: NOW - 100,
        validFrom: NOW - 100,
        validUntil: NOW + 100,
        status: { uri: statusListUri(BASE, 'list-1'), idx: 7 },
      },
      impostor,
    );
    const d = deps();
    await verifyLicense({ presentation: forged }, d);
    await verifyLicense({ presentation: 'not-a-license~' }, d);
    expect(recorded.map((e) => [e.outcome, e.subject, e.details?.failed])).toEqual([
      ['denied', undefined, ['signature']],
      ['denied', undefined, ['format']],
    ]);
  });

  it('refuses, and names no license for, a genuine signature over another issuer’s license identifier', async () => {
    // The agency's own seal key (one compromised, say) signing a license of another issuer: its
    // event would stand in the access history of that license's holder.
    const otherIssuers = buildLicenseId({
      typeCode: '11100000000013338W032',
      issuerCode: DEMO_USCC.marketRegulationBureau,
      serial: '2430599',
      version: '001',
    });
    const result = await verifyLicense({ presentation: await license({ licenseId: otherIssuers }) }, deps());
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toBe('ok');
    expect(result.checks.profile).toMatch(/is not the issuer .* of license_id/);
    expect(recorded.map((e) => [e.outcome, e.subject, e.details?.failed])).toEqual([
      ['denied', undefined, ['profile']],
    ]);
  });

  it('keeps a User-Agent cut at 256 characters well formed, even where an emoji straddles the cut', async () => {
    const userAgent = `${'x'.repeat(255)}😀 and more`;
    await verifyLicense({ presentation: await license(), verifier: { userAgent } }, deps());
    expect(recorded[0]!.details?.userAgent).toBe(`${'x'.repeat(255)}\uFFFD`);
  });

  it('records a User-Agent naming an identity number with the number masked', async () => {
    const userAgent = 'counter-app/1.0 (operator 110105 19491231 002X)';
    await verifyLicense({ presentation: await license(), verifier: { userAgent } }, deps());
    expect(recorded[0]!.details?.userAgent).toBe('counter-app/1.0 (operator ****** ******** ****)');
  });

  it('says whether the presentation was bound to the holder key', async () => {
    const device = new SoftwareEs256Signer('device');
    const presentation = await presentSdJwtVc(await license({ holderKey: device.publicJwk }), ['性别'], {
      keyBinding: { signer: device, audience: 'https://rp.test', nonce: 'n-1', issuedAt: NOW - 5 },
    });
    const result = await verifyLicense(
      { presentation, keyBinding: { audience: 'https://rp.test', nonce: 'n-1' } },
      deps(),
    );
    expect(result.valid).toBe(true);
    expect(recorded[0]!.details).toEqual({ disclosed: ['性别'], keyBound: true });
  });

  it('answers nothing when the event cannot be written', async () => {
    const broken: VerifyLicenseDeps = {
      ...deps(),
      audit: { record: () => Promise.reject(new Error('ProvisionedThroughputExceededException')) },
    };
    const error = await verifyLicense({ presentation: await license() }, broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VerificationUnavailable);
    expect((error as Error).message).toMatch(/could not be recorded/);
  });
});

describe('a seal key the key service has withdrawn', () => {
  it('fails the signature check of what it signed, without taking the verifier down', async () => {
    const presentation = await license();
    const result = await verifyLicense(
      { presentation },
      {
        ...deps(),
        keys: {
          keyFor: async (ref) => {
            throw new SigningKeyWithdrawn(ref, 'KMSInvalidStateException: pending deletion');
          },
        },
      },
    );
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toMatch(
      /^failed: key "seal-kid" of issuer ".*" is withdrawn: it verifies nothing/,
    );
  });

  it('is left out of the JWKS, and every other key stays', async () => {
    const agencies = DEMO_AGENCIES.map((value) => ({ value, version: 1 }));
    const withdrawn = DEMO_AGENCIES.find((a) => a.sealKey)!.sealKey!.keyRef;
    const jwks = await publishJwks({
      config: { listAgencies: async () => ({ items: agencies }) },
      keys: {
        keyFor: async (ref) => {
          if (ref === withdrawn) throw new SigningKeyWithdrawn(ref, 'DisabledException');
          return key(seal, ref);
        },
        platformKey: async () => key(platform, 'local:platform'),
      },
    });
    const sealed = DEMO_AGENCIES.filter((a) => a.sealKey && a.sealKey.keyRef !== withdrawn).map(
      (a) => a.uscc,
    );
    expect(jwks.keys.filter((k) => k.owner === 'agency').map((k) => k.agency)).toEqual(sealed);
    expect(jwks.keys.at(-1)).toMatchObject({ owner: 'platform' });
  });
});

describe('publishJwks', () => {
  it('publishes the seal keys of agencies that have one, then the platform key, without private parts', async () => {
    const agencies = DEMO_AGENCIES.map((value) => ({ value, version: 1 }));
    const jwks = await publishJwks({
      config: { listAgencies: async () => ({ items: agencies }) },
      keys: {
        keyFor: async (ref) => key(seal, ref),
        platformKey: async () => key(platform, 'local:platform'),
      },
    });
    const sealed = DEMO_AGENCIES.filter((a) => a.sealKey).map((a) => a.uscc);
    expect(jwks.keys.filter((k) => k.owner === 'agency').map((k) => k.agency)).toEqual(sealed);
    expect(jwks.keys.at(-1)).toMatchObject({
      owner: 'platform',
      kid: 'platform-kid',
      use: 'sig',
      alg: 'ES256',
    });
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('publishes the seal keys rotation replaced after the current one, each under its own kid', async () => {
    const signers: Record<string, SoftwareEs256Signer> = {
      'local:seal/new': new SoftwareEs256Signer('new-kid'),
      'local:seal/old': new SoftwareEs256Signer('old-kid'),
      'local:seal/older': new SoftwareEs256Signer('older-kid'),
    };
    const rotated: Agency = {
      ...agency,
      sealKey: { keyRef: 'local:seal/new', kid: 'new-kid' },
      previousSealKeys: [
        { keyRef: 'local:seal/old', kid: 'old-kid' },
        { keyRef: 'local:seal/older', kid: 'older-kid' },
      ],
    };
    const jwks = await publishJwks({
      config: { listAgencies: async () => ({ items: [{ value: rotated, version: 3 }] }) },
      keys: {
        keyFor: async (ref) => key(signers[ref]!, ref),
        platformKey: async () => key(platform, 'local:platform'),
      },
    });
    expect(jwks.keys.map((k) => [k.kid, k.owner, k.agency])).toEqual([
      ['new-kid', 'agency', agency.uscc],
      ['old-kid', 'agency', agency.uscc],
      ['older-kid', 'agency', agency.uscc],
      ['platform-kid', 'platform', undefined],
    ]);
  });
});

import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { readAccessHistory } from '#app/access-history.ts';
import { createHolderGrant, listHolderGrants, revokeHolderGrant } from '#app/holder-grants.ts';
import { listHolderLicenses, openHolderLicense } from '#app/holder-licenses.ts';
import {
  createPresentation,
  LicenseNotPresentable,
  PresentationRequestInvalid,
  resolvePresentation,
} from '#app/holder-presentations.ts';
import { IdentityNotProofed } from '#app/proof-identity.ts';
import { retrieveLicense } from '#app/retrieve-license.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { fromBase64url, signCompactJws } from '#core/jws.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { LicenseNotYetValid } from '#core/lifecycle.ts';
import { KB_JWT_TYP, sdDigest, verifySdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { LicenseNotFound } from '#core/storage-errors.ts';
import {
  DEMO_HOLDERS,
  DEMO_LICENSES,
  DEMO_SERVICE_ITEM,
  DEMO_TYPE_CODE,
  DEMO_USCC,
} from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { toProblemResponse } from '#http/problem.ts';
import { GrantNotFound } from '#ports/grant-store.ts';
import { InvalidCursor } from '#ports/page.ts';
import { PresentationUnavailable } from '#ports/presentation-store.ts';
import { ACCOUNTS, HolderWorld } from './holder-fakes.ts';

const [ZHANG_CARD, LI_CARD, , ZHANG_DRIVING] = DEMO_LICENSES;
const PURPOSE = '办理住房公积金提取';

let world: HolderWorld;
beforeEach(async () => {
  world = await HolderWorld.create();
});

const deps = () => world.holderDeps();

function disclosedNames(presentation: string): string[] {
  return presentation
    .split('~')
    .slice(1, -1)
    .map((d) => (JSON.parse(fromBase64url(d).toString('utf8')) as [string, string, unknown])[1]);
}

const grantTerms = (licenseId: string) => ({
  account: ACCOUNTS.zhang,
  scope: { licenseId },
  relyingAgency: DEMO_USCC.housingProvidentFundCentre,
  purpose: PURPOSE,
  fields: ['姓名', '出生'],
  expiresAt: '2025-06-02T00:00:00.000Z',
  maxUses: 2,
});

describe('an account without a proofed identity', () => {
  it('is refused by every holder use case before anything is read', async () => {
    const account = ACCOUNTS.newcomer;
    const card = await world.issue(ZHANG_CARD!);
    const refusals = [
      listHolderLicenses({ account }, deps()),
      openHolderLicense({ account, licenseId: card.id }, deps()),
      createHolderGrant({ ...grantTerms(card.id), account }, deps()),
      listHolderGrants({ account }, deps()),
      revokeHolderGrant({ account, grantId: 'grant-00000001' }, deps()),
      createPresentation({ account, licenseId: card.id, fields: ['姓名'], form: 'sd-jwt' }, deps()),
      readAccessHistory({ account }, deps()),
    ];
    for (const refusal of refusals) await expect(refusal).rejects.toBeInstanceOf(IdentityNotProofed);
    expect(world.audit.events).toEqual([]);
  });
});

describe('my licenses', () => {
  it('lists every version of every own license with today’s status, and nothing of another holder', async () => {
    const first = await world.issue(ZHANG_CARD!, { serial: 'CARD1', issuedAt: '2020-01-01T00:00:00.000Z' });
    const second = await world.issue(ZHANG_CARD!, {
      serial: 'CARD1',
      version: '002',
      issuedAt: '2024-01-01T00:00:00.000Z',
    });
    world.licenses.setStatus(first.id, 'superseded', second.id);
    const revoked = await world.issue(ZHANG_DRIVING!, { issuedAt: '2022-01-01T00:00:00.000Z' });
    world.licenses.setStatus(revoked.id, 'revoked');
    const expired = await world.issue(ZHANG_CARD!, {
      serial: 'OLD1',
      validity: { from: '2005-01-01', until: '2025-05-31' },
      issuedAt: '2005-01-01T00:00:00.000Z',
    });
    await world.issue(LI_CARD!);

    const { licenses, auditEventId } = await listHolderLicenses({ account: ACCOUNTS.zhang }, deps());

    expect(licenses.map((l) => [l.licenseId, l.status, l.current])).toEqual([
      [second.id, 'valid', true],
      [revoked.id, 'revoked', true],
      [first.id, 'superseded', false],
      [expired.id, 'expired', true],
    ]);
    expect(licenses[2]).toMatchObject({ supersededBy: second.id, licenseKey: licenseKeyOf(second.id) });
    expect(licenses[0]?.typeName?.zh).toBe('居民身份证');
    expect(world.audit.events).toEqual([
      expect.objectContaining({
        id: auditEventId,
        action: 'holder.licenses_listed',
        actor: { kind: 'holder', id: ACCOUNTS.zhang },
      }),
    ]);
  });

  it('marks a valid license whose first valid day is after today not yet valid, in the list and when opened', async () => {
    const inForce = await world.issue(ZHANG_CARD!, { serial: 'CARD1' });
    // A renewal issued ahead of its term; 2025-06-01T02:00Z is 10:00 on 2025-06-01 in China.
    const renewal = await world.issue(ZHANG_CARD!, {
      serial: 'CARD2',
      validity: { from: '2025-06-02', until: '2045-06-02' },
    });

    const { licenses } = await listHolderLicenses({ account: ACCOUNTS.zhang }, deps());
    const opened = await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: renewal.id }, deps());

    const byId = new Map(licenses.map((l) => [l.licenseId, l]));
    expect(byId.get(renewal.id)).toMatchObject({ status: 'valid', notYetValid: true });
    expect(byId.get(inForce.id)).not.toHaveProperty('notYetValid');
    expect(opened.license).toMatchObject({
      status: 'valid',
      notYetValid: true,
      validity: { from: '2025-06-02' },
    });
  });

  it('opens an own license: its data, the whole credential, a document link; audited first', async () => {
    const card = await world.issue(ZHANG_CARD!, {
      document: { key: 'doc-1', sha256: 'x'.repeat(43), size: 10, mediaType: 'application/pdf' },
    });

    const detail = await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: card.id }, deps());

    expect(detail.fields).toEqual(ZHANG_CARD!.data);
    expect(disclosedNames(detail.credential).sort()).toEqual(Object.keys(ZHANG_CARD!.data).sort());
    expect(detail.document).toMatchObject({
      url: expect.stringContaining('doc-1'),
      mediaType: 'application/pdf',
    });
    expect(detail.license).toMatchObject({ licenseId: card.id, status: 'valid', current: true });
    expect(world.audit.events.at(-1)).toMatchObject({
      id: detail.auditEventId,
      action: 'license.holder_viewed',
      subject: { licenseId: card.id, licenseVersion: '001' },
      // Which bytes the link opened: an attach replaces a version's document in place.
      details: { document: true, documentSha256: 'x'.repeat(43) },
    });
  });

  it('reads another holder’s license as not found, by id and by license key, and audits nothing', async () => {
    const lis = await world.issue(LI_CARD!);

    for (const licenseId of [lis.id, licenseKeyOf(lis.id)]) {
      await expect(openHolderLicense({ account: ACCOUNTS.zhang, licenseId }, deps())).rejects.toBeInstanceOf(
        LicenseNotFound,
      );
    }
    expect(world.audit.events).toEqual([]);
  });

  it('refuses to record the read when the audit log is down, handing nothing out', async () => {
    const card = await world.issue(ZHANG_CARD!);
    world.audit.failing = true;

    await expect(openHolderLicense({ account: ACCOUNTS.zhang, licenseId: card.id }, deps())).rejects.toThrow(
      /audit/,
    );
  });
});

describe('grants by the holder', () => {
  it('grants an own license with the holder as actor; the relying agency retrieves with the code', async () => {
    const card = await world.issue(ZHANG_CARD!);

    const { grant, code } = await createHolderGrant(grantTerms(card.id), deps());
    const retrieval = await retrieveLicense(
      {
        requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
        target: { licenseId: card.id },
        basis: { grant: { code } },
      },
      deps(),
    );

    expect(grant.value).toMatchObject({
      scope: { kind: 'license', licenseId: card.licenseKey },
      status: 'active',
    });
    expect(world.audit.events.find((e) => e.action === 'grant.created')).toMatchObject({
      actor: { kind: 'holder', id: ACCOUNTS.zhang },
    });
    expect(retrieval.disclosed.sort()).toEqual(['出生', '姓名']);
  });

  it('grants the holder’s licenses of a type under the holder’s own identity', async () => {
    const card = await world.issue(ZHANG_CARD!);

    const { grant } = await createHolderGrant(
      { ...grantTerms(card.id), scope: { typeCode: ZHANG_CARD!.typeCode } },
      deps(),
    );

    expect(grant.value.holderIndex).toBe(card.holderIndex);
    expect(grant.value.scope).toEqual({ kind: 'type', typeCode: ZHANG_CARD!.typeCode });
  });

  it('grants the license as it was checked to be the holder’s, though re-issued to another meanwhile', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const licenses = world.licenses;
    let reads = 0;
    // The re-issue to 李晓燕 lands just after the first read of the current version.
    const racing = {
      get: licenses.get.bind(licenses),
      getCurrent: async (key: string) => {
        const current = await licenses.getCurrent(key);
        if (++reads === 1) {
          const next = await world.issue(
            { ...ZHANG_CARD!, holder: DEMO_HOLDERS.liXiaoyan, data: LI_CARD!.data },
            { version: '002' },
          );
          licenses.setStatus(card.id, 'superseded', next.id);
        }
        return current;
      },
    };

    const { grant, code } = await createHolderGrant(grantTerms(card.licenseKey), {
      ...deps(),
      licenses: racing,
    });

    expect(grant.value.holderIndex).toBe(card.holderIndex);
    await expect(
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
          target: { licenseId: card.licenseKey },
          basis: { grant: { code } },
        },
        deps(),
      ),
    ).rejects.toThrow();
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'license.retrieved',
      outcome: expect.not.stringMatching(/success/),
    });
  });

  it('cannot grant another holder’s license: it reads as not found', async () => {
    const lis = await world.issue(LI_CARD!);

    await expect(createHolderGrant(grantTerms(lis.id), deps())).rejects.toBeInstanceOf(LicenseNotFound);
  });

  it('lists only the holder’s own grants and revokes them; another holder’s grant is not found', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const lis = await world.issue(LI_CARD!);
    const mine = await createHolderGrant(grantTerms(card.id), deps());
    const theirs = await createHolderGrant({ ...grantTerms(lis.id), account: ACCOUNTS.li }, deps());

    const listed = await listHolderGrants({ account: ACCOUNTS.zhang }, deps());
    expect(listed.items.map((g) => g.value.id)).toEqual([mine.grant.value.id]);

    await expect(
      revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: theirs.grant.value.id }, deps()),
    ).rejects.toBeInstanceOf(GrantNotFound);
    const revoked = await revokeHolderGrant(
      { account: ACCOUNTS.zhang, grantId: mine.grant.value.id, reason: '不再需要' },
      deps(),
    );
    expect(revoked.value.status).toBe('revoked');
    expect((await world.grants.get(theirs.grant.value.id))?.value.status).toBe('active');
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'grant.revoked',
      actor: { kind: 'holder', id: ACCOUNTS.zhang },
    });
  });

  it('refuses a purpose or a revocation reason naming an identity number, recording nothing', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const { grant } = await createHolderGrant(grantTerms(card.id), deps());
    const events = world.audit.events.length;
    const own = DEMO_HOLDERS.zhangWeiming.code;

    await expect(
      createHolderGrant({ ...grantTerms(card.id), purpose: `本人（身份证号${own}）办理公积金提取` }, deps()),
    ).rejects.toBeInstanceOf(IdentityNumberInText);
    await expect(
      revokeHolderGrant(
        { account: ACCOUNTS.zhang, grantId: grant.value.id, reason: `${own} 不再需要` },
        deps(),
      ),
    ).rejects.toMatchObject({ errors: [{ path: 'reason' }] });
    expect(
      (await listHolderGrants({ account: ACCOUNTS.zhang }, deps())).items.map((g) => g.value.status),
    ).toEqual(['active']);
    expect(world.audit.events.slice(events).map((e) => e.action)).toEqual(['holder.grants_listed']);
  });
});

describe('presentations', () => {
  it('hands the app a compact SD-JWT with only the chosen fields, which verifies', async () => {
    const card = await world.issue(ZHANG_CARD!);

    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['出生', '姓名'], form: 'sd-jwt' },
      deps(),
    );

    if (created.form !== 'sd-jwt') throw new Error('expected the sd-jwt form');
    expect(disclosedNames(created.presentation).sort()).toEqual(['出生', '姓名']);
    expect(created.keyBinding).toBeUndefined();
    const seal = await world.keys.keyFor(`seal/${ZHANG_CARD!.issuer}`);
    const verified = await verifySdJwtVc(created.presentation, {
      now: Math.floor(world.clock.now().getTime() / 1000),
      resolveIssuerKey: () => seal.publicJwk,
      status: () => 0,
    });
    expect(verified.valid).toBe(true);
    expect(verified.claims?.fields).toEqual({ 姓名: '张伟明', 出生: '1990-03-07' });
    expect(world.audit.events.at(-1)).toMatchObject({
      id: created.auditEventId,
      action: 'presentation.created',
      details: { form: 'sd-jwt', disclosed: ['姓名', '出生'] },
    });
  });

  it('for a key-bound license, gives the app the sd_hash its KB-JWT signs; the app’s KB-JWT then verifies', async () => {
    const device = new SoftwareEs256Signer('device-1');
    const card = await world.issue(ZHANG_CARD!, { holderKey: device.publicJwk });

    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'sd-jwt', nonce: 'n-7' },
      deps(),
    );

    if (created.form !== 'sd-jwt') throw new Error('expected the sd-jwt form');
    expect(created.keyBinding).toEqual({ sdHash: sdDigest(created.presentation), nonce: 'n-7' });
    // The holder's app signs with the device key, which the platform never holds.
    const now = Math.floor(world.clock.now().getTime() / 1000);
    const kbJwt = await signCompactJws(
      { typ: KB_JWT_TYP },
      { iat: now, aud: 'https://bank.example', nonce: 'n-7', sd_hash: created.keyBinding!.sdHash },
      device,
    );
    const seal = await world.keys.keyFor(`seal/${ZHANG_CARD!.issuer}`);
    const verified = await verifySdJwtVc(created.presentation + kbJwt, {
      now,
      resolveIssuerKey: () => seal.publicJwk,
      status: () => 0,
      keyBinding: { audience: 'https://bank.example', nonce: 'n-7' },
    });
    expect(verified.checks.keyBinding).toBe('ok');
    expect(verified.valid).toBe(true);
  });

  it('resolves a reference once, for any verifier, with the verifier audited; then it is used up', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'reference', nonce: 'n-1' },
      deps(),
    );
    if (created.form !== 'reference') throw new Error('expected the reference form');
    expect(created.url).toBe(`https://elicense.test/presentations/${created.reference}`);
    expect(created.reference).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // The stored item keeps neither the reference nor the presentation in the clear.
    const [stored] = [...world.presentations.stored.values()];
    expect(JSON.stringify(stored)).not.toContain(created.reference);

    const resolved = await resolvePresentation(
      { reference: created.reference, verifier: { sourceIp: '203.0.113.7', userAgent: 'counter-app/1.0' } },
      deps(),
    );

    expect(disclosedNames(resolved.presentation)).toEqual(['姓名']);
    expect(resolved).toMatchObject({ licenseId: card.id, disclosed: ['姓名'], nonce: 'n-1' });
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'presentation.resolved',
      subject: { licenseId: card.id },
      details: { sourceIp: '203.0.113.7', userAgent: 'counter-app/1.0', resolution: 1 },
    });
    await expect(
      resolvePresentation({ reference: created.reference, verifier: {} }, deps()),
    ).rejects.toMatchObject({ reason: 'used-up' });
  });

  it('numbers each of two resolutions made at once by the count it made, 1 and 2', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'reference', maxResolutions: 2 },
      deps(),
    );
    if (created.form !== 'reference') throw new Error('expected the reference form');

    await Promise.all([
      resolvePresentation({ reference: created.reference, verifier: {} }, deps()),
      resolvePresentation({ reference: created.reference, verifier: {} }, deps()),
    ]);

    const resolutions = world.audit.events
      .filter((e) => e.action === 'presentation.resolved')
      .map((e) => e.details?.resolution);
    expect(resolutions.sort()).toEqual([1, 2]);
    expect((await world.presentations.get([...world.presentations.stored.keys()][0]!))?.resolutions).toBe(2);
  });

  it('records a User-Agent cut where an emoji straddles the cut as well-formed text', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'reference' },
      deps(),
    );
    if (created.form !== 'reference') throw new Error('expected the reference form');

    await resolvePresentation(
      { reference: created.reference, verifier: { userAgent: `${'x'.repeat(255)}😀 app` } },
      deps(),
    );

    expect(world.audit.events.at(-1)?.details?.userAgent).toBe(`${'x'.repeat(255)}\uFFFD`);
  });

  it('refuses a purpose or a revocation reason holding the holder’s own code of any type, recording nothing', async () => {
    // A company's code (a USCC) reads as no citizen identity number; it is the holder's all the same.
    const account = 'account-company';
    const company = DEMO_HOLDERS.demoTechnology;
    await world.identity.bind(account, company);
    const terms = {
      ...grantTerms('unused'),
      account,
      scope: { typeCode: DEMO_TYPE_CODE.businessLicense },
      fields: ['名称'],
    };
    const { grant } = await createHolderGrant(terms, deps());
    const events = world.audit.events.length;

    await expect(
      createHolderGrant({ ...terms, purpose: `统一社会信用代码${company.code}的企业办理登记` }, deps()),
    ).rejects.toMatchObject({ name: 'IdentityNumberInText', errors: [{ path: 'purpose' }] });
    await expect(
      revokeHolderGrant({ account, grantId: grant.value.id, reason: `${company.code} 已办结` }, deps()),
    ).rejects.toMatchObject({ name: 'IdentityNumberInText', errors: [{ path: 'reason' }] });
    expect(world.audit.events.length).toBe(events);
    expect((await world.grants.get(grant.value.id))?.value.status).toBe('active');
  });

  it('refuses an audience or nonce naming an identity number, in either form, writing nothing', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const own = DEMO_HOLDERS.zhangWeiming.code;
    const request = { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'] };

    await expect(
      createPresentation({ ...request, form: 'sd-jwt', audience: `窗口 ${own}` }, deps()),
    ).rejects.toMatchObject({ name: 'IdentityNumberInText', errors: [{ path: 'audience' }] });
    await expect(
      createPresentation({ ...request, form: 'reference', nonce: own, audience: 'counter-1' }, deps()),
    ).rejects.toMatchObject({ name: 'IdentityNumberInText', errors: [{ path: 'nonce' }] });
    expect(world.presentations.stored.size).toBe(0);
    expect(world.audit.events).toEqual([]);
  });

  it('refuses an audience or nonce holding the holder’s own code of any type, writing nothing', async () => {
    const account = 'account-company';
    const company = DEMO_HOLDERS.demoTechnology;
    await world.identity.bind(account, company);
    const licence = await world.issue(DEMO_LICENSES.find((l) => l.holder === company)!);
    const request = { account, licenseId: licence.id, fields: ['名称'] };

    await expect(
      createPresentation({ ...request, form: 'sd-jwt', audience: `窗口 ${company.code}` }, deps()),
    ).rejects.toMatchObject({ name: 'IdentityNumberInText', errors: [{ path: 'audience' }] });
    await expect(
      createPresentation(
        { ...request, form: 'reference', nonce: company.code, audience: 'counter-1' },
        deps(),
      ),
    ).rejects.toMatchObject({ name: 'IdentityNumberInText', errors: [{ path: 'nonce' }] });
    expect(world.presentations.stored.size).toBe(0);
    expect(world.audit.events).toEqual([]);
  });

  it('records a User-Agent naming an identity number with the number masked', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'reference' },
      deps(),
    );
    if (created.form !== 'reference') throw new Error('expected the reference form');
    const own = DEMO_HOLDERS.zhangWeiming.code;

    await resolvePresentation(
      { reference: created.reference, verifier: { userAgent: `counter-app/1.0 (operator ${own})` } },
      deps(),
    );

    expect(world.audit.events.at(-1)?.details?.userAgent).toBe(
      `counter-app/1.0 (operator ${'*'.repeat(18)})`,
    );
  });

  it('a reference expires after five minutes, and an unknown one resolves to nothing', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'reference', maxResolutions: 3 },
      deps(),
    );
    if (created.form !== 'reference') throw new Error('expected the reference form');
    world.clock.set('2025-06-01T02:05:00.000Z');

    await expect(
      resolvePresentation({ reference: created.reference, verifier: {} }, deps()),
    ).rejects.toMatchObject({ reason: 'expired' });
    await expect(
      resolvePresentation({ reference: 'A'.repeat(24), verifier: {} }, deps()),
    ).rejects.toBeInstanceOf(PresentationUnavailable);
  });

  it('refuses a field the credential does not have, a revoked license, another holder’s license', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const lis = await world.issue(LI_CARD!);
    const request = { account: ACCOUNTS.zhang, form: 'sd-jwt' as const };

    await expect(
      createPresentation({ ...request, licenseId: card.id, fields: ['血型'] }, deps()),
    ).rejects.toBeInstanceOf(PresentationRequestInvalid);
    await expect(
      createPresentation({ ...request, licenseId: lis.id, fields: ['姓名'] }, deps()),
    ).rejects.toBeInstanceOf(LicenseNotFound);
    world.licenses.setStatus(card.id, 'revoked');
    await expect(
      createPresentation({ ...request, licenseId: card.id, fields: ['姓名'] }, deps()),
    ).rejects.toBeInstanceOf(LicenseNotPresentable);
    expect(world.audit.events).toEqual([]);
  });

  it('refuses a license whose first valid day is after today, naming that day, as every verifier would; presents it from then', async () => {
    // A renewal issued ahead of its term; 2025-06-01T02:00Z is 10:00 on 2025-06-01 in China.
    const renewal = await world.issue(ZHANG_CARD!, { validity: { from: '2025-06-02', until: '2045-06-02' } });
    const request = { account: ACCOUNTS.zhang, licenseId: renewal.id, fields: ['姓名'] };

    for (const form of ['sd-jwt', 'reference'] as const) {
      const error = await createPresentation({ ...request, form }, deps()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LicenseNotYetValid);
      const problem = toProblemResponse(asProblem(error));
      expect(problem.statusCode).toBe(409);
      expect(JSON.parse(problem.body)).toMatchObject({
        code: 'LICENSE_NOT_YET_VALID',
        licenseId: renewal.id,
        validFrom: '2025-06-02',
      });
    }
    expect(world.audit.events).toEqual([]);

    world.clock.set('2025-06-01T16:00:00.000Z'); // 00:00 on 2025-06-02 in China
    const created = await createPresentation({ ...request, form: 'sd-jwt' }, deps());
    expect(created.licenseId).toBe(renewal.id);
  });
});

describe('access history', () => {
  it('shows who used the holder’s licenses, on what basis, newest first, page by page', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const driving = await world.issue(ZHANG_DRIVING!);
    const lis = await world.issue(LI_CARD!);
    const { code } = await createHolderGrant({ ...grantTerms(card.id), maxUses: 5 }, deps());
    const retrieve = (licenseId: string, basis: Parameters<typeof retrieveLicense>[0]['basis']) =>
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
          target: { licenseId },
          basis,
        },
        deps(),
      );
    for (let minute = 1; minute <= 3; minute += 1) {
      world.clock.set(`2025-06-01T02:0${minute}:00.000Z`);
      await retrieve(card.id, { grant: { code } });
    }
    await createHolderGrant({ ...grantTerms(lis.id), account: ACCOUNTS.li }, deps());
    world.clock.set('2025-06-01T02:04:00.000Z');
    await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: driving.id, fields: ['准驾车型'], form: 'sd-jwt' },
      deps(),
    );

    const first = await readAccessHistory({ account: ACCOUNTS.zhang, limit: 3 }, deps());
    const second = await readAccessHistory(
      { account: ACCOUNTS.zhang, limit: 3, cursor: first.cursor! },
      deps(),
    );

    expect([...first.items, ...second.items].map((e) => [e.action, e.time])).toEqual([
      ['presentation.created', '2025-06-01T02:04:00.000Z'],
      ['license.retrieved', '2025-06-01T02:03:00.000Z'],
      ['license.retrieved', '2025-06-01T02:02:00.000Z'],
      ['license.retrieved', '2025-06-01T02:01:00.000Z'],
      ['grant.created', '2025-06-01T02:00:00.000Z'],
    ]);
    expect(second.cursor).toBeUndefined();
    expect(first.items[1]).toMatchObject({
      actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
      licenseId: card.id,
      basis: { kind: 'grant', purpose: PURPOSE },
      disclosed: expect.arrayContaining(['姓名', '出生']),
    });
    expect(world.audit.events.at(-1)).toMatchObject({ action: 'holder.access_history_read' });
  });

  it('shows no event filed under the license by a key its own subject does not give (an item re-keyed in the table), and pages past a page of them', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const lis = await world.issue(LI_CARD!);
    const retrieveWith = async (licenseId: string, code: string) =>
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
          target: { licenseId },
          basis: { grant: { code } },
        },
        deps(),
      );
    const zhangs = await createHolderGrant({ ...grantTerms(card.id), maxUses: 5 }, deps());
    const liGrant = await createHolderGrant(
      { ...grantTerms(lis.id), account: ACCOUNTS.li, maxUses: 5 },
      deps(),
    );
    world.clock.set('2025-06-01T02:01:00.000Z');
    await retrieveWith(card.id, zhangs.code);
    // Two retrievals of Li's card, newer, their items re-keyed to Zhang's card.
    for (const minute of [2, 3]) {
      world.clock.set(`2025-06-01T02:0${minute}:00.000Z`);
      await retrieveWith(lis.id, liGrant.code);
      world.licenseAudit.rekeyed.set(world.audit.events.at(-1)!.id, card.licenseKey);
    }

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await readAccessHistory(
        { account: ACCOUNTS.zhang, licenseId: card.id, limit: 1, ...(cursor ? { cursor } : {}) },
        deps(),
      );
      seen.push(...page.items.map((e) => `${e.action} ${e.licenseId}`));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(seen).toEqual([`license.retrieved ${card.id}`, `grant.created ${card.licenseKey}`]);
  });

  it('shows the creation and revocation of a grant of a type, which names no license, to its holder only', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const typeGrant = { ...grantTerms(card.id), scope: { typeCode: ZHANG_CARD!.typeCode } };
    const { grant } = await createHolderGrant(typeGrant, deps());
    world.clock.set('2025-06-01T02:01:00.000Z');
    await revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: grant.value.id, reason: '不再需要' }, deps());
    await createHolderGrant(
      { ...typeGrant, account: ACCOUNTS.li, scope: { typeCode: LI_CARD!.typeCode } },
      deps(),
    );

    const zhangs = await readAccessHistory({ account: ACCOUNTS.zhang }, deps());
    const lis = await readAccessHistory({ account: ACCOUNTS.li }, deps());
    const narrowed = await readAccessHistory({ account: ACCOUNTS.zhang, licenseId: card.id }, deps());

    expect(zhangs.items.map((e) => [e.action, e.basis?.grantId])).toEqual([
      ['grant.revoked', grant.value.id],
      ['grant.created', grant.value.id],
    ]);
    expect(lis.items.map((e) => e.action)).toEqual(['grant.created']);
    expect(lis.items[0]?.basis?.grantId).not.toBe(grant.value.id);
    // Narrowed to one license, the history holds that license's events only.
    expect(narrowed.items).toEqual([]);
  });

  it('shows a refused use of a revoked grant to that grant’s holder, and a code naming no grant to no one', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const { grant, code } = await createHolderGrant(grantTerms(card.id), deps());
    world.clock.set('2025-06-01T02:01:00.000Z');
    await revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: grant.value.id }, deps());
    world.clock.set('2025-06-01T02:02:00.000Z');
    const retrieval = (grantCode: string) =>
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
          target: { licenseId: card.id },
          basis: { grant: { code: grantCode } },
        },
        deps(),
      );
    await expect(retrieval(code)).rejects.toMatchObject({ code: 'GRANT_REVOKED' });
    world.clock.set('2025-06-01T02:03:00.000Z');
    await expect(retrieval(`${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`)).rejects.toMatchObject({
      code: 'GRANT_NOT_FOUND',
    });

    const zhangs = await readAccessHistory({ account: ACCOUNTS.zhang }, deps());
    const lis = await readAccessHistory({ account: ACCOUNTS.li }, deps());

    expect(zhangs.items.map((e) => [e.action, e.outcome, e.basis?.grantId, e.licenseId])).toEqual([
      ['license.retrieved', 'denied', grant.value.id, undefined],
      ['grant.revoked', 'success', grant.value.id, card.licenseKey],
      ['grant.created', 'success', grant.value.id, card.licenseKey],
    ]);
    expect(zhangs.items[0]).toMatchObject({
      actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
      basis: { kind: 'grant', grantId: grant.value.id },
    });
    expect(lis.items).toEqual([]);
  });

  it('shows a retrieval refused on a grant of one license, which names no license, to that grant’s holder only', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const { grant, code } = await createHolderGrant(grantTerms(card.licenseKey), deps());
    world.clock.set('2025-06-01T02:01:00.000Z');
    // Re-issued to 李晓燕, the license is no longer the grant's: the refusal names the grant only.
    const next = await world.issue(
      { ...ZHANG_CARD!, holder: DEMO_HOLDERS.liXiaoyan, data: LI_CARD!.data },
      { version: '002' },
    );
    world.licenses.setStatus(card.id, 'superseded', next.id);
    world.clock.set('2025-06-01T02:02:00.000Z');
    await expect(
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
          target: { licenseId: card.licenseKey },
          basis: { grant: { code } },
        },
        deps(),
      ),
    ).rejects.toMatchObject({ code: 'GRANT_DOES_NOT_COVER' });

    const zhangs = await readAccessHistory({ account: ACCOUNTS.zhang }, deps());
    const lis = await readAccessHistory({ account: ACCOUNTS.li }, deps());

    expect(zhangs.items.map((e) => [e.action, e.outcome, e.basis?.grantId, e.licenseId])).toEqual([
      ['license.retrieved', 'denied', grant.value.id, undefined],
      ['grant.created', 'success', grant.value.id, card.licenseKey],
    ]);
    expect(zhangs.items[0]?.actor).toEqual({ kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre });
    expect(lis.items).toEqual([]);
  });

  it('after a re-issue to another holder, shows each holder only the events of their own versions', async () => {
    const v1 = await world.issue(ZHANG_CARD!);
    const { code } = await createHolderGrant({ ...grantTerms(v1.id), purpose: '张的私事' }, deps());
    world.clock.set('2025-06-01T02:01:00.000Z');
    await retrieveLicense(
      {
        requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
        target: { licenseId: v1.id },
        basis: { grant: { code } },
      },
      deps(),
    );
    world.clock.set('2025-06-01T03:00:00.000Z');
    const v2 = await world.issue(
      { ...ZHANG_CARD!, holder: DEMO_HOLDERS.liXiaoyan, data: LI_CARD!.data },
      { version: '002' },
    );
    world.licenses.setStatus(v1.id, 'superseded', v2.id);
    world.clock.set('2025-06-01T04:00:00.000Z');
    await retrieveLicense(
      {
        requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'demo-hpf-1' },
        target: { licenseId: v2.id },
        basis: {
          duty: { serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber: 'CASE-LI', operatorId: 'op-1' },
        },
      },
      deps(),
    );
    expect(world.audit.events.map((e) => e.action)).toEqual([
      'grant.created',
      'license.retrieved',
      'license.retrieved',
    ]);

    const lis = await readAccessHistory({ account: ACCOUNTS.li }, deps());
    const zhangs = await readAccessHistory({ account: ACCOUNTS.zhang, licenseId: v1.id }, deps());

    expect(lis.items.map((e) => [e.action, e.licenseId, e.basis?.caseNumber])).toEqual([
      ['license.retrieved', v2.id, 'CASE-LI'],
    ]);
    expect(zhangs.items.map((e) => [e.action, e.licenseId, e.basis?.purpose])).toEqual([
      ['license.retrieved', v1.id, '张的私事'],
      ['grant.created', licenseKeyOf(v1.id), '张的私事'],
    ]);
    expect(zhangs.cursor).toBeUndefined();
    // Named by its license key, the license is still the earlier holder's to read the history of:
    // the versions that were theirs, as by the identifier.
    const byKey = await readAccessHistory(
      { account: ACCOUNTS.zhang, licenseId: licenseKeyOf(v1.id) },
      deps(),
    );
    expect(byKey.items.map((e) => e.eventId)).toEqual(zhangs.items.map((e) => e.eventId));
    const lisByKey = await readAccessHistory(
      { account: ACCOUNTS.li, licenseId: licenseKeyOf(v1.id) },
      deps(),
    );
    expect(lisByKey.items.map((e) => e.licenseId)).toEqual([v2.id]);
  });

  /** Every page from the first until the cursor is absent (at most `pages`), with each cursor handed out. */
  async function allPages(request: { account: string; limit: number; licenseId?: string }, pages = 100) {
    const items: Awaited<ReturnType<typeof readAccessHistory>>['items'] = [];
    const cursors: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await readAccessHistory(
        { ...request, ...(cursor === undefined ? {} : { cursor }) },
        deps(),
      );
      items.push(...page.items);
      sizes.push(page.items.length);
      cursor = page.cursor;
      if (cursor !== undefined) cursors.push(cursor);
    } while (cursor !== undefined && sizes.length < pages);
    return { items, cursors, sizes, ended: cursor === undefined };
  }

  it('pages through the history of 60 licenses: every event once, newest first, each cursor within the query’s 4096 characters', async () => {
    for (let i = 0; i < 60; i += 1) {
      const license = await world.issue(ZHANG_CARD!, { serial: `CARD${String(i).padStart(4, '0')}` });
      // Three licenses share each minute, and both opens of a license its millisecond: ties break by event id.
      world.clock.set(`2025-06-01T03:${String(Math.floor(i / 3)).padStart(2, '0')}:00.000Z`);
      for (let n = 0; n < 2; n += 1) {
        await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: license.id }, deps());
      }
    }
    const opened = world.audit.events.filter((e) => e.action === 'license.holder_viewed');
    expect(opened).toHaveLength(120);

    for (const limit of [50, 7, 100]) {
      const { items, cursors, ended } = await allPages({ account: ACCOUNTS.zhang, limit });

      expect(ended).toBe(true);
      expect(items.map((e) => e.eventId).sort()).toEqual(opened.map((e) => e.id).sort());
      const order = items.map((e) => `${e.time}#${e.eventId}`);
      expect(order).toEqual([...order].sort().reverse());
      expect(Math.max(...cursors.map((c) => c.length))).toBeLessThanOrEqual(4096);
    }
  });

  it('leaves out another holder’s versions without a short page, and ends', async () => {
    const at = (minute: number) =>
      world.clock.set(`2025-06-01T03:${String(minute).padStart(2, '0')}:00.000Z`);
    const v1 = await world.issue(ZHANG_CARD!);
    const lis = await world.issue(LI_CARD!);
    const open = (account: string, licenseId: string) => openHolderLicense({ account, licenseId }, deps());
    for (const [minute, account, licenseId] of [
      [1, ACCOUNTS.li, lis.id],
      [2, ACCOUNTS.li, lis.id],
      [3, ACCOUNTS.zhang, v1.id],
      [4, ACCOUNTS.zhang, v1.id],
      [5, ACCOUNTS.zhang, v1.id],
      [6, ACCOUNTS.li, lis.id],
      [7, ACCOUNTS.zhang, v1.id],
      [8, ACCOUNTS.zhang, v1.id],
    ] as const) {
      at(minute);
      await open(account, licenseId);
    }
    const v2 = await world.issue(
      { ...ZHANG_CARD!, holder: DEMO_HOLDERS.liXiaoyan, data: LI_CARD!.data },
      { version: '002' },
    );
    world.licenses.setStatus(v1.id, 'superseded', v2.id);
    for (const minute of [9, 10]) {
      at(minute);
      await open(ACCOUNTS.li, v2.id);
    }

    const { items, sizes, ended } = await allPages({ account: ACCOUNTS.li, limit: 2 }, 10);

    expect(ended).toBe(true);
    expect(items.map((e) => [e.licenseId, e.time.slice(11, 16)])).toEqual([
      [v2.id, '03:10'],
      [v2.id, '03:09'],
      [lis.id, '03:06'],
      [lis.id, '03:02'],
      [lis.id, '03:01'],
    ]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('refuses a cursor it did not hand out, reading and recording nothing', async () => {
    await world.issue(ZHANG_CARD!);
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'not-json',
      cursorOf({ '1.2.156.3005.2.x': null }),
      cursorOf(['2025-06-01T03:00:00Z', 'evt-1']),
      cursorOf(['2025-06-01T03:00:00.000Z', 'evt 1']),
    ]) {
      await expect(readAccessHistory({ account: ACCOUNTS.zhang, cursor }, deps())).rejects.toBeInstanceOf(
        InvalidCursor,
      );
    }
    expect(world.audit.events).toEqual([]);
  });

  /** A retrieval by 公积金中心 of a license on a grant's code, refused with `code`. */
  async function refusedUse(grantCode: string, licenseId: string, code: string) {
    await expect(
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'k' },
          target: { licenseId },
          basis: { grant: { code: grantCode } },
        },
        deps(),
      ),
    ).rejects.toMatchObject({ code });
  }

  it('narrowed to one license, shows the refused uses of the grants covering it — of that license, and of its type — page by page', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const driving = await world.issue(ZHANG_DRIVING!);
    const ofCard = await createHolderGrant(grantTerms(card.id), deps());
    const ofType = await createHolderGrant(
      { ...grantTerms(card.id), scope: { typeCode: ZHANG_CARD!.typeCode } },
      deps(),
    );
    const ofDriving = await createHolderGrant({ ...grantTerms(driving.id), fields: ['姓名'] }, deps());
    world.clock.set('2025-06-01T02:01:00.000Z');
    for (const { grant } of [ofCard, ofType, ofDriving]) {
      await revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: grant.value.id }, deps());
    }
    world.clock.set('2025-06-01T02:02:00.000Z');
    await refusedUse(ofCard.code, card.id, 'GRANT_REVOKED');
    world.clock.set('2025-06-01T02:03:00.000Z');
    await refusedUse(ofType.code, card.id, 'GRANT_REVOKED');
    world.clock.set('2025-06-01T02:04:00.000Z');
    await refusedUse(ofDriving.code, driving.id, 'GRANT_REVOKED');

    const cards = await readAccessHistory({ account: ACCOUNTS.zhang, licenseId: card.id }, deps());
    const drivings = await readAccessHistory({ account: ACCOUNTS.zhang, licenseId: driving.id }, deps());

    const [cardGrant, typeGrant, drivingGrant] = [ofCard, ofType, ofDriving].map(
      ({ grant }) => grant.value.id,
    );
    // The type grant's creation and revocation are about the grant, not a use of the license.
    expect(cards.items.map((e) => [e.time.slice(11, 16), e.action, e.outcome, e.basis?.grantId])).toEqual([
      ['02:03', 'license.retrieved', 'denied', typeGrant],
      ['02:02', 'license.retrieved', 'denied', cardGrant],
      ['02:01', 'grant.revoked', 'success', cardGrant],
      ['02:00', 'grant.created', 'success', cardGrant],
    ]);
    expect(cards.items[0]).toMatchObject({
      actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
      typeCode: ZHANG_CARD!.typeCode,
    });
    expect(cards.cursor).toBeUndefined();
    expect(drivings.items.map((e) => [e.time.slice(11, 16), e.action, e.basis?.grantId])).toEqual([
      ['02:04', 'license.retrieved', drivingGrant],
      ['02:01', 'grant.revoked', drivingGrant],
      ['02:00', 'grant.created', drivingGrant],
    ]);
    for (const licenseId of [card.id, card.licenseKey]) {
      const paged = await allPages({ account: ACCOUNTS.zhang, limit: 1, licenseId });
      expect(paged.ended).toBe(true);
      expect(paged.items.map((e) => e.eventId)).toEqual(cards.items.map((e) => e.eventId));
    }
  });

  it('narrowed to one license, leaves out a grant of its type made after it was re-issued to another holder', async () => {
    const v1 = await world.issue(ZHANG_CARD!);
    const typeTerms = { ...grantTerms(v1.id), scope: { typeCode: ZHANG_CARD!.typeCode } };
    const during = await createHolderGrant(typeTerms, deps());
    world.clock.set('2025-06-01T02:01:00.000Z');
    const v2 = await world.issue(
      { ...ZHANG_CARD!, holder: DEMO_HOLDERS.liXiaoyan, data: LI_CARD!.data },
      { version: '002' },
    );
    world.licenses.setStatus(v1.id, 'superseded', v2.id);
    world.clock.set('2025-06-01T02:02:00.000Z');
    const after = await createHolderGrant(typeTerms, deps());
    world.clock.set('2025-06-01T02:03:00.000Z');
    for (const { grant } of [during, after]) {
      await revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: grant.value.id }, deps());
    }
    world.clock.set('2025-06-01T02:04:00.000Z');
    await refusedUse(during.code, v1.licenseKey, 'GRANT_REVOKED');
    world.clock.set('2025-06-01T02:05:00.000Z');
    await refusedUse(after.code, v1.licenseKey, 'GRANT_REVOKED');

    const zhangs = await readAccessHistory({ account: ACCOUNTS.zhang, licenseId: v1.id }, deps());
    const lis = await readAccessHistory({ account: ACCOUNTS.li, licenseId: v2.licenseKey }, deps());

    expect(zhangs.items.map((e) => [e.time.slice(11, 16), e.action, e.basis?.grantId])).toEqual([
      ['02:04', 'license.retrieved', during.grant.value.id],
    ]);
    expect(lis.items).toEqual([]);
  });

  it('reads the audit stream of no grant made after the position a page starts from', async () => {
    await world.issue(ZHANG_CARD!);
    const created: string[] = [];
    for (let day = 1; day <= 20; day += 1) {
      world.clock.set(`2025-06-${String(day).padStart(2, '0')}T02:00:00.000Z`);
      const { grant } = await createHolderGrant(
        {
          ...grantTerms(ZHANG_CARD!.typeCode),
          scope: { typeCode: ZHANG_CARD!.typeCode },
          expiresAt: '2026-01-01T00:00:00.000Z',
        },
        deps(),
      );
      created.unshift(grant.value.id);
    }
    const reads = vi.spyOn(world.licenseAudit, 'readByGrant');

    const items: string[] = [];
    const readsPerPage: number[] = [];
    let cursor: string | undefined;
    do {
      reads.mockClear();
      const page = await readAccessHistory(
        { account: ACCOUNTS.zhang, limit: 5, ...(cursor === undefined ? {} : { cursor }) },
        deps(),
      );
      readsPerPage.push(reads.mock.calls.length);
      items.push(...page.items.map((e) => e.basis?.grantId ?? ''));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(items).toEqual(created);
    // Each page below the first reads the grants made up to its position only (20 grants, one a day).
    expect(readsPerPage).toEqual([20, 16, 11, 6]);
  });

  it('narrows to one license, and reads another holder’s as not found', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const driving = await world.issue(ZHANG_DRIVING!);
    const lis = await world.issue(LI_CARD!);
    await createHolderGrant(grantTerms(card.id), deps());
    await createHolderGrant({ ...grantTerms(driving.id), fields: ['姓名'] }, deps());

    const history = await readAccessHistory({ account: ACCOUNTS.zhang, licenseId: driving.id }, deps());

    expect(history.items.map((e) => e.licenseId)).toEqual([licenseKeyOf(driving.id)]);
    await expect(
      readAccessHistory({ account: ACCOUNTS.zhang, licenseId: lis.id }, deps()),
    ).rejects.toBeInstanceOf(LicenseNotFound);
  });
});

describe('the reads carry the id of the audit event they were recorded as', () => {
  it('the grant list: the holder.grants_listed event written before it answered', async () => {
    const card = await world.issue(ZHANG_CARD!);
    await createHolderGrant(grantTerms(card.id), deps());

    const listed = await listHolderGrants({ account: ACCOUNTS.zhang }, deps());

    const written = world.audit.events.at(-1)!;
    expect(written).toMatchObject({ action: 'holder.grants_listed', details: { grants: 1 } });
    expect(listed.auditEventId).toBe(written.id);
  });

  it('the access history: the holder.access_history_read event written before it answered', async () => {
    const card = await world.issue(ZHANG_CARD!);
    await createHolderGrant(grantTerms(card.id), deps());

    const history = await readAccessHistory({ account: ACCOUNTS.zhang }, deps());

    const written = world.audit.events.at(-1)!;
    expect(written).toMatchObject({ action: 'holder.access_history_read', details: { events: 1 } });
    expect(history.auditEventId).toBe(written.id);
    expect(history.items.map((e) => e.eventId)).not.toContain(history.auditEventId);
  });

  it('neither answers when its event cannot be written', async () => {
    const card = await world.issue(ZHANG_CARD!);
    await createHolderGrant(grantTerms(card.id), deps());
    world.audit.failing = true;

    await expect(listHolderGrants({ account: ACCOUNTS.zhang }, deps())).rejects.toThrow(/audit/);
    await expect(readAccessHistory({ account: ACCOUNTS.zhang }, deps())).rejects.toThrow(/audit/);
  });
});

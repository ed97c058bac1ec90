// The holder API over HTTP against the local platform, with tokens of the development OIDC issuer
// for the demo accounts that `npm start` proofs: my licenses, grants (用证授权) that the relying
// agency retrieves with, presentations (出示码) that a verifier resolves and checks, and the
// access history that shows all of it — and every refusal: another holder's license or grant
// reads as not found, an unproofed account is refused with 403, a bad token with 401.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fromBase64url } from '#core/jws.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import {
  DEMO_HOLDERS,
  DEMO_LICENSES,
  DEMO_SERVICE_ITEM,
  DEMO_USCC,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import { createHolderClient, type HolderClient, resolvePresentation } from '../../sdk/holder.ts';
import { createRetrievalClient, type RetrievalClient } from '../../sdk/retrieval.ts';
import { idCardRequest, psb } from './issuer-support.ts';
import { holderToken, mintHolderToken } from './support/holder-tokens.ts';
import { refusal } from './support/refusals.ts';
import { PlatformStorage } from './support/stored-licenses.ts';

const endpoint = inject('platformUrl');
const ZHANG_CARD = DEMO_LICENSES[0]!;
const LI_CARD = DEMO_LICENSES[1]!;
const PURPOSE = '办理住房公积金提取';

let storage: PlatformStorage;
let zhang: HolderClient;
let li: HolderClient;
let fundCentre: RetrievalClient;

beforeAll(async () => {
  storage = await PlatformStorage.open({
    url: endpoint,
    dataDir: inject('platformDataDir'),
    endpoints: inject('platformEndpoints'),
  });
  zhang = createHolderClient({ endpoint, token: await holderToken('zhangweiming') });
  li = createHolderClient({ endpoint, token: await holderToken('lixiaoyan') });
  fundCentre = createRetrievalClient({
    endpoint,
    keyId: 'demo-hpf-1',
    privateKey: demoPrivateKey('demo-hpf-1', 'ecdsa-p256-sha256'),
    algorithm: 'ecdsa-p256-sha256',
  });
});

afterAll(() => storage.close());

async function problemOf(call: Promise<unknown>): Promise<{ status: number; type: string; code?: string }> {
  const error = await refusal(call);
  return { status: error.status, type: error.problem.type, code: error.problem.code };
}

function disclosedNames(presentation: string): string[] {
  return presentation
    .split('~')
    .slice(1, -1)
    .map((d) => (JSON.parse(fromBase64url(d).toString('utf8')) as [string, string, unknown])[1]);
}

async function verify(
  presentation: string,
): Promise<{ valid: boolean; claims?: { fields: Record<string, unknown> } }> {
  const response = await fetch(`${endpoint}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ presentation }),
  });
  return (await response.json()) as { valid: boolean; claims?: { fields: Record<string, unknown> } };
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('my licenses', () => {
  it('lists the holder’s licenses with today’s status, and none of another holder', async () => {
    const valid = await storage.issue(ZHANG_CARD);
    const revoked = await storage.issue(ZHANG_CARD);
    await storage.changeStatus(revoked, 'revoked');
    const expired = await storage.issue(ZHANG_CARD, { validUntil: '2020-01-01' });
    const lis = await storage.issue(LI_CARD);

    const { licenses } = await zhang.licenses();

    const statusOf = (id: string) => licenses.find((l) => l.licenseId === id)?.status;
    expect(statusOf(valid.record.id)).toBe('valid');
    expect(statusOf(revoked.record.id)).toBe('revoked');
    expect(statusOf(expired.record.id)).toBe('expired');
    expect(statusOf(lis.record.id)).toBeUndefined();
    expect(licenses.find((l) => l.licenseId === valid.record.id)).toMatchObject({
      licenseVersion: '001',
      current: true,
      typeName: { zh: '居民身份证' },
    });
  });

  it('opens one license with its data and a working layout-document link, audited', async () => {
    const license = await storage.issue(ZHANG_CARD, { withDocument: true });
    const before = new Date();

    const detail = await zhang.license(license.record.id);

    expect(detail.fields).toEqual(license.data);
    expect(detail.credential).toBe(license.sdJwt);
    const download = await fetch(detail.document!.url);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('base64url')).toBe(detail.document!.sha256);
    expect(await storage.auditEvent(detail.auditEventId, before)).toMatchObject({
      action: 'license.holder_viewed',
      actor: { kind: 'holder' },
      subject: { licenseId: license.record.id },
    });
  });

  it('reads another holder’s license as not found (404, never 403), by identifier and by key', async () => {
    const license = await storage.issue(ZHANG_CARD);
    const key = license.record.licenseKey;

    expect(await problemOf(li.license(license.record.id))).toMatchObject({ status: 404 });
    expect(await problemOf(li.license(key))).toMatchObject({ status: 404 });
    expect(await problemOf(li.accessHistory({ licenseId: key }))).toMatchObject({ status: 404 });
  });
});

describe('the citizen story: grant → agency retrieves → holder sees it → holder revokes → retrieval fails', () => {
  it('runs end to end over the holder routes and the existing retrieval route', async () => {
    const license = await storage.issue(ZHANG_CARD);
    const { grant, code } = await zhang.createGrant({
      scope: { licenseId: license.record.id },
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: PURPOSE,
      fields: ['姓名', '出生'],
      expiresAt: inAnHour(),
      maxUses: 3,
    });
    expect(grant).not.toHaveProperty('holderIndex');

    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } });
    expect(retrieval.disclosed.sort()).toEqual(['出生', '姓名']);

    const history = await zhang.accessHistory({ licenseId: license.record.id });
    expect(history.items[0]).toMatchObject({
      eventId: retrieval.auditEventId,
      action: 'license.retrieved',
      actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
      basis: { kind: 'grant', grantId: grant.id, purpose: PURPOSE },
      licenseId: license.record.id,
    });
    expect(history.items.map((e) => e.action)).toContain('grant.created');
    expect((await zhang.grants()).items.find((g) => g.id === grant.id)).toMatchObject({ uses: 1 });

    expect(await problemOf(li.revokeGrant(grant.id))).toMatchObject({ status: 404 });
    expect(await zhang.revokeGrant(grant.id, '不再办理')).toMatchObject({ status: 'revoked' });
    expect(
      await problemOf(fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } })),
    ).toMatchObject({ status: 403, code: 'GRANT_REVOKED' });
    // Newest first: the refused use of the revoked grant, then the revocation.
    const [refused, revoked] = (await zhang.accessHistory({ licenseId: license.record.id })).items;
    expect(refused).toMatchObject({
      action: 'license.retrieved',
      outcome: 'denied',
      actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
      basis: { kind: 'grant', grantId: grant.id },
    });
    expect(revoked).toMatchObject({ action: 'grant.revoked', actor: { kind: 'holder' } });
  });

  it('shows a duty-based retrieval with its service item and case number', async () => {
    const license = await storage.issue(ZHANG_CARD);
    const caseNumber = `GJJTQ-${randomUUID().slice(0, 8)}`;

    const retrieval = await fundCentre.retrieve({
      licenseId: license.record.id,
      basis: {
        duty: { serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber, operatorId: 'hpf-operator-007' },
      },
    });

    const { items } = await zhang.accessHistory({ licenseId: license.record.licenseKey });
    expect(items.find((e) => e.eventId === retrieval.auditEventId)).toMatchObject({
      basis: { kind: 'duty', serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber },
    });
  });

  it('cannot grant another holder’s license, nor a field the type lacks', async () => {
    const lis = await storage.issue(LI_CARD);
    const terms = {
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: PURPOSE,
      fields: ['姓名'],
      expiresAt: inAnHour(),
      maxUses: 1,
    };

    expect(
      await problemOf(zhang.createGrant({ ...terms, scope: { licenseId: lis.record.id } })),
    ).toMatchObject({
      status: 404,
    });
    expect(
      await problemOf(
        zhang.createGrant({ ...terms, scope: { typeCode: LI_CARD.typeCode }, fields: ['血型'] }),
      ),
    ).toMatchObject({ status: 400 });
  });
});

describe('the reads of grants and of the access history', () => {
  it('carry the auditEventId of the event each wrote before it answered', async () => {
    const license = await storage.issue(ZHANG_CARD);
    const { grant } = await zhang.createGrant({
      scope: { licenseId: license.record.id },
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: PURPOSE,
      fields: ['姓名'],
      expiresAt: inAnHour(),
      maxUses: 1,
    });
    const before = new Date();

    const grants = await zhang.grants({ limit: 5 });
    const history = await zhang.accessHistory({ licenseId: license.record.id });

    expect(grants.items.map((g) => g.id)).toContain(grant.id);
    const listed = await storage.auditEvent(grants.auditEventId, before);
    expect(listed).toMatchObject({
      actor: { kind: 'holder' },
      action: 'holder.grants_listed',
      outcome: 'success',
      details: { grants: grants.items.length },
    });
    expect(history.items.map((e) => e.action)).toEqual(['grant.created']);
    const read = await storage.auditEvent(history.auditEventId, before);
    expect(read).toMatchObject({
      actor: { kind: 'holder', id: listed!.actor.id },
      action: 'holder.access_history_read',
      outcome: 'success',
      details: { licenses: 1, events: 1, licenseId: license.record.id },
    });
  });
});

describe('the access history after a re-issue to another holder', () => {
  it('shows each holder only the events of the versions that were theirs', async () => {
    const first = await psb.issueLicense(idCardRequest());
    const { grant, code } = await zhang.createGrant({
      scope: { licenseId: first.licenseId },
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: '张的私事',
      fields: ['姓名'],
      expiresAt: inAnHour(),
      maxUses: 1,
    });
    const onZhangsGrant = await fundCentre.retrieve({
      licenseId: first.licenseId,
      basis: { grant: { code } },
    });
    const holder = DEMO_HOLDERS.liXiaoyan;
    const second = await psb.reissue(first.licenseId, {
      reason: '更正持证主体',
      holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
      data: LI_CARD.data,
    });
    const caseNumber = `GJJTQ-${randomUUID().slice(0, 8)}`;
    const onLisDuty = await fundCentre.retrieve({
      licenseId: second.licenseId,
      basis: {
        duty: { serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber, operatorId: 'hpf-operator-007' },
      },
    });

    const lis = (await li.accessHistory({ licenseId: second.licenseId })).items;
    const zhangs = (await zhang.accessHistory({ licenseId: first.licenseId })).items;

    expect(lis.map((e) => e.eventId)).toContain(onLisDuty.auditEventId);
    expect(lis.every((e) => e.licenseVersion === '002')).toBe(true);
    expect(lis.some((e) => e.basis?.grantId === grant.id)).toBe(false);
    expect(zhangs.map((e) => e.eventId)).toContain(onZhangsGrant.auditEventId);
    expect(zhangs.find((e) => e.action === 'grant.created')).toMatchObject({ basis: { grantId: grant.id } });
    expect(zhangs.some((e) => e.licenseVersion === '002' || e.basis?.caseNumber === caseNumber)).toBe(false);
  });
});

describe('my licenses after a re-issue to another holder', () => {
  it('the earlier holder still lists their version as no longer theirs, and can neither grant nor present it', async () => {
    const first = await psb.issueLicense(idCardRequest());
    const holder = DEMO_HOLDERS.liXiaoyan;
    const second = await psb.reissue(first.licenseId, {
      reason: '更正持证主体',
      holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
      data: LI_CARD.data,
    });

    const key = licenseKeyOf(first.licenseId);
    const zhangs = (await zhang.licenses()).licenses.filter((l) => l.licenseKey === key);
    const lis = (await li.licenses()).licenses.filter((l) => l.licenseKey === key);

    expect(zhangs).toEqual([
      expect.objectContaining({
        licenseId: first.licenseId,
        status: 'superseded',
        current: false,
        former: true,
      }),
    ]);
    expect(zhangs[0]).not.toHaveProperty('supersededBy');
    expect(lis.map((l) => [l.licenseId, l.current, l.former])).toEqual([[second.licenseId, true, false]]);
    expect((await zhang.license(first.licenseId)).license).toMatchObject({ former: true, current: false });
    expect(
      await problemOf(
        zhang.createGrant({
          scope: { licenseId: first.licenseId },
          relyingAgency: DEMO_USCC.housingProvidentFundCentre,
          purpose: PURPOSE,
          fields: ['姓名'],
          expiresAt: inAnHour(),
          maxUses: 1,
        }),
      ),
    ).toMatchObject({ status: 404 });
    expect(await problemOf(zhang.present({ licenseId: first.licenseId, fields: ['姓名'] }))).toMatchObject({
      status: 404,
    });
  });
});

describe('the access history in pages', () => {
  it('continues below the last entry of a page with a cursor whose size does not grow with the licenses', async () => {
    for (let n = 0; n < 3; n += 1) await zhang.license((await storage.issue(ZHANG_CARD)).record.id);

    const first = await zhang.accessHistory({ limit: 2 });
    const second = await zhang.accessHistory({ limit: 2, cursor: first.cursor! });

    const position = (e: { time: string; eventId: string }) => `${e.time}#${e.eventId}`;
    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(2);
    expect(position(second.items[0]!) < position(first.items[1]!)).toBe(true);
    expect(first.cursor!.length).toBeLessThan(200);
  });
});

describe('presentations', () => {
  it('a reference resolves once for a verifier without credentials, verifies, and then is used up', async () => {
    const license = await storage.issue(ZHANG_CARD);
    const created = await zhang.present({ licenseId: license.record.id, fields: ['姓名', '性别'] });
    expect(created.form).toBe('reference');
    expect(created.url).toBe(`${endpoint}/presentations/${created.reference}`);

    const response = await fetch(created.url!, { headers: { 'user-agent': 'e2e-counter/1.0' } });
    expect(response.status).toBe(200);
    const resolved = (await response.json()) as { presentation: string };

    expect(disclosedNames(resolved.presentation).sort()).toEqual(['姓名', '性别']);
    expect((await verify(resolved.presentation)).claims?.fields).toEqual({ 姓名: '张伟明', 性别: '男' });
    expect(await problemOf(resolvePresentation(endpoint, created.reference!))).toMatchObject({
      status: 404,
      code: 'PRESENTATION_USED_UP',
    });
    // Both the resolution and the verification through POST /verify are in the history.
    const { items } = await zhang.accessHistory({ licenseId: license.record.id });
    expect(items.map((item) => item.action)).toEqual(
      expect.arrayContaining(['license.verified', 'presentation.resolved']),
    );
    const resolution = items.find((item) => item.action === 'presentation.resolved');
    expect(resolution).toMatchObject({ actor: { kind: 'system' } });
    const event = await storage.auditEvent(resolution!.eventId, new Date());
    expect(event?.details).toMatchObject({ userAgent: 'e2e-counter/1.0', sourceIp: expect.any(String) });
  });

  it('the SD-JWT form hands the app a presentation of the chosen fields that verifies', async () => {
    const license = await storage.issue(ZHANG_CARD);

    const created = await zhang.present({
      licenseId: license.record.id,
      fields: ['出生'],
      form: 'sd-jwt',
      audience: 'https://bank.example',
      nonce: 'n-123',
    });

    expect(disclosedNames(created.presentation!)).toEqual(['出生']);
    expect(await verify(created.presentation!)).toMatchObject({
      valid: true,
      claims: { fields: { 出生: '1990-03-07' } },
    });
  });

  it('an unknown reference, another holder’s license and a revoked license are refused', async () => {
    const lis = await storage.issue(LI_CARD);
    const revoked = await storage.issue(ZHANG_CARD);
    await storage.changeStatus(revoked, 'revoked');

    expect(await problemOf(resolvePresentation(endpoint, 'A'.repeat(24)))).toMatchObject({
      status: 404,
      code: 'PRESENTATION_NOT_FOUND',
    });
    expect(await problemOf(zhang.present({ licenseId: lis.record.id, fields: ['姓名'] }))).toMatchObject({
      status: 404,
    });
    expect(await problemOf(zhang.present({ licenseId: revoked.record.id, fields: ['姓名'] }))).toMatchObject({
      status: 409,
    });
  });
});

describe('who may call the holder routes', () => {
  it('an account without a proofed identity is refused with 403 identity-not-proofed', async () => {
    const unproofed = createHolderClient({ endpoint, token: await mintHolderToken({ sub: randomUUID() }) });

    // One call at a time: a promise made before the previous one is awaited could reject unheard.
    for (const call of [
      () => unproofed.licenses(),
      () => unproofed.grants(),
      () => unproofed.accessHistory(),
    ]) {
      expect(await problemOf(call())).toMatchObject({
        status: 403,
        type: 'urn:elicense:problem:identity-not-proofed',
      });
    }
  });

  it('an expired token and a token for another client are refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const token of [
      await mintHolderToken({ iat: now - 7200, exp: now - 3600 }),
      await mintHolderToken({ aud: 'another-app', client_id: 'another-app' }),
    ]) {
      const client = createHolderClient({ endpoint, token });
      expect(await problemOf(client.licenses())).toMatchObject({ status: 401 });
      expect(await problemOf(client.present({ licenseId: 'x'.repeat(20), fields: ['姓名'] }))).toMatchObject({
        status: 401,
      });
    }
  });
});

// License applications over HTTP against the local platform (申请 → 审核 → 颁发): fresh holder
// accounts proofed through POST /holder/proofings (the development-only provider) apply with
// data and a PDF; the public security bureau asks for more, the holder answers, the bureau
// approves — and the license is in the holder's own list. Every refusal on both sides too:
// unproofed, someone else's name, bad fields, another holder's or another agency's application
// (404), steps out of order (409), approving twice (issued once).
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEVELOPMENT_ONLY_EVIDENCE_TOKEN } from '#adapters/local/development-only-proofing-provider.ts';
import { addYears } from '#core/civil-date.ts';
import { chinaCalendarDate, citizenIdCheckChar } from '#core/identifiers/citizen-id.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { minimalPdf, minimalPng } from '../fixtures/layout-documents.ts';
import { agencyClient } from './issuer-support.ts';
import { mintHolderToken } from './support/holder-tokens.ts';
import { idempotencyRecordsMentioning } from './support/idempotency-records.ts';
import { PlatformStorage } from './support/stored-licenses.ts';

const base = inject('platformUrl');
const psb = agencyClient('demo-psb-1');
const amr = agencyClient('demo-amr-1');
const today = chinaCalendarDate(new Date());

interface Applicant {
  account: string;
  code: string;
  name: string;
  headers: Record<string, string>;
}

interface ApplicationBody {
  id: string;
  state: string;
  version: number;
  agency: string;
  licenseId?: string;
  data: Record<string, unknown>;
  attachments: { sha256: string; size: number; mediaType: string; download: { url: string } }[];
  history: {
    seq: number;
    action: string;
    note?: string;
    actor: { kind: string; id: string };
    licenseId?: string;
  }[];
}

/** A citizen identity number nobody else in this run holds: random birth day and sequence. */
function freshCitizenId(): string {
  const birth = `19${randomInt(50, 99)}${String(randomInt(1, 13)).padStart(2, '0')}${String(randomInt(1, 29)).padStart(2, '0')}`;
  const first17 = `330102${birth}${String(randomInt(0, 1000)).padStart(3, '0')}`;
  return first17 + citizenIdCheckChar(first17);
}

/** A new holder account, proofed as a new citizen through the development-only provider. */
async function newApplicant(proof = true): Promise<Applicant> {
  const account = randomUUID();
  const code = freshCitizenId();
  const name = '赵申请';
  const headers = { authorization: `Bearer ${await mintHolderToken({ sub: account })}` };
  if (proof) {
    const response = await fetch(`${base}/holder/proofings`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'development-only',
        identity: { codeType: '111', code, name },
        evidence: { token: DEVELOPMENT_ONLY_EVIDENCE_TOKEN },
      }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
  }
  return { account, code, name, headers };
}

function idCardData(applicant: Applicant, data: Record<string, unknown> = {}) {
  return {
    ...DEMO_LICENSES[0]!.data,
    姓名: applicant.name,
    公民身份号码: undefined,
    有效期限: { from: today, until: addYears(today, 20) },
    ...data,
  };
}

async function asHolder(applicant: Applicant, method: string, path: string, json?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...applicant.headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function asAgency(client = psb, method: string, path: string, json?: unknown) {
  const response = await client.request(method, path, {
    ...(json === undefined ? {} : { json }),
    ...(method === 'POST' ? { headers: { 'idempotency-key': randomUUID() } } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function apply(applicant: Applicant, extra: Record<string, unknown> = {}): Promise<ApplicationBody> {
  const { status, body } = await asHolder(applicant, 'POST', '/holder/applications', {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    data: idCardData(applicant),
    ...extra,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as unknown as ApplicationBody;
}

let applicant: Applicant;

beforeAll(async () => {
  applicant = await newApplicant();
});

describe('the lists of applications', () => {
  let storage: PlatformStorage;
  beforeAll(async () => {
    storage = await PlatformStorage.open({
      url: base,
      dataDir: inject('platformDataDir'),
      endpoints: inject('platformEndpoints'),
    });
  });
  afterAll(() => storage.close());

  it('are audited before they answer: application.listed, naming the reader and the application ids shown', async () => {
    const holder = await newApplicant();
    const applied = await apply(holder);
    const before = new Date();

    const mine = await asHolder(holder, 'GET', '/holder/applications');
    const queue = await asAgency(psb, 'GET', '/applications?state=submitted');

    expect(mine.status).toBe(200);
    expect(await storage.auditEvent(mine.body.auditEventId as string, before)).toMatchObject({
      actor: { kind: 'holder', id: holder.account },
      action: 'application.listed',
      outcome: 'success',
      details: { applications: 1, applicationIds: [applied.id] },
    });
    expect(queue.status).toBe(200);
    const shown = (queue.body.applications as { id: string }[]).map((a) => a.id);
    expect(shown).toContain(applied.id);
    const event = await storage.auditEvent(queue.body.auditEventId as string, before);
    expect(event).toMatchObject({
      actor: { kind: 'agency', id: DEMO_USCC.publicSecurityBureau },
      action: 'application.listed',
      details: { state: 'submitted', applications: shown.length, applicationIds: shown },
    });
    expect(JSON.stringify(event)).not.toContain(holder.code);
  });

  it('one application, read by its holder or by the agency, carries the auditEventId of its application.viewed event', async () => {
    const holder = await newApplicant();
    const applied = await apply(holder);
    const before = new Date();

    const mine = await asHolder(holder, 'GET', `/holder/applications/${applied.id}`);
    const theirs = await asAgency(psb, 'GET', `/applications/${applied.id}`);

    expect(mine.status).toBe(200);
    expect(mine.body.id).toBe(applied.id);
    expect(await storage.auditEvent(mine.body.auditEventId as string, before)).toMatchObject({
      actor: { kind: 'holder', id: holder.account },
      action: 'application.viewed',
      outcome: 'success',
      details: { applicationId: applied.id, state: 'submitted' },
    });
    expect(theirs.status).toBe(200);
    expect(theirs.body.auditEventId).not.toBe(mine.body.auditEventId);
    expect(await storage.auditEvent(theirs.body.auditEventId as string, before)).toMatchObject({
      actor: { kind: 'agency', id: DEMO_USCC.publicSecurityBureau },
      action: 'application.viewed',
      details: { applicationId: applied.id },
    });
  });
});

describe('apply → request info → respond → approve → the license is the holder’s', () => {
  it('runs the whole review over HTTP, each step in the history both sides read', async () => {
    const scan = minimalPdf('户口簿');
    const applied = await apply(applicant, {
      data: idCardData(applicant, { 住址: '旧住址' }),
      note: '首次申领',
      attachments: [{ mediaType: 'application/pdf', content: base64(scan) }],
    });
    expect(applied).toMatchObject({ state: 'submitted', version: 1, agency: DEMO_USCC.publicSecurityBureau });
    expect(applied.data.公民身份号码).toBe(applicant.code);
    expect(applied.attachments).toHaveLength(1);

    // The bureau's queue has it; its read shows the data and the attachment, bound by digest.
    const queue = await asAgency(psb, 'GET', '/applications?state=submitted');
    expect(queue.status).toBe(200);
    expect((queue.body.applications as { id: string }[]).map((a) => a.id)).toContain(applied.id);
    expect(JSON.stringify(queue.body)).not.toContain(applicant.code);
    const read = await asAgency(psb, 'GET', `/applications/${applied.id}`);
    expect(read.status).toBe(200);
    const seen = read.body as unknown as ApplicationBody;
    expect(seen.data.住址).toBe('旧住址');
    const download = await fetch(seen.attachments[0]!.download.url);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('base64url')).toBe(seen.attachments[0]!.sha256);

    const asked = await asAgency(psb, 'POST', `/applications/${applied.id}/request-info`, {
      note: '请更正住址，并补充户口簿首页',
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect(asked.body.state).toBe('info-requested');
    const waiting = await asAgency(psb, 'GET', '/applications?state=info-requested');
    expect((waiting.body.applications as { id: string }[]).map((a) => a.id)).toContain(applied.id);

    const holderSees = await asHolder(applicant, 'GET', `/holder/applications/${applied.id}`);
    expect(holderSees.status).toBe(200);
    expect((holderSees.body as unknown as ApplicationBody).history.at(-1)).toMatchObject({
      action: 'request-info',
      note: '请更正住址，并补充户口簿首页',
      actor: { kind: 'agency', id: DEMO_USCC.publicSecurityBureau },
    });

    const answered = await asHolder(applicant, 'POST', `/holder/applications/${applied.id}/respond`, {
      note: '已更正',
      data: { 住址: '演示市示例区新路1号' },
      attachments: [
        { mediaType: 'application/pdf', content: base64(minimalPdf('户口簿首页')) },
        { mediaType: 'image/png', content: base64(minimalPng()) },
      ],
    });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body).toMatchObject({ state: 'submitted', version: 3 });
    const attached = (answered.body as unknown as ApplicationBody).attachments;
    expect(attached.map((a) => a.mediaType)).toEqual(['application/pdf', 'application/pdf', 'image/png']);
    // The photo is served back as the image it is.
    const photo = await fetch(attached[2]!.download.url);
    expect(photo.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await photo.arrayBuffer()).equals(Buffer.from(minimalPng()))).toBe(true);

    const approved = await asAgency(psb, 'POST', `/applications/${applied.id}/approve`, {
      data: { 签发机关: '演示市公安局示例分局' },
      note: '准予颁发',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const { licenseId } = approved.body.license as { licenseId: string };
    expect(approved.body.application).toMatchObject({ state: 'approved', licenseId });

    // The license is the applicant's: in their own list, with the corrected data.
    const mine = await asHolder(applicant, 'GET', '/holder/licenses');
    expect(mine.status).toBe(200);
    expect((mine.body.licenses as { licenseId: string }[]).map((l) => l.licenseId)).toContain(licenseId);
    const license = await asHolder(applicant, 'GET', `/holder/licenses/${encodeURIComponent(licenseId)}`);
    expect(license.status).toBe(200);
    expect(license.body.fields).toMatchObject({
      公民身份号码: applicant.code,
      住址: '演示市示例区新路1号',
      签发机关: '演示市公安局示例分局',
    });

    const final = (await asHolder(applicant, 'GET', `/holder/applications/${applied.id}`))
      .body as unknown as ApplicationBody;
    expect(final.history.map((s) => s.action)).toEqual([
      'submit',
      'request-info',
      'respond',
      'approve',
      'issue',
    ]);
    expect(final.history.slice(-2)).toMatchObject([
      { to: 'approving', note: '准予颁发' },
      { to: 'approved', licenseId },
    ]);
    const listed = await asHolder(applicant, 'GET', '/holder/applications');
    expect(listed.body.applications).toEqual([
      expect.objectContaining({ id: applied.id, state: 'approved' }),
    ]);
  });

  it('approving twice issues once: a retry with the same key gets the same answer, another key 409', async () => {
    const holder = await newApplicant();
    const applied = await apply(holder);
    const key = randomUUID();
    const approve = () =>
      psb.request('POST', `/applications/${applied.id}/approve`, {
        json: {},
        headers: { 'idempotency-key': key },
      });
    const first = await approve();
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { license: { licenseId: string } };
    const retry = await approve();
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as typeof firstBody).license.licenseId).toBe(firstBody.license.licenseId);
    const again = await asAgency(psb, 'POST', `/applications/${applied.id}/approve`, {});
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:elicense:problem:conflict');
    const mine = await asHolder(holder, 'GET', '/holder/licenses');
    expect((mine.body.licenses as unknown[]).length).toBe(1);
  });
});

describe('what an Idempotency-Key remembers of a review step', () => {
  /** The answer without its attachment links, which are signed afresh on every answer. */
  const withoutLinks = (view: ApplicationBody) => ({
    ...view,
    attachments: view.attachments.map(({ download: _, ...a }) => a),
  });

  it('keeps no applicant data, notes or links: a repeat answers the same application, with links that work', async () => {
    const holder = await newApplicant();
    const scan = minimalPdf('户口簿');
    const steps = [
      ['request-info', { note: `请补充户口簿首页 ${randomUUID()}` }],
      ['reject', { reason: `照片不符合要求 ${randomUUID()}` }],
    ] as const;
    for (const [step, json] of steps) {
      const applied = await apply(holder, {
        attachments: [{ mediaType: 'application/pdf', content: base64(scan) }],
      });
      const key = randomUUID();
      const send = async () => {
        const response = await psb.request('POST', `/applications/${applied.id}/${step}`, {
          json,
          headers: { 'idempotency-key': key },
        });
        expect(response.status, step).toBe(200);
        return (await response.json()) as ApplicationBody;
      };
      const first = await send();
      const repeat = await send();
      expect(first.data.公民身份号码).toBe(holder.code);
      expect(withoutLinks(repeat)).toEqual(withoutLinks(first));
      const download = await fetch(repeat.attachments[0]!.download.url);
      expect(download.status).toBe(200);

      const records = await idempotencyRecordsMentioning(applied.id);
      expect(records, step).toHaveLength(1);
      for (const secret of [holder.code, holder.name, Object.values(json)[0], 'X-Amz-', 'download']) {
        expect(records[0], `${step}: ${secret}`).not.toContain(secret);
      }
    }
  });

  it('an approval keeps the application and license ids; a repeat answers the application as read again', async () => {
    const holder = await newApplicant();
    const applied = await apply(holder, {
      attachments: [{ mediaType: 'application/pdf', content: base64(minimalPdf('户口簿')) }],
    });
    const key = randomUUID();
    const note = `准予颁发 ${randomUUID()}`;
    const approve = async () => {
      const response = await psb.request('POST', `/applications/${applied.id}/approve`, {
        json: { note },
        headers: { 'idempotency-key': key },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { application: ApplicationBody; license: { licenseId: string } };
    };
    const first = await approve();
    const repeat = await approve();
    expect(first.application).toMatchObject({ state: 'approved', licenseId: first.license.licenseId });
    expect(first.application.data.公民身份号码).toBe(holder.code);
    expect(repeat.license).toEqual(first.license);
    expect(withoutLinks(repeat.application)).toEqual(withoutLinks(first.application));
    expect((await fetch(repeat.application.attachments[0]!.download.url)).status).toBe(200);

    const [record, ...more] = await idempotencyRecordsMentioning(applied.id);
    expect(more).toEqual([]);
    expect(record).toContain(first.license.licenseId);
    for (const secret of [holder.code, holder.name, note, 'X-Amz-', 'download']) {
      expect(record, secret).not.toContain(secret);
    }
  });
});

describe('rejection and withdrawal', () => {
  it('a rejection reaches the holder with its reason; nothing more happens to it', async () => {
    const holder = await newApplicant();
    const applied = await apply(holder);
    expect((await asAgency(psb, 'POST', `/applications/${applied.id}/reject`, {})).status).toBe(400);
    const rejected = await asAgency(psb, 'POST', `/applications/${applied.id}/reject`, {
      reason: '照片不符合要求',
    });
    expect(rejected.status).toBe(200);
    const seen = (await asHolder(holder, 'GET', `/holder/applications/${applied.id}`))
      .body as unknown as ApplicationBody;
    expect(seen.state).toBe('rejected');
    expect(seen.history.at(-1)).toMatchObject({ action: 'reject', note: '照片不符合要求' });
    const withdraw = await asHolder(holder, 'POST', `/holder/applications/${applied.id}/withdraw`, {});
    expect(withdraw.status).toBe(409);
  });

  it('a holder withdraws before a decision; the agency can no longer approve', async () => {
    const holder = await newApplicant();
    const applied = await apply(holder);
    const withdrawn = await asHolder(holder, 'POST', `/holder/applications/${applied.id}/withdraw`, {
      note: '不需要了',
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.state).toBe('withdrawn');
    const approve = await asAgency(psb, 'POST', `/applications/${applied.id}/approve`, {});
    expect(approve.status).toBe(409);
    expect((await asHolder(holder, 'GET', '/holder/licenses')).body.licenses).toEqual([]);
  });
});

describe('refusals', () => {
  it('an unproofed account may not apply (403 identity-not-proofed); no token is 401', async () => {
    const unproofed = await newApplicant(false);
    const refused = await asHolder(unproofed, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(unproofed),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:elicense:problem:identity-not-proofed');
    const anonymous = await fetch(`${base}/holder/applications`);
    expect(anonymous.status).toBe(401);
  });

  it('nobody applies in someone else’s name, nor a citizen for a company’s type (403)', async () => {
    const other = await asHolder(applicant, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(applicant, { 公民身份号码: DEMO_HOLDERS.zhangWeiming.code }),
    });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('NOT_THE_APPLICANT');
    const company = await asHolder(applicant, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.businessLicense,
      data: DEMO_LICENSES[4]!.data,
    });
    expect(company.status).toBe(403);
  });

  it('bad data is refused at submission with one error per field', async () => {
    const refused = await asHolder(applicant, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(applicant, { 性别: '未知', 出生: '1990-13-01', 颜色: '蓝' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.type).toBe('urn:elicense:problem:validation-failed');
    expect((refused.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'data.出生',
      'data.性别',
      'data.颜色',
    ]);
  });

  it('a control character in the data or a note is refused with 400 and nothing is submitted; a note keeps its line breaks', async () => {
    const before = await asHolder(applicant, 'GET', '/holder/applications');
    const refused = await asHolder(applicant, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(applicant, { 住址: '\u0007\u001b[31m', 签发机关: 'a\u0000b' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: 'data.住址', code: 'control-character' }),
      expect.objectContaining({ path: 'data.签发机关', code: 'control-character' }),
    ]);
    const badNote = await asHolder(applicant, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(applicant),
      note: '首次\u0000申领',
    });
    expect(badNote.status).toBe(400);
    expect(badNote.body).toMatchObject({ type: 'urn:elicense:problem:validation-failed' });
    expect((await asHolder(applicant, 'GET', '/holder/applications')).body.applications).toEqual(
      before.body.applications,
    );

    const applied = await apply(applicant, { note: '首次申领\n户口簿见附件' });
    const asked = await asAgency(psb, 'POST', `/applications/${applied.id}/request-info`, {
      note: '请更正\u001b住址',
    });
    expect(asked.status).toBe(400);
    await asAgency(psb, 'POST', `/applications/${applied.id}/request-info`, { note: '请更正住址' });
    const answered = await asHolder(applicant, 'POST', `/holder/applications/${applied.id}/respond`, {
      data: { 住址: '演示市\u0000新路1号' },
    });
    expect(answered.status).toBe(400);
    expect(answered.body.errors).toEqual([
      expect.objectContaining({ path: 'data.住址', code: 'control-character' }),
    ]);
    await asHolder(applicant, 'POST', `/holder/applications/${applied.id}/respond`, { note: '已更正' });
    const approved = await asAgency(psb, 'POST', `/applications/${applied.id}/approve`, {
      data: { 签发机关: '演示市\u0085公安局' },
    });
    expect(approved.status).toBe(400);
    const read = (await asHolder(applicant, 'GET', `/holder/applications/${applied.id}`))
      .body as unknown as ApplicationBody;
    expect(read).toMatchObject({ state: 'submitted' });
    expect(read.history[0]!.note).toBe('首次申领\n户口簿见附件');
    await asAgency(psb, 'POST', `/applications/${applied.id}/reject`, { reason: '测试结束' });
  });

  it('an attachment that is not PDF, OFD, JPEG or PNG is refused with 415, one that is not what it says with 400, one over 2 MiB with 413, and nothing is submitted', async () => {
    const holder = await newApplicant();
    const refused = await asHolder(holder, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(holder),
      attachments: [{ mediaType: 'image/gif', content: base64(Buffer.from('GIF89a')) }],
    });
    expect(refused.status).toBe(415);
    const truncated = await asHolder(holder, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(holder),
      attachments: [{ mediaType: 'image/png', content: base64(new Uint8Array([137, 80, 78, 71])) }],
    });
    expect(truncated.status).toBe(400);
    expect(truncated.body.detail).toContain('declared as PNG');
    const oversized = await asHolder(holder, 'POST', '/holder/applications', {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData(holder),
      attachments: [{ mediaType: 'application/pdf', content: base64(new Uint8Array(2 * 1024 * 1024 + 1)) }],
    });
    expect(oversized.status).toBe(413);
    expect(oversized.body.code).toBe('ATTACHMENTS_TOO_LARGE');
    expect((await asHolder(holder, 'GET', '/holder/applications')).body.applications).toEqual([]);
  });

  it('the holder’s listings take no unknown query parameter: ?state is refused with 400, not ignored', async () => {
    const holder = await newApplicant();
    await apply(holder);
    const filtered = await asHolder(holder, 'GET', '/holder/applications?state=approved');
    expect(filtered.status).toBe(400);
    expect(filtered.body.type).toBe('urn:elicense:problem:validation-failed');
    expect(filtered.body.detail).toContain('state');
    const paged = await asHolder(holder, 'GET', '/holder/applications?limit=1');
    expect((paged.body.applications as unknown[]).length).toBe(1);
    // The other holder listings refuse what they do not know too, rather than ignore a misspelling.
    for (const path of ['/holder/grants?status=active', '/holder/access-history?licenceId=x']) {
      const refused = await asHolder(holder, 'GET', path);
      expect(refused.status, path).toBe(400);
      expect(refused.body.type).toBe('urn:elicense:problem:validation-failed');
    }
  });

  it('another holder’s application and another agency’s read as not found', async () => {
    const applied = await apply(applicant);
    const stranger = await newApplicant();
    expect((await asHolder(stranger, 'GET', `/holder/applications/${applied.id}`)).status).toBe(404);
    expect((await asHolder(stranger, 'POST', `/holder/applications/${applied.id}/withdraw`, {})).status).toBe(
      404,
    );
    const byAmr = await asAgency(amr, 'GET', `/applications/${applied.id}`);
    expect(byAmr.status).toBe(404);
    expect((await asAgency(amr, 'POST', `/applications/${applied.id}/approve`, {})).status).toBe(404);
    const amrQueue = await asAgency(amr, 'GET', '/applications');
    expect((amrQueue.body.applications as { id: string }[]).map((a) => a.id)).not.toContain(applied.id);
    expect((await asAgency(psb, 'GET', `/applications/${randomUUID()}`)).status).toBe(404);
    expect((await asAgency(psb, 'GET', '/applications/not-an-id')).status).toBe(404);
  });

  it('steps out of order are 409; an unknown state is 400', async () => {
    const applied = await apply(applicant);
    const respond = await asHolder(applicant, 'POST', `/holder/applications/${applied.id}/respond`, {
      note: '补充',
    });
    expect(respond.status).toBe(409);
    expect((await asAgency(psb, 'GET', '/applications?state=pending')).status).toBe(400);
    const noNote = await asAgency(psb, 'POST', `/applications/${applied.id}/request-info`, {});
    expect(noNote.status).toBe(400);
    const noKey = await psb.request('POST', `/applications/${applied.id}/reject`, { json: { reason: 'x' } });
    expect(noKey.status).toBe(400);
    const unchanged = (await asHolder(applicant, 'GET', `/holder/applications/${applied.id}`)).body;
    expect(unchanged).toMatchObject({ state: 'submitted', version: 1 });
  });
});

describe('applying with an Idempotency-Key', () => {
  const post = (who: Applicant, key: string, body: unknown) =>
    fetch(`${base}/holder/applications`, {
      method: 'POST',
      headers: { ...who.headers, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });

  it('answers a retry with the application the first request made; another request under the key is 422', async () => {
    const holder = await newApplicant();
    const key = randomUUID();
    const body = { typeCode: DEMO_TYPE_CODE.residentIdentityCard, data: idCardData(holder) };
    const first = await post(holder, key, body);
    expect(first.status, await first.clone().text()).toBe(201);
    const retry = await post(holder, key, body);
    expect(retry.status).toBe(201);
    const [made, again] = [(await first.json()) as ApplicationBody, (await retry.json()) as ApplicationBody];
    expect(again.id).toBe(made.id);
    expect(again.history).toEqual(made.history);

    const mine = await asHolder(holder, 'GET', '/holder/applications');
    expect((mine.body.applications as { id: string }[]).filter((a) => a.id === made.id)).toHaveLength(1);
    expect(mine.body.applications as unknown[]).toHaveLength(1);

    const other = await post(holder, key, { ...body, data: idCardData(holder, { 住址: '另一个地址' }) });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { type: string }).type).toBe(
      'urn:elicense:problem:idempotency-key-reused',
    );
    expect(
      ((await asHolder(holder, 'GET', '/holder/applications')).body.applications as unknown[]).length,
    ).toBe(1);

    const malformed = await post(holder, 'has spaces in it', body);
    expect(malformed.status).toBe(400);
  });
});

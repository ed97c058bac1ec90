// License applications through the SDKs against the local platform (申请 → 审核 → 颁发): a fresh
// holder account proofs itself with the holder client, applies with a PDF, the public security
// bureau's issuer client asks for more, the holder answers, the bureau approves (a retry with the
// same Idempotency-Key issues nothing more) and the license is the holder's. Refusals reach the
// caller as PlatformProblemError with the platform's problem.
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { DEVELOPMENT_ONLY_EVIDENCE_TOKEN } from '#adapters/local/development-only-proofing-provider.ts';
import { addYears } from '#core/civil-date.ts';
import { chinaCalendarDate, citizenIdCheckChar } from '#core/identifiers/citizen-id.ts';
import { DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { createHolderClient, type HolderClient, PlatformProblemError } from '../../sdk/holder.ts';
import { minimalPdf } from '../fixtures/layout-documents.ts';
import { psb } from './issuer-support.ts';
import { mintHolderToken } from './support/holder-tokens.ts';

const endpoint = inject('platformUrl');
const today = chinaCalendarDate(new Date());
const NAME = '钱应用';

/** A citizen identity number nobody else in this run holds: random birth day and sequence. */
function freshCitizenId(): string {
  const birth = `19${randomInt(50, 99)}${String(randomInt(1, 13)).padStart(2, '0')}${String(randomInt(1, 29)).padStart(2, '0')}`;
  const first17 = `330102${birth}${String(randomInt(0, 1000)).padStart(3, '0')}`;
  return first17 + citizenIdCheckChar(first17);
}

/** A holder client for a new account (token of the development issuer), not yet proofed. */
async function newHolder(): Promise<{ account: string; holder: HolderClient }> {
  const account = randomUUID();
  const token = await mintHolderToken({ sub: account });
  return { account, holder: createHolderClient({ endpoint, token }) };
}

/** The holder proofs a fresh citizen identity with the development-only provider. */
async function proofed(holder: HolderClient): Promise<string> {
  const code = freshCitizenId();
  const outcome = await holder.proof({
    provider: 'development-only',
    identity: { codeType: '111', code, name: NAME },
    evidence: { token: DEVELOPMENT_ONLY_EVIDENCE_TOKEN },
  });
  expect(outcome.proofing).toMatchObject({ outcome: 'verified', assurance: 'low', codeType: '111' });
  return code;
}

function idCardData(data: Record<string, unknown> = {}) {
  const { 公民身份号码: _code, ...demo } = DEMO_LICENSES[0]!.data as Record<string, unknown>;
  return { ...demo, 姓名: NAME, 有效期限: { from: today, until: addYears(today, 20) }, ...data };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const problemOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(PlatformProblemError);
      return error as PlatformProblemError;
    },
  );

describe('applications through the SDKs', () => {
  it('apply → request info → respond → approve, and the license is the holder’s', async () => {
    const { account, holder } = await newHolder();
    expect(await holder.me()).toEqual({ account, auditEventId: expect.any(String) });
    const unproofed = await problemOf(
      holder.apply({ typeCode: DEMO_TYPE_CODE.residentIdentityCard, data: idCardData() }),
    );
    expect(unproofed.status).toBe(403);
    expect(unproofed.problem.type).toBe('urn:elicense:problem:identity-not-proofed');

    const code = await proofed(holder);
    const me = await holder.me();
    expect(me.identity).toMatchObject({
      codeType: '111',
      code: `${code.slice(0, 4)}${'*'.repeat(10)}${code.slice(-4)}`,
    });

    const scan = minimalPdf('户口簿');
    const applied = await holder.apply({
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData({ 住址: '旧住址' }),
      note: '首次申领',
      attachments: [{ mediaType: 'application/pdf', content: base64(scan) }],
    });
    expect(applied).toMatchObject({ state: 'submitted', version: 1, agency: DEMO_USCC.publicSecurityBureau });
    expect(applied.data.公民身份号码).toBe(code);
    expect(applied.attachments.map((a) => a.sha256)).toEqual([
      createHash('sha256').update(scan).digest('base64url'),
    ]);

    const queue = await psb.applications({ state: 'submitted' });
    expect(queue.applications.map((a) => a.id)).toContain(applied.id);
    const read = await psb.application(applied.id);
    expect(read.data.住址).toBe('旧住址');

    const asked = await psb.requestInformation(applied.id, '请更正住址');
    expect(asked.state).toBe('info-requested');
    expect((await psb.applications({ state: 'info-requested' })).applications.map((a) => a.id)).toContain(
      applied.id,
    );
    expect((await holder.application(applied.id)).history.at(-1)).toMatchObject({
      action: 'request-info',
      note: '请更正住址',
      actor: { kind: 'agency', id: DEMO_USCC.publicSecurityBureau },
    });

    const answered = await holder.respond(applied.id, {
      note: '已更正',
      data: { 住址: '演示市示例区新路2号' },
    });
    expect(answered).toMatchObject({ state: 'submitted', version: 3, data: { 住址: '演示市示例区新路2号' } });

    const idempotencyKey = randomUUID();
    const approved = await psb.approve(
      applied.id,
      { data: { 签发机关: '演示市公安局示例分局' }, note: '准予颁发' },
      { idempotencyKey },
    );
    const { licenseId } = approved.license;
    expect(approved.application).toMatchObject({ state: 'approved', licenseId });
    const retried = await psb.approve(
      applied.id,
      { data: { 签发机关: '演示市公安局示例分局' }, note: '准予颁发' },
      { idempotencyKey },
    );
    expect(retried.license).toEqual(approved.license);

    const mine = await holder.licenses();
    expect(mine.licenses.map((l) => l.licenseId)).toEqual([licenseId]);
    expect((await holder.license(licenseId)).fields).toMatchObject({
      公民身份号码: code,
      住址: '演示市示例区新路2号',
      签发机关: '演示市公安局示例分局',
    });
    expect((await holder.application(applied.id)).history.map((s) => s.action)).toEqual([
      'submit',
      'request-info',
      'respond',
      'approve',
      'issue',
    ]);
    expect((await holder.applications()).applications).toEqual([
      expect.objectContaining({ id: applied.id, state: 'approved', licenseId }),
    ]);

    const late = await problemOf(holder.withdraw(applied.id, '不再需要'));
    expect(late.status).toBe(409);
  });

  it('a decision names the version read: stale after the holder answered with new data, 409 and nothing recorded; the approval keeps the applied data beside the decided', async () => {
    const { holder } = await newHolder();
    await proofed(holder);
    const applied = await holder.apply({
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      data: idCardData({ 住址: '演示市旧地址1号' }),
    });
    const read = await psb.agency.request('GET', `/applications/${applied.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    const seen = (await read.json()) as { version: number };
    // Meanwhile another officer asks, and the holder answers with other data.
    await psb.requestInformation(applied.id, '请更正住址');
    await holder.respond(applied.id, { data: { 住址: '演示市新地址2号' } });

    // One at a time: a refusal left pending while the other is awaited is an unhandled rejection.
    for (const stale of [
      () => psb.approve(applied.id, {}, { version: seen.version }),
      () => psb.reject(applied.id, '不予许可', { version: seen.version }),
    ]) {
      const refused = await problemOf(stale());
      expect(refused.status).toBe(409);
      expect(refused.problem.type).toBe('urn:elicense:problem:conflict');
    }
    const malformed = await psb.agency.request('POST', `/applications/${applied.id}/approve`, {
      json: {},
      headers: { 'idempotency-key': randomUUID(), 'if-match': 'W/"x"' },
    });
    expect(malformed.status).toBe(400);
    const unchanged = await psb.application(applied.id);
    expect(unchanged).toMatchObject({ state: 'submitted', version: 3 });

    const approved = await psb.approve(
      applied.id,
      { data: { 住址: '演示市核定地址3号' } },
      { version: unchanged.version },
    );
    expect(approved.application).toMatchObject({
      state: 'approved',
      data: { 住址: '演示市核定地址3号' },
      applied: { data: { 住址: '演示市新地址2号' } },
    });
    expect((await holder.application(applied.id)).applied?.data.住址).toBe('演示市新地址2号');
  });

  it('a withdrawn application cannot be rejected, and another holder cannot read it', async () => {
    const { holder } = await newHolder();
    await proofed(holder);
    const applied = await holder.apply({ typeCode: DEMO_TYPE_CODE.residentIdentityCard, data: idCardData() });
    expect(await holder.withdraw(applied.id, '信息填错')).toMatchObject({ state: 'withdrawn' });

    const rejected = await problemOf(psb.reject(applied.id, '照片不符合要求'));
    expect(rejected.status).toBe(409);
    expect(rejected.problem.type).toBe('urn:elicense:problem:conflict');

    const { holder: stranger } = await newHolder();
    await proofed(stranger);
    expect((await problemOf(stranger.application(applied.id))).status).toBe(404);
  });
});

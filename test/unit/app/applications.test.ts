// The application use cases with in-memory ports: a holder applies in their own proofed identity
// with data checked field by field; the agency asks, approves (issuing through issueLicense,
// once) or rejects; every step and every read of the applicant's data is audited.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ApplicationKeyReused,
  ApprovalAlreadyDecided,
  ApprovalLicenseIssued,
  AttachmentsTooLarge,
  NotTheApplicant,
  TooManyAttachments,
} from '#app/applications/application-errors.ts';
import {
  applyForLicense,
  holderApplication,
  holderApplications,
  respondToApplication,
  withdrawApplication,
} from '#app/applications/apply.ts';
import {
  agencyApplication,
  agencyApplications,
  approveApplication,
  rejectApplication,
  requestInformation,
  serialOf,
} from '#app/applications/review.ts';
import { changeLicenseStatus } from '#app/change-license-status.ts';
import { issueLicense } from '#app/issue-license.ts';
import { LicenseDataInvalid } from '#app/issuer-errors.ts';
import { openLicenseContent } from '#app/license-content.ts';
import { fieldsOfSdJwt } from '#app/license-issuance.ts';
import { IdentityNotProofed } from '#app/proof-identity.ts';
import { ApplicationNotFound, IllegalApplicationTransition } from '#core/applications/errors.ts';
import { ConcurrentModification, StoreBusy } from '#core/storage-errors.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { DEMO_HOLDER_ACCOUNTS } from '#dev/demo/holder-accounts.ts';
import { applicationWorld, pdf } from './application-fakes.ts';

const ZHANG = DEMO_HOLDER_ACCOUNTS.zhangWeiming.account;
const COMPANY = DEMO_HOLDER_ACCOUNTS.demoTechnology.account;
const NEWCOMER = DEMO_HOLDER_ACCOUNTS.newcomer.account;
const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const AMR = { agency: DEMO_USCC.marketRegulationBureau };

/** The fields of the license an approval issued, opened from its sealed content. */
async function issuedFields(world: ReturnType<typeof applicationWorld>, licenseId: string) {
  const record = world.issuer.licenses.records.get(licenseId)!;
  const { sdJwt } = await openLicenseContent(
    world.reviewDeps.cipher,
    { dataDomain: 'person', licenseId },
    record.content,
  );
  return fieldsOfSdJwt(sdJwt);
}

/** An ID-card application of 张伟明 without the holder code (filled from the binding). */
function idCardApplication(data: Record<string, unknown> = {}) {
  const { 公民身份号码: _code, ...rest } = DEMO_LICENSES[0]!.data;
  return {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    data: { ...rest, 有效期限: { from: '2025-06-01', until: '2045-06-01' }, ...data },
  };
}

describe('applying', () => {
  it('records a submitted application to the type’s only issuer, the holder code filled in from the proofed identity, sealed', async () => {
    const world = applicationWorld();
    const view = await applyForLicense(
      ZHANG,
      {
        ...idCardApplication(),
        note: '首次申领',
        attachments: [{ bytes: pdf('户口簿'), mediaType: 'application/pdf' }],
      },
      world.holderDeps,
    );
    expect(view).toMatchObject({
      agency: DEMO_USCC.publicSecurityBureau,
      holderAccount: ZHANG,
      holderCodeType: '111',
      state: 'submitted',
      version: 1,
    });
    expect(view.data.公民身份号码).toBe(DEMO_HOLDERS.zhangWeiming.code);
    expect(view.attachments).toHaveLength(1);
    expect(view.attachments[0]!.download.url).toMatch(/^https:\/\/documents\.test\/doc-1/);
    expect(view.history).toEqual([
      expect.objectContaining({
        seq: 1,
        action: 'submit',
        note: '首次申领',
        attachments: [view.attachments[0]!.sha256],
      }),
    ]);
    const stored = world.applications.items.get(view.id)!;
    expect(new TextDecoder().decode(stored.stored.sealedContent)).toContain('application:');
    expect(world.applications.audit).toEqual([
      expect.objectContaining({
        action: 'application.submitted',
        actor: { kind: 'holder', id: ZHANG },
        details: expect.objectContaining({ applicationId: view.id, state: 'submitted', attachments: 1 }),
      }),
    ]);
  });

  it('refuses an unproofed account', async () => {
    const world = applicationWorld();
    await expect(applyForLicense(NEWCOMER, idCardApplication(), world.holderDeps)).rejects.toThrow(
      IdentityNotProofed,
    );
    expect(world.applications.items.size).toBe(0);
  });

  it('refuses to apply in someone else’s name, and a citizen for a company’s type', async () => {
    const world = applicationWorld();
    await expect(
      applyForLicense(
        ZHANG,
        idCardApplication({ 公民身份号码: DEMO_HOLDERS.liXiaoyan.code }),
        world.holderDeps,
      ),
    ).rejects.toThrow(NotTheApplicant);
    await expect(
      applyForLicense(
        ZHANG,
        { typeCode: DEMO_TYPE_CODE.businessLicense, data: DEMO_LICENSES[4]!.data },
        world.holderDeps,
      ),
    ).rejects.toThrow(/held under holder code type 001/);
    expect(world.applications.items.size).toBe(0);
  });

  it('reports one error per bad field at submission, and stores nothing', async () => {
    const world = applicationWorld();
    const refused = applyForLicense(
      ZHANG,
      idCardApplication({ 性别: '未知', 出生: '1990-02-30', 民族: undefined, 颜色: '蓝' }),
      world.holderDeps,
    );
    await expect(refused).rejects.toThrow(LicenseDataInvalid);
    const error = (await refused.catch((e: unknown) => e)) as LicenseDataInvalid;
    expect(error.errors.map((e) => e.path).sort()).toEqual([
      'data.出生',
      'data.性别',
      'data.民族',
      'data.颜色',
    ]);
    expect(world.applications.items.size).toBe(0);
  });

  it('refuses an unknown type and an agency that does not issue the type', async () => {
    const world = applicationWorld();
    await expect(
      applyForLicense(
        ZHANG,
        { ...idCardApplication(), typeCode: `${DEMO_TYPE_CODE.residentIdentityCard.slice(0, 18)}999` },
        world.holderDeps,
      ),
    ).rejects.toThrow(/no license type/);
    await expect(
      applyForLicense(
        ZHANG,
        { ...idCardApplication(), agency: DEMO_USCC.marketRegulationBureau },
        world.holderDeps,
      ),
    ).rejects.toThrow(/does not issue type/);
  });

  it('bounds attachments in number and size, storing none of a refused request', async () => {
    const world = applicationWorld();
    const four = [1, 2, 3, 4].map((n) => ({ bytes: pdf(`page ${n}`), mediaType: 'application/pdf' }));
    await expect(
      applyForLicense(ZHANG, { ...idCardApplication(), attachments: four }, world.holderDeps),
    ).rejects.toThrow(TooManyAttachments);
    const big = { bytes: new Uint8Array(2 * 1024 * 1024 + 1), mediaType: 'application/pdf' };
    await expect(
      applyForLicense(ZHANG, { ...idCardApplication(), attachments: [big] }, world.holderDeps),
    ).rejects.toThrow(AttachmentsTooLarge);
    const tooMuch = [1, 2, 3].map(() => ({
      bytes: new Uint8Array(1.5 * 1024 * 1024),
      mediaType: 'application/pdf',
    }));
    await expect(
      applyForLicense(ZHANG, { ...idCardApplication(), attachments: tooMuch }, world.holderDeps),
    ).rejects.toThrow(/attachments of one request of at most 4194304 bytes, found 4718592/);
    const badSecond = [
      { bytes: pdf('ok'), mediaType: 'application/pdf' },
      { bytes: pdf('no'), mediaType: 'image/png' },
    ];
    await expect(
      applyForLicense(ZHANG, { ...idCardApplication(), attachments: badSecond }, world.holderDeps),
    ).rejects.toThrow(/unsupported/);
    expect(world.documents.stored.size).toBe(0);
    expect(world.applications.items.size).toBe(0);
  });
});

describe('attachments when a step fails', () => {
  const withAttachment = () => ({
    ...idCardApplication(),
    attachments: [{ bytes: pdf('户口簿'), mediaType: 'application/pdf' }],
  });

  /** The next presign of the world's documents throws, once (a credentials or KMS hiccup). */
  function failNextPresign(world: ReturnType<typeof applicationWorld>) {
    const presign = world.documents.presignDownload.bind(world.documents);
    let failed = false;
    world.documents.presignDownload = async (...args) => {
      if (failed) return presign(...args);
      failed = true;
      throw new Error('presign failed');
    };
  }

  it('stores every attachment, the applicant’s and a response’s, with its application as owner (for the sweep)', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, withAttachment(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请补充' }, world.reviewDeps);
    await respondToApplication(
      ZHANG,
      applied.id,
      { note: '已补充', attachments: [{ bytes: pdf('结婚证'), mediaType: 'application/pdf' }] },
      world.holderDeps,
    );
    const keys = world.applications.items.get(applied.id)?.stored.attachments.map((a) => a.key);
    expect(keys).toHaveLength(2);
    expect(keys?.map((key) => world.documents.stored.get(key)?.owner)).toEqual([
      `application:${applied.id}`,
      `application:${applied.id}`,
    ]);
  });

  it('keeps the attachments of a recorded application when building its answer fails, and a keyed retry finds them', async () => {
    const world = applicationWorld();
    failNextPresign(world);
    await expect(
      applyForLicense(ZHANG, withAttachment(), world.holderDeps, { idempotencyKey: 'presign' }),
    ).rejects.toThrow('presign failed');
    const [recorded] = [...world.applications.items.values()];
    expect(recorded?.stored.application.state).toBe('submitted');
    expect([...world.documents.stored.keys()]).toEqual(recorded?.stored.attachments.map((a) => a.key));

    const retry = await applyForLicense(ZHANG, withAttachment(), world.holderDeps, {
      idempotencyKey: 'presign',
    });
    expect(retry.attachments).toHaveLength(1);
    expect(world.documents.stored.has(recorded!.stored.attachments[0]!.key)).toBe(true);
  });

  it('removes the attachments when the store refused the application, and keeps them when the write landed unanswered', async () => {
    const world = applicationWorld();
    const create = world.applications.create.bind(world.applications);
    world.applications.create = async () => {
      throw new StoreBusy('the application', ['ThrottlingError']);
    };
    await expect(applyForLicense(ZHANG, withAttachment(), world.holderDeps)).rejects.toThrow(StoreBusy);
    expect(world.applications.items.size).toBe(0);
    expect(world.documents.stored.size).toBe(0);

    world.applications.create = async (write) => {
      await create(write);
      throw new Error('connection reset after the write');
    };
    await expect(applyForLicense(ZHANG, withAttachment(), world.holderDeps)).rejects.toThrow(
      'connection reset',
    );
    const [landed] = [...world.applications.items.values()];
    expect([...world.documents.stored.keys()]).toEqual(landed?.stored.attachments.map((a) => a.key));
  });

  it('removes the attachments when the application failed before its write was sent', async () => {
    const world = applicationWorld();
    const deps = {
      ...world.holderDeps,
      cipher: {
        ...world.holderDeps.cipher,
        encryptFields: async () => {
          throw new Error('the key service was unreachable');
        },
      },
    };
    await expect(applyForLicense(ZHANG, withAttachment(), deps)).rejects.toThrow('key service');
    expect(world.applications.items.size).toBe(0);
    expect(world.documents.stored.size).toBe(0);
  });

  it('keeps the attachments of a write that timed out, though a read right after finds it not landed: it may still commit', async () => {
    const timeout = () => Object.assign(new Error('socket timeout'), { name: 'TimeoutError' });
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请补充户口簿' }, world.reviewDeps);
    // The transaction commits on the server after the client gave up and read the application.
    const advance = world.applications.advance.bind(world.applications);
    let commitLate: (() => Promise<void>) | undefined;
    world.applications.advance = async (write) => {
      commitLate = () => advance(write);
      throw timeout();
    };
    await expect(
      respondToApplication(
        ZHANG,
        applied.id,
        { attachments: [{ bytes: pdf('户口簿'), mediaType: 'application/pdf' }] },
        world.holderDeps,
      ),
    ).rejects.toThrow('socket timeout');
    await commitLate!();
    const held = world.applications.items.get(applied.id)!.stored.attachments;
    expect(held).toHaveLength(1);
    expect(world.documents.stored.has(held[0]!.key)).toBe(true);

    // Nor when it never lands: the bytes stay, owned by the application, for the daily sweep.
    world.applications.create = async () => {
      throw timeout();
    };
    await expect(applyForLicense(ZHANG, withAttachment(), world.holderDeps)).rejects.toThrow(
      'socket timeout',
    );
    expect(world.documents.stored.size).toBe(2);
    expect([...world.documents.stored.values()].at(-1)?.owner).toMatch(/^application:/);
  });

  it('keeps the attachments when whether the write landed cannot be told', async () => {
    const world = applicationWorld();
    world.applications.create = async () => {
      throw new Error('connection reset');
    };
    world.applications.get = async () => {
      throw new Error('the store was unreachable');
    };
    await expect(applyForLicense(ZHANG, withAttachment(), world.holderDeps)).rejects.toThrow(
      'connection reset',
    );
    expect(world.documents.stored.size).toBe(1);
  });

  it('keeps a response’s attachments once the response is recorded; removes them when it is not', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, withAttachment(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请补充' }, world.reviewDeps);
    const response = {
      note: '已补充',
      attachments: [{ bytes: pdf('结婚证'), mediaType: 'application/pdf' }],
    };

    // A withdrawal lands first: the response is not recorded, its attachment goes, the application's stays.
    const other = await applyForLicense(ZHANG, withAttachment(), world.holderDeps);
    await requestInformation(PSB, other.id, { note: '请补充' }, world.reviewDeps);
    world.applications.beforeNextAdvance = async () => {
      await withdrawApplication(ZHANG, other.id, {}, world.holderDeps);
    };
    await expect(respondToApplication(ZHANG, other.id, response, world.holderDeps)).rejects.toThrow(
      ConcurrentModification,
    );
    const heldKeys = () =>
      [...world.applications.items.values()].flatMap((i) => i.stored.attachments.map((a) => a.key)).sort();
    expect([...world.documents.stored.keys()].sort()).toEqual(heldKeys());

    // Recorded, then the answer fails: the response's attachment stays with the application.
    failNextPresign(world);
    await expect(respondToApplication(ZHANG, applied.id, response, world.holderDeps)).rejects.toThrow(
      'presign failed',
    );
    expect(world.applications.items.get(applied.id)?.stored.attachments).toHaveLength(2);
    expect([...world.documents.stored.keys()].sort()).toEqual(heldKeys());
  });
});

describe('applying with an Idempotency-Key', () => {
  it('a retry of the same request answers with the application the first made, and makes no second', async () => {
    const world = applicationWorld();
    const request = {
      ...idCardApplication(),
      attachments: [{ bytes: pdf('户口簿'), mediaType: 'application/pdf' }],
    };
    const first = await applyForLicense(ZHANG, request, world.holderDeps, { idempotencyKey: 'app-key-1' });
    const retry = await applyForLicense(ZHANG, request, world.holderDeps, { idempotencyKey: 'app-key-1' });
    expect(retry).toEqual(first);
    expect(world.applications.items.size).toBe(1);
    expect(world.applications.audit.map((e) => e.action)).toEqual(['application.submitted']);
    // The retry returned the applicant's data again: that read is audited, as any holder read.
    expect(world.views.map((e) => e.action)).toEqual(['application.viewed']);
    // Only the first request stored its attachment; the retry's data came back from the store.
    expect(world.documents.stored.size).toBe(1);
  });

  it('two copies of one request at once make one application, both answered with it', async () => {
    const world = applicationWorld();
    const [a, b] = await Promise.all([
      applyForLicense(ZHANG, idCardApplication(), world.holderDeps, { idempotencyKey: 'app-key-2' }),
      applyForLicense(ZHANG, idCardApplication(), world.holderDeps, { idempotencyKey: 'app-key-2' }),
    ]);
    expect(a.id).toBe(b.id);
    expect(world.applications.items.size).toBe(1);
  });

  it('refuses the same key with another request, and keys are the account’s own', async () => {
    const world = applicationWorld();
    const first = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps, {
      idempotencyKey: 'k',
    });
    await expect(
      applyForLicense(ZHANG, idCardApplication({ 住址: '另一个地址' }), world.holderDeps, {
        idempotencyKey: 'k',
      }),
    ).rejects.toThrow(ApplicationKeyReused);
    expect(world.applications.items.size).toBe(1);
    // Another account's same key is another application.
    const li = DEMO_HOLDER_ACCOUNTS.liXiaoyan;
    world.identities.proof(li.account, li.holder.codeType, li.holder.code);
    const other = await applyForLicense(
      DEMO_HOLDER_ACCOUNTS.liXiaoyan.account,
      idCardApplication({ 姓名: '李晓燕', 性别: '女', 出生: '1985-11-20' }),
      world.holderDeps,
      { idempotencyKey: 'k' },
    );
    expect(other.id).not.toBe(first.id);
    expect(world.applications.items.size).toBe(2);
  });

  it('keeps the request’s digest keyed: a bare hash of a guessed request does not match it', async () => {
    const world = applicationWorld();
    const request = idCardApplication();
    const made = await applyForLicense(ZHANG, request, world.holderDeps, { idempotencyKey: 'k' });
    const kept = world.applications.items.get(made.id)!.history[0]!.requestDigest;
    expect(kept).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Anyone reading the table knows the id beside it: a bare hash would let them test guesses.
    const guessed = createHash('sha256')
      .update(made.id)
      .update(JSON.stringify({ ...request, attachments: [] }))
      .digest('base64url');
    expect(kept).not.toBe(guessed);
    // And the retry still finds the application.
    expect((await applyForLicense(ZHANG, request, world.holderDeps, { idempotencyKey: 'k' })).id).toBe(
      made.id,
    );
  });
});

describe('a step answered after another party’s step landed', () => {
  /** The next advance lands, then `rival` runs before the step reads the application again. */
  function afterNextAdvance(world: ReturnType<typeof applicationWorld>, rival: () => Promise<unknown>) {
    const advance = world.applications.advance.bind(world.applications);
    let pending: (() => Promise<unknown>) | undefined = rival;
    world.applications.advance = async (write) => {
      await advance(write);
      const run = pending;
      pending = undefined;
      await run?.();
    };
  }

  it('the agency’s answer shows the holder’s response, and that read is audited (application.viewed)', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    afterNextAdvance(world, () =>
      respondToApplication(ZHANG, applied.id, { data: { 住址: '新地址' } }, world.holderDeps),
    );
    const asked = await requestInformation(PSB, applied.id, { note: '请更正住址' }, world.reviewDeps);
    expect(asked).toMatchObject({ state: 'submitted', version: 3, data: { 住址: '新地址' } });
    expect(world.views.map((e) => [e.action, e.actor.id, e.details?.state, e.details?.version])).toEqual([
      ['application.viewed', PSB.agency, 'submitted', 3],
    ]);
  });

  it('the holder’s answer shows the agency’s later step, and that read is audited; without a rival nothing extra', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请更正住址' }, world.reviewDeps);
    await respondToApplication(ZHANG, applied.id, { data: { 住址: '新地址' } }, world.holderDeps);
    expect(world.views).toEqual([]);

    await requestInformation(PSB, applied.id, { note: '请再补充' }, world.reviewDeps);
    afterNextAdvance(world, () => requestInformation(PSB, applied.id, { note: '第三次' }, world.reviewDeps));
    const answered = await respondToApplication(ZHANG, applied.id, { note: '已补充' }, world.holderDeps);
    expect(answered).toMatchObject({ state: 'info-requested', version: 6 });
    expect(world.views.map((e) => [e.action, e.actor.kind, e.details?.state])).toEqual([
      ['application.viewed', 'holder', 'info-requested'],
    ]);
  });
});

describe('the whole review: apply → request info → respond → approve', () => {
  it('issues the license to the applicant with the corrected data, records its id, and audits each step', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);

    const queue = await agencyApplications(PSB, 'submitted', undefined, world.reviewDeps);
    expect(queue.items.map((a) => a.id)).toEqual([applied.id]);

    const asked = await requestInformation(
      PSB,
      applied.id,
      { note: '请更正住址并补充户口簿' },
      world.reviewDeps,
    );
    expect(asked.state).toBe('info-requested');

    const holderSees = await holderApplication(ZHANG, applied.id, world.holderDeps);
    expect(holderSees.history.at(-1)).toMatchObject({
      action: 'request-info',
      note: '请更正住址并补充户口簿',
    });

    const answered = await respondToApplication(
      ZHANG,
      applied.id,
      {
        note: '已更正',
        data: { 住址: '演示市示例区示例路18号' },
        attachments: [{ bytes: pdf('户口簿'), mediaType: 'application/pdf' }],
      },
      world.holderDeps,
    );
    expect(answered).toMatchObject({ state: 'submitted', version: 3 });
    expect(answered.data.住址).toBe('演示市示例区示例路18号');
    expect(answered.history.at(-1)).toMatchObject({ action: 'respond', dataChanged: true, note: '已更正' });

    const { application, license } = await approveApplication(
      PSB,
      applied.id,
      { data: { 签发机关: '演示市公安局示例分局' } },
      world.reviewDeps,
    );
    expect(application).toMatchObject({ state: 'approved', licenseId: license.licenseId, version: 5 });
    expect(application.history.slice(-2)).toMatchObject([
      { action: 'approve', from: 'submitted', to: 'approving' },
      { action: 'issue', from: 'approving', to: 'approved', licenseId: license.licenseId },
    ]);
    expect(license.licenseId).toContain(`.${serialOf(applied.id)}.001.`);

    expect(await issuedFields(world, license.licenseId)).toMatchObject({
      公民身份号码: DEMO_HOLDERS.zhangWeiming.code,
      住址: '演示市示例区示例路18号',
      签发机关: '演示市公安局示例分局',
    });
    expect(world.applications.audit.map((e) => e.action)).toEqual([
      'application.submitted',
      'application.info_requested',
      'application.responded',
      'application.approved',
      'application.license_issued',
    ]);
    expect(world.applications.audit.at(-1)?.subject).toMatchObject({
      licenseId: license.licenseId,
      licenseVersion: '001',
    });
    expect(world.issuer.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
    expect(world.views.map((e) => [e.action, e.actor.kind])).toEqual([
      ['application.listed', 'agency'],
      ['application.viewed', 'holder'],
    ]);
  });

  it('an approval with corrections records that it changed the data and which fields, never their values', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    const { application } = await approveApplication(
      PSB,
      applied.id,
      // 住址 as applied: carried, not changed.
      { data: { 签发机关: '演示市公安局示例分局', 住址: '旧地址' } },
      world.reviewDeps,
    );
    expect(application.history.find((s) => s.action === 'approve')).toMatchObject({ dataChanged: true });
    const approved = world.applications.audit.find((e) => e.action === 'application.approved')!;
    expect(approved.details).toMatchObject({ changedFields: ['签发机关'] });
    expect(JSON.stringify(approved.details)).not.toContain('演示市公安局示例分局');

    const plain = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const { application: unchanged } = await approveApplication(PSB, plain.id, {}, world.reviewDeps);
    expect(unchanged.history.find((s) => s.action === 'approve')?.dataChanged).toBeUndefined();
    expect(world.applications.audit.at(-2)).toMatchObject({ action: 'application.approved' });
    expect(world.applications.audit.at(-2)?.details).not.toHaveProperty('changedFields');
  });

  it('an approval whose corrections change nothing records no change: dataChanged and changedFields follow the change set', async () => {
    const world = applicationWorld();
    const asApplied = idCardApplication();
    for (const request of [{ data: {} }, { data: { 姓名: DEMO_LICENSES[0]!.data.姓名 } }]) {
      const applied = await applyForLicense(ZHANG, asApplied, world.holderDeps);
      const { application } = await approveApplication(PSB, applied.id, request, world.reviewDeps);
      expect(application.history.find((s) => s.action === 'approve')?.dataChanged).toBeUndefined();
      expect(application).not.toHaveProperty('applied');
      const approved = world.applications.audit.findLast((e) => e.action === 'application.approved')!;
      expect(approved.details).not.toHaveProperty('changedFields');
    }
  });

  it('an approval whose validity restates the period the data carries, spelled otherwise, records no change and keeps none apart', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const { application, license } = await approveApplication(
      PSB,
      applied.id,
      { validity: { from: '2025年6月1日', until: ' 2045.06.01 ' } },
      world.reviewDeps,
    );
    expect(application.history.find((s) => s.action === 'approve')?.dataChanged).toBeUndefined();
    const approved = world.applications.audit.find((e) => e.action === 'application.approved')!;
    expect(approved.details).not.toHaveProperty('changedFields');
    // The ID card's validity lives in 有效期限 alone: no copy apart, as typed or otherwise.
    expect(application).not.toHaveProperty('validity');
    expect(application).not.toHaveProperty('applied');
    expect(world.applications.items.get(applied.id)!.stored.sealedApplied).toBeUndefined();
    expect(application.data.有效期限).toEqual({ from: '2025-06-01', until: '2045-06-01' });
    expect(world.issuer.licenses.records.has(license.licenseId)).toBe(true);
  });

  it('a response that restates the data as stored records no change; one that changes it does', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请核对' }, world.reviewDeps);
    const restated = await respondToApplication(
      ZHANG,
      applied.id,
      {
        data: { 住址: ` ${DEMO_LICENSES[0]!.data.住址} ` },
        validity: { from: '2025年6月1日', until: '2045.06.01' },
      },
      world.holderDeps,
    );
    expect(restated.history.at(-1)).toMatchObject({ action: 'respond' });
    expect(restated.history.at(-1)).not.toHaveProperty('dataChanged');
    expect(restated).not.toHaveProperty('validity');

    await requestInformation(PSB, applied.id, { note: '请更正住址' }, world.reviewDeps);
    const corrected = await respondToApplication(
      ZHANG,
      applied.id,
      { data: { 住址: '新地址' } },
      world.holderDeps,
    );
    expect(corrected.history.at(-1)).toMatchObject({ action: 'respond', dataChanged: true });
  });

  it('a validity given apart for a type whose optional validity field is left out is kept, normalised, and issued', async () => {
    const world = applicationWorld();
    const code = DEMO_TYPE_CODE.residentIdentityCard;
    world.issuer.catalog.types = world.issuer.catalog.types.map((t) =>
      t.code === code
        ? { ...t, fields: t.fields.map((f) => (f.name === '有效期限' ? { ...f, required: false } : f)) }
        : t,
    );
    const { 有效期限: _period, ...data } = idCardApplication().data;
    const applied = await applyForLicense(
      ZHANG,
      { typeCode: code, data, validity: { from: '2025年6月1日', until: '2045.06.01' } },
      world.holderDeps,
    );
    expect(applied.validity).toEqual({ from: '2025-06-01', until: '2045-06-01' });
    const { application, license } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(application.state).toBe('approved');
    expect(application.validity).toEqual({ from: '2025-06-01', until: '2045-06-01' });
    const record = world.issuer.licenses.records.get(license.licenseId)!;
    const issued = await openLicenseContent(
      world.reviewDeps.cipher,
      { dataDomain: 'person', licenseId: license.licenseId },
      record.content,
    );
    expect(issued.content.validity).toEqual({ from: '2025-06-01', until: '2045-06-01' });
  });

  it('an approval that changes the data keeps the applied data sealed beside the decided, and both views show both', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    const sealedAsApplied = world.applications.items.get(applied.id)!.stored.sealedContent;
    await approveApplication(PSB, applied.id, { data: { 住址: '新地址' } }, world.reviewDeps);

    const stored = world.applications.items.get(applied.id)!.stored;
    // The applicant's bytes as they were sealed, not a copy re-sealed by the agency.
    expect(stored.sealedApplied).toEqual(sealedAsApplied);
    for (const seen of [
      await holderApplication(ZHANG, applied.id, world.holderDeps),
      await agencyApplication(PSB, applied.id, world.reviewDeps),
    ]) {
      expect(seen.data.住址).toBe('新地址');
      expect(seen.applied?.data.住址).toBe('旧地址');
      expect(seen.applied?.data.公民身份号码).toBe(DEMO_HOLDERS.zhangWeiming.code);
    }

    // Approved as applied: nothing kept beside, nothing shown.
    const plain = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await approveApplication(
      PSB,
      plain.id,
      { data: { 住址: DEMO_LICENSES[0]!.data.住址 } },
      world.reviewDeps,
    );
    expect(world.applications.items.get(plain.id)!.stored.sealedApplied).toBeUndefined();
    expect(await holderApplication(ZHANG, plain.id, world.holderDeps)).not.toHaveProperty('applied');
  });

  it('the applied data kept beside a decision survives the withdrawal of the approving application', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(
      approveApplication(PSB, applied.id, { data: { 住址: '新地址' } }, world.reviewDeps),
    ).rejects.toThrow(/unreachable/);

    const withdrawn = await withdrawApplication(ZHANG, applied.id, {}, world.holderDeps);
    expect(withdrawn).toMatchObject({ state: 'withdrawn', data: { 住址: '新地址' } });
    expect(withdrawn.applied?.data.住址).toBe('旧地址');
  });

  it('approving twice issues once: the second approval is refused as a transition from approved', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(
      IllegalApplicationTransition,
    );
    expect(world.issuer.licenses.records.size).toBe(1);
  });

  it('an approval that issued but failed to record is completed by the retry, with the same license', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    // The decision is recorded; the store fails when the license issued is to be recorded.
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        throw new Error('the store was unreachable');
      };
    };
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);
    expect(world.issuer.licenses.records.size).toBe(1);
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('approving');
    // Its license exists: the holder can no longer withdraw, the agency no longer reject.
    await expect(withdrawApplication(ZHANG, applied.id, {}, world.holderDeps)).rejects.toThrow(
      ApprovalLicenseIssued,
    );
    await expect(
      rejectApplication(PSB, applied.id, { reason: '不予许可' }, world.reviewDeps),
    ).rejects.toThrow(ApprovalLicenseIssued);
    expect((await agencyApplications(PSB, 'approving', undefined, world.reviewDeps)).items).toHaveLength(1);

    const { application, license } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(world.issuer.licenses.records.size).toBe(1);
    expect([...world.issuer.licenses.records.keys()]).toEqual([license.licenseId]);
    expect(application).toMatchObject({ state: 'approved', licenseId: license.licenseId });
    expect(world.applications.audit.map((e) => e.action)).toEqual([
      'application.submitted',
      'application.approved',
      'application.license_issued',
    ]);
  });

  it('an approval that stopped part way completes though its license was revoked since, and with no audit writer', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        throw new Error('the store was unreachable');
      };
    };
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);
    const [licenseId] = [...world.issuer.licenses.records.keys()];
    await changeLicenseStatus(
      { licenseId: licenseId!, action: 'revoke', reason: '证件作废' },
      PSB,
      world.issuer.deps,
    );

    // As the issuer function wires it: the approval's issuance has no audit writer — no copy of the
    // license leaves an approval met again, only its id, which is what the application records.
    const { audit: _unused, ...issuance } = world.issuer.deps;
    const { application, license } = await approveApplication(
      PSB,
      applied.id,
      {},
      { ...world.reviewDeps, issuance },
    );
    expect(license.licenseId).toBe(licenseId);
    expect(application).toMatchObject({ state: 'approved', licenseId });
    expect(world.issuer.licenses.records.size).toBe(1);
  });

  it('an approval that stopped after its license completes though the type or the agency no longer issues that data', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        throw new Error('the store was unreachable');
      };
    };
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);
    const [licenseId] = [...world.issuer.licenses.records.keys()];
    // The operator then adds a required field to the type: the decided data would no longer issue,
    // and the license exists, so rejecting and withdrawing are refused. Only finishing is left.
    const code = DEMO_TYPE_CODE.residentIdentityCard;
    world.issuer.catalog.types = world.issuer.catalog.types.map((t) =>
      t.code === code
        ? {
            ...t,
            fields: [
              ...t.fields,
              { ...t.fields.find((f) => f.type === 'string')!, name: '新字段', required: true },
            ],
          }
        : t,
    );

    const { application, license } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(license.licenseId).toBe(licenseId);
    expect(application).toMatchObject({ state: 'approved', licenseId });
    expect(world.issuer.licenses.records.size).toBe(1);
  });

  it('the corrections are sealed with the decision: finishing an approval issues them, and refuses new ones', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    // The decision (with its correction) is recorded; issuing the license fails.
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(
      approveApplication(PSB, applied.id, { data: { 签发机关: '演示市公安局示例分局' } }, world.reviewDeps),
    ).rejects.toThrow(/unreachable/);
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('approving');
    expect(world.issuer.licenses.records.size).toBe(0);

    await expect(
      approveApplication(PSB, applied.id, { data: { 签发机关: '另一个机关' } }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    const { license } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect((await issuedFields(world, license.licenseId)).签发机关).toBe('演示市公安局示例分局');
  });

  it('the same approval with its corrections, retried after a failure past the decision, finishes it', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const body = { data: { 住址: '北京市东城区新地址1号' }, note: '已核实' };
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(approveApplication(PSB, applied.id, body, world.reviewDeps)).rejects.toThrow(/unreachable/);

    await expect(
      approveApplication(PSB, applied.id, { ...body, data: { 住址: '别处' } }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    const { application, license } = await approveApplication(
      PSB,
      applied.id,
      structuredClone(body),
      world.reviewDeps,
    );
    expect(application.state).toBe('approved');
    expect((await issuedFields(world, license.licenseId)).住址).toBe('北京市东城区新地址1号');
    expect(application.history.some((s) => 'requestDigest' in s)).toBe(false);
    // Told from the sealed decision, not from a digest kept in clear beside it: an unkeyed hash
    // of such low-entropy terms (an address, a birth date) is a dictionary oracle for them.
    expect(world.applications.items.get(applied.id)!.history.some((s) => 'requestDigest' in s)).toBe(false);
  });

  it('an approval retried with terms that amend the applied data to the decided finishes it; other terms are refused', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(
      approveApplication(PSB, applied.id, { data: { 住址: '新地址' }, note: '已核实' }, world.reviewDeps),
    ).rejects.toThrow(/unreachable/);

    // Another note with the same data is another decision; so is data the decision did not make.
    await expect(
      approveApplication(PSB, applied.id, { data: { 住址: '新地址' }, note: '另一条' }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    await expect(
      approveApplication(PSB, applied.id, { data: { 住址: '旧地址' } }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    // The same data, named with a field it already had: the same decided content.
    const { application } = await approveApplication(
      PSB,
      applied.id,
      { data: { 住址: '新地址', 姓名: DEMO_LICENSES[0]!.data.姓名 } },
      world.reviewDeps,
    );
    expect(application).toMatchObject({ state: 'approved', data: { 住址: '新地址' } });
  });

  it('an approval that loses the decision to a rival finishes the rival’s, and refuses if it brought corrections', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    // The rival decides (with its correction) just before the first approval records its
    // decision, and stops there: issuing its license fails.
    world.applications.beforeNextAdvance = async () => {
      world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
      await approveApplication(
        PSB,
        applied.id,
        { data: { 签发机关: '竞争者的机关' } },
        world.reviewDeps,
      ).catch(() => undefined);
    };
    await expect(
      approveApplication(PSB, applied.id, { data: { 签发机关: '自己的机关' } }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.audit.filter((e) => e.action === 'application.approved')).toHaveLength(1);

    const { application, license } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(application.state).toBe('approved');
    expect((await issuedFields(world, license.licenseId)).签发机关).toBe('竞争者的机关');
  });

  it('a withdrawal that lands before the decision wins: the approval is refused and issues nothing', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.applications.beforeNextAdvance = async () => {
      await withdrawApplication(ZHANG, applied.id, {}, world.holderDeps);
    };
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(
      /is withdrawn; approve is allowed only from submitted/,
    );
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('withdrawn');
  });

  it('a withdrawal that lands after the license is refused, and the approval completes', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    let withdrawal: unknown;
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        withdrawal = await withdrawApplication(ZHANG, applied.id, {}, world.holderDeps).catch(
          (e: unknown) => e,
        );
      };
    };
    const { application } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(withdrawal).toBeInstanceOf(ApprovalLicenseIssued);
    expect(application.state).toBe('approved');
    expect(world.issuer.licenses.records.size).toBe(1);
  });

  it('a decision whose data no longer issues can be rejected, or withdrawn, while no license exists', async () => {
    const world = applicationWorld();
    const first = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const second = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    // Both decided; issuing fails. Then the operator adds a required field to the type.
    for (const id of [first.id, second.id]) {
      world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
      await expect(approveApplication(PSB, id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);
    }
    const code = DEMO_TYPE_CODE.residentIdentityCard;
    world.issuer.catalog.types = world.issuer.catalog.types.map((t) =>
      t.code === code
        ? {
            ...t,
            fields: [
              ...t.fields,
              { ...t.fields.find((f) => f.type === 'string')!, name: '新字段', required: true },
            ],
          }
        : t,
    );
    await expect(approveApplication(PSB, first.id, {}, world.reviewDeps)).rejects.toThrow(LicenseDataInvalid);

    const rejected = await rejectApplication(
      PSB,
      first.id,
      { reason: '请按新规定重新申请' },
      world.reviewDeps,
    );
    expect(rejected.state).toBe('rejected');
    expect(rejected.history.at(-1)).toMatchObject({ action: 'reject', from: 'approving', to: 'rejected' });
    const withdrawn = await withdrawApplication(ZHANG, second.id, {}, world.holderDeps);
    expect(withdrawn.history.at(-1)).toMatchObject({
      action: 'withdraw',
      from: 'approving',
      to: 'withdrawn',
    });
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.audit.map((e) => e.action).slice(-2)).toEqual([
      'application.rejected',
      'application.withdrawn',
    ]);
  });

  it('a license the agency issued under the approval’s serial to someone else does not stop the rejection or withdrawal', async () => {
    const world = applicationWorld();
    const first = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const second = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    for (const id of [first.id, second.id]) {
      world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
      await expect(approveApplication(PSB, id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);
      // The agency's own POST /licenses names that serial for another holder.
      const li = DEMO_HOLDER_ACCOUNTS.liXiaoyan.holder;
      await issueLicense(
        {
          typeCode: DEMO_TYPE_CODE.residentIdentityCard,
          serial: serialOf(id),
          holder: { name: '李晓燕', codeType: li.codeType, code: li.code },
          data: {
            ...DEMO_LICENSES[0]!.data,
            姓名: '李晓燕',
            性别: '女',
            出生: '1985-11-20',
            公民身份号码: li.code,
            有效期限: { from: '2025-06-01', until: '2045-06-01' },
          },
        },
        PSB,
        world.issuer.deps,
      );
    }
    expect(world.issuer.licenses.records.size).toBe(2);

    const rejected = await rejectApplication(PSB, first.id, { reason: '不予许可' }, world.reviewDeps);
    expect(rejected.state).toBe('rejected');
    const withdrawn = await withdrawApplication(ZHANG, second.id, {}, world.holderDeps);
    expect(withdrawn.state).toBe('withdrawn');
  });

  it('a rejection that lands before the approval’s license wins: no license is written', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.issuer.licenses.beforeNextIssue = async () => {
      await rejectApplication(PSB, applied.id, { reason: '不予许可' }, world.reviewDeps);
    };
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(
      /is rejected; issue is allowed only from approving/,
    );
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('rejected');
  });

  it('a rejection that looked before the approval’s license was written is refused when it lands after', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);
    // The rejection finds no license; before its write lands, an approval writes the license (and
    // fails to record it).
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        throw new Error('the store was unreachable');
      };
      await approveApplication(PSB, applied.id, {}, world.reviewDeps).catch(() => undefined);
    };
    await expect(
      rejectApplication(PSB, applied.id, { reason: '不予许可' }, world.reviewDeps),
    ).rejects.toThrow(ApprovalLicenseIssued);
    expect(world.issuer.licenses.records.size).toBe(1);
    const { application } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(application.state).toBe('approved');
  });

  it('two approvals at once record one decision and issue one license', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    let rival: Promise<unknown> | undefined;
    // The rival approval starts once the first has recorded its decision and is issuing.
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        rival = approveApplication(PSB, applied.id, {}, world.reviewDeps);
        await rival;
      };
    };
    const first = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    const second = (await rival) as Awaited<ReturnType<typeof approveApplication>>;
    expect(second.license).toEqual(first.license);
    expect(first.application).toMatchObject({ state: 'approved', licenseId: first.license.licenseId });
    expect(world.issuer.licenses.records.size).toBe(1);
    expect(world.applications.audit.map((e) => e.action)).toEqual([
      'application.submitted',
      'application.approved',
      'application.license_issued',
    ]);
  });

  it('an approval whose record of the license loses to a rival answers through an audited read', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    let rival: Promise<unknown> | undefined;
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        rival = approveApplication(PSB, applied.id, {}, world.reviewDeps);
        await rival;
      };
    };
    const { application } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    await rival;
    expect(application.state).toBe('approved');
    expect(application).not.toHaveProperty('auditEventId');
    expect(world.views.map((e) => [e.action, e.actor.id, e.details?.applicationId])).toEqual([
      ['application.viewed', PSB.agency, applied.id],
    ]);
  });

  it('an approval with a note that loses the decision to a rival is refused (409), its note not dropped', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    // The rival decides, with its own note, just before this approval records its decision, and
    // stops there: issuing its license fails.
    world.applications.beforeNextAdvance = async () => {
      world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
      await approveApplication(PSB, applied.id, { note: '竞争者的说明' }, world.reviewDeps).catch(
        () => undefined,
      );
    };
    await expect(
      approveApplication(PSB, applied.id, { note: '请到3号窗口领取' }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    // Nothing of the refused approval is written: one decision, the rival's, and no license.
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.audit.filter((e) => e.action === 'application.approved')).toHaveLength(1);
    const decided = await agencyApplication(PSB, applied.id, world.reviewDeps);
    expect(decided.state).toBe('approving');
    expect(decided.history.filter((s) => s.action === 'approve').map((s) => s.note)).toEqual([
      '竞争者的说明',
    ]);

    // Finishing it without a note of its own issues the rival's decision, note and all.
    const { application } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(application.state).toBe('approved');
    expect(application.history.find((s) => s.action === 'approve')?.note).toBe('竞争者的说明');
  });

  it('an approval with a note of its own meeting a decision already recorded is refused; the decider completes', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    let rival: unknown;
    // The rival approval, with a note, starts once the first has recorded its decision.
    world.applications.beforeNextAdvance = async () => {
      world.applications.beforeNextAdvance = async () => {
        rival = await approveApplication(
          PSB,
          applied.id,
          { note: '另一位审核人的说明' },
          world.reviewDeps,
        ).catch((e: unknown) => e);
      };
    };
    const first = await approveApplication(PSB, applied.id, { note: '准予许可' }, world.reviewDeps);
    expect(rival).toBeInstanceOf(ApprovalAlreadyDecided);
    expect(first.application.state).toBe('approved');
    expect(
      first.application.history.filter((s) => s.note !== undefined).map((s) => [s.action, s.note]),
    ).toEqual([['approve', '准予许可']]);
    expect(world.issuer.licenses.records.size).toBe(1);
  });

  it('finishing an approval with the note its decision recorded is the same decision: it completes', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(approveApplication(PSB, applied.id, { note: '准予许可' }, world.reviewDeps)).rejects.toThrow(
      /unreachable/,
    );

    await expect(
      approveApplication(PSB, applied.id, { note: '另一个说明' }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    const { application } = await approveApplication(
      PSB,
      applied.id,
      { note: ' 准予许可 ' },
      world.reviewDeps,
    );
    expect(application.state).toBe('approved');
    expect(application.history.filter((s) => s.note !== undefined).map((s) => [s.action, s.note])).toEqual([
      ['approve', '准予许可'],
    ]);
  });

  it('an amendment that changes the holder code does not issue', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await expect(
      approveApplication(
        PSB,
        applied.id,
        { data: { 公民身份号码: DEMO_HOLDERS.liXiaoyan.code } },
        world.reviewDeps,
      ),
    ).rejects.toThrow(LicenseDataInvalid);
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('submitted');
    expect(world.applications.audit.map((e) => e.action)).toEqual(['application.submitted']);
  });

  it('a validity correction the type refuses is refused before the decision, and a good one then issues', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    for (const validity of [
      { from: 'garbage', until: 'x' },
      { from: '2025-06-01', until: '2035-06-01' }, // not the validity the data states
    ]) {
      await expect(approveApplication(PSB, applied.id, { validity }, world.reviewDeps)).rejects.toThrow(
        LicenseDataInvalid,
      );
    }
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('submitted');
    expect(world.applications.audit.map((e) => e.action)).toEqual(['application.submitted']);

    const { application } = await approveApplication(PSB, applied.id, {}, world.reviewDeps);
    expect(application.state).toBe('approved');
  });
});

describe('deciding on the version read (If-Match)', () => {
  const stale = (expectedVersion: number, foundVersion: number) =>
    expect.objectContaining({ name: 'ConcurrentModification', expectedVersion, foundVersion });

  it('an approval of the version read is refused once the holder answered with new data since, and records nothing', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    const read = await agencyApplication(PSB, applied.id, world.reviewDeps);
    // Another officer asks; the holder answers with other data.
    await requestInformation(PSB, applied.id, { note: '请更正住址' }, world.reviewDeps);
    await respondToApplication(ZHANG, applied.id, { data: { 住址: '新地址' } }, world.holderDeps);

    await expect(
      approveApplication(PSB, applied.id, { expectedVersion: read.version }, world.reviewDeps),
    ).rejects.toEqual(stale(1, 3));
    expect(world.applications.items.get(applied.id)!.stored.application).toMatchObject({
      state: 'submitted',
      version: 3,
    });
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.audit.map((e) => e.action)).not.toContain('application.approved');

    const { application } = await approveApplication(
      PSB,
      applied.id,
      { expectedVersion: 3 },
      world.reviewDeps,
    );
    expect(application).toMatchObject({ state: 'approved', data: { 住址: '新地址' } });
  });

  it('a rejection of a version no longer current is refused, the application unchanged; of the current one it rejects', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请补充材料' }, world.reviewDeps);
    await expect(
      rejectApplication(PSB, applied.id, { reason: '不予许可', expectedVersion: 1 }, world.reviewDeps),
    ).rejects.toEqual(stale(1, 2));
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('info-requested');
    expect(world.applications.audit.map((e) => e.action)).not.toContain('application.rejected');

    const rejected = await rejectApplication(
      PSB,
      applied.id,
      { reason: '不予许可', expectedVersion: 2 },
      world.reviewDeps,
    );
    expect(rejected.state).toBe('rejected');
  });

  it('an approval stopped past its decision is finished by its retry naming the same version read', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(
      approveApplication(PSB, applied.id, { expectedVersion: 1 }, world.reviewDeps),
    ).rejects.toThrow(/unreachable/);
    const { application } = await approveApplication(
      PSB,
      applied.id,
      { expectedVersion: 1 },
      world.reviewDeps,
    );
    expect(application.state).toBe('approved');
  });

  it('another officer’s decision that changed the data is not finished under the version read before it without its terms', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '申请人地址' }), world.holderDeps);
    const readByA = await agencyApplication(PSB, applied.id, world.reviewDeps);
    // Officer B approves with a correction; B's license write fails (left approving).
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(
      approveApplication(PSB, applied.id, { data: { 住址: '官员B改的地址' } }, world.reviewDeps),
    ).rejects.toThrow(/unreachable/);

    // A approves as read, with no terms: B's data was never seen by A.
    const refused = approveApplication(
      PSB,
      applied.id,
      { expectedVersion: readByA.version },
      world.reviewDeps,
    );
    await expect(refused).rejects.toThrow(ApprovalAlreadyDecided);
    await expect(refused).rejects.toThrow(/read it again.*If-Match: "2"/);
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.items.get(applied.id)!.stored.application).toMatchObject({
      state: 'approving',
      version: 2,
    });

    // Read again (data as decided, applied beside it), If-Match the approving version: finished.
    const again = await agencyApplication(PSB, applied.id, world.reviewDeps);
    expect(again).toMatchObject({
      version: 2,
      data: { 住址: '官员B改的地址' },
      applied: { data: { 住址: '申请人地址' } },
    });
    const { application } = await approveApplication(
      PSB,
      applied.id,
      { expectedVersion: 2 },
      world.reviewDeps,
    );
    expect(application).toMatchObject({ state: 'approved', data: { 住址: '官员B改的地址' } });
  });

  it('under the version read before it, a decision that changed the data is finished by its own terms again', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    const body = { data: { 住址: '新地址' }, expectedVersion: 1 };
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(approveApplication(PSB, applied.id, body, world.reviewDeps)).rejects.toThrow(/unreachable/);
    const { application } = await approveApplication(
      PSB,
      applied.id,
      structuredClone(body),
      world.reviewDeps,
    );
    expect(application).toMatchObject({ state: 'approved', data: { 住址: '新地址' } });
  });

  it('an approval under If-Match losing the race to a decision on the same version that changed the data is refused', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    world.applications.beforeNextAdvance = async () => {
      world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
      await approveApplication(PSB, applied.id, { data: { 住址: '别人改的' } }, world.reviewDeps).catch(
        () => undefined,
      );
    };
    await expect(
      approveApplication(PSB, applied.id, { expectedVersion: 1 }, world.reviewDeps),
    ).rejects.toThrow(ApprovalAlreadyDecided);
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.audit.filter((e) => e.action === 'application.approved')).toHaveLength(1);
  });

  it('a decision made on a later version than the one read is not finished under the old one; read while approving, it is', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请更正住址' }, world.reviewDeps);
    await respondToApplication(ZHANG, applied.id, { data: { 住址: '新地址' } }, world.holderDeps);
    world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(/unreachable/);

    await expect(
      approveApplication(PSB, applied.id, { expectedVersion: 1 }, world.reviewDeps),
    ).rejects.toEqual(stale(1, 4));
    await expect(
      rejectApplication(PSB, applied.id, { reason: '不予许可', expectedVersion: 3 }, world.reviewDeps),
    ).rejects.toEqual(stale(3, 4));
    expect(world.issuer.licenses.records.size).toBe(0);

    const { application } = await approveApplication(
      PSB,
      applied.id,
      { expectedVersion: 4 },
      world.reviewDeps,
    );
    expect(application.state).toBe('approved');
  });

  it('an approval whose decision loses the race to one made on other data is refused, and issues nothing', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication({ 住址: '旧地址' }), world.holderDeps);
    // After this approval checked the version, and before its decision lands: another officer
    // asks, the holder answers, and a third approval decides on the new data (its issuing fails).
    world.applications.beforeNextAdvance = async () => {
      await requestInformation(PSB, applied.id, { note: '请更正住址' }, world.reviewDeps);
      await respondToApplication(ZHANG, applied.id, { data: { 住址: '新地址' } }, world.holderDeps);
      world.issuer.licenses.failNextWrite = new Error('the license table was unreachable');
      await approveApplication(PSB, applied.id, {}, world.reviewDeps).catch(() => undefined);
    };
    await expect(
      approveApplication(PSB, applied.id, { expectedVersion: 1 }, world.reviewDeps),
    ).rejects.toEqual(stale(1, 4));
    expect(world.issuer.licenses.records.size).toBe(0);
    expect(world.applications.items.get(applied.id)!.stored.application.state).toBe('approving');
  });
});

describe('who sees and does what', () => {
  it('another agency and another holder read the application as not found', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await expect(agencyApplication(AMR, applied.id, world.reviewDeps)).rejects.toThrow(ApplicationNotFound);
    await expect(rejectApplication(AMR, applied.id, { reason: 'no' }, world.reviewDeps)).rejects.toThrow(
      ApplicationNotFound,
    );
    await expect(holderApplication(COMPANY, applied.id, world.holderDeps)).rejects.toThrow(
      ApplicationNotFound,
    );
    await expect(withdrawApplication(COMPANY, applied.id, {}, world.holderDeps)).rejects.toThrow(
      ApplicationNotFound,
    );
    expect((await agencyApplications(AMR, 'submitted', undefined, world.reviewDeps)).items).toEqual([]);
    // Only the other agency's (empty) list was read: no application was shown to anyone.
    expect(world.views).toMatchObject([
      {
        action: 'application.listed',
        actor: { kind: 'agency', id: AMR.agency },
        details: { applicationIds: [] },
      },
    ]);
  });

  it('an agency no longer registered as issuer of the type loses sight of its applications', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const config = world.reviewDeps.config;
    const deregistered = {
      ...world.reviewDeps,
      config: {
        getLicenseType: async (code: string) => {
          const type = await config.getLicenseType(code);
          return type && { ...type, value: { ...type.value, issuers: [] } };
        },
      },
    };
    expect((await agencyApplications(PSB, 'submitted', undefined, deregistered)).items).toEqual([]);
    await expect(agencyApplication(PSB, applied.id, deregistered)).rejects.toThrow(ApplicationNotFound);
    expect((await agencyApplications(PSB, 'submitted', undefined, world.reviewDeps)).items).toHaveLength(1);
  });

  it('the agency’s read of an application is audited with the agency as actor', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const view = await agencyApplication(PSB, applied.id, world.reviewDeps);
    expect(view.data.姓名).toBe('张伟明');
    expect(world.views).toEqual([
      expect.objectContaining({
        action: 'application.viewed',
        actor: { kind: 'agency', id: PSB.agency },
        details: expect.objectContaining({ applicationId: applied.id }),
      }),
    ]);
  });

  it('a holder withdraws before a decision, and then nothing more happens to it', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    const withdrawn = await withdrawApplication(ZHANG, applied.id, { note: '不再需要' }, world.holderDeps);
    expect(withdrawn.state).toBe('withdrawn');
    await expect(approveApplication(PSB, applied.id, {}, world.reviewDeps)).rejects.toThrow(
      IllegalApplicationTransition,
    );
    await expect(rejectApplication(PSB, applied.id, { reason: '晚了' }, world.reviewDeps)).rejects.toThrow(
      IllegalApplicationTransition,
    );
    expect(world.issuer.licenses.records.size).toBe(0);
  });

  it('a rejection carries its reason to the holder; the holder lists own applications only', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await rejectApplication(PSB, applied.id, { reason: '照片不合格' }, world.reviewDeps);
    const seen = await holderApplication(ZHANG, applied.id, world.holderDeps);
    expect(seen).toMatchObject({ state: 'rejected' });
    expect(seen.history.at(-1)).toMatchObject({
      action: 'reject',
      note: '照片不合格',
      actor: { kind: 'agency' },
    });
    expect((await holderApplications(ZHANG, undefined, world.holderDeps)).items.map((a) => a.id)).toEqual([
      applied.id,
    ]);
    expect((await holderApplications(COMPANY, undefined, world.holderDeps)).items).toEqual([]);
  });

  it('a response whose changes name another holder is refused as not the applicant, and changes nothing', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await requestInformation(PSB, applied.id, { note: '请补充' }, world.reviewDeps);
    await expect(
      respondToApplication(
        ZHANG,
        applied.id,
        { data: { 公民身份号码: DEMO_HOLDERS.liXiaoyan.code } },
        world.holderDeps,
      ),
    ).rejects.toThrow(NotTheApplicant);
    expect(world.applications.items.get(applied.id)!.stored.application).toMatchObject({
      state: 'info-requested',
      version: 2,
    });
  });

  it('a response is refused when nothing was asked, and when it adds nothing', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    await expect(respondToApplication(ZHANG, applied.id, { note: '补充' }, world.holderDeps)).rejects.toThrow(
      IllegalApplicationTransition,
    );
    await requestInformation(PSB, applied.id, { note: '请补充' }, world.reviewDeps);
    await expect(respondToApplication(ZHANG, applied.id, { note: '  ' }, world.holderDeps)).rejects.toThrow(
      /found none/,
    );
    // No field named is no change.
    await expect(respondToApplication(ZHANG, applied.id, { data: {} }, world.holderDeps)).rejects.toThrow(
      /found none/,
    );
    const answered = await respondToApplication(
      ZHANG,
      applied.id,
      { data: {}, note: '已补充' },
      world.holderDeps,
    );
    expect(answered.history.at(-1)).toMatchObject({ action: 'respond', note: '已补充' });
    expect(answered.history.at(-1)).not.toHaveProperty('dataChanged');
  });
});

describe('listing applications', () => {
  const unreachable = {
    record: async () => {
      throw new Error('audit table unreachable');
    },
  };

  it('the holder’s list is answered once its application.listed event, naming the application ids only, is written', async () => {
    const world = applicationWorld();
    const first = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);
    world.advanceClock(1);
    const second = await applyForLicense(
      ZHANG,
      idCardApplication({ 住址: '杭州市西湖区' }),
      world.holderDeps,
    );

    const listed = await holderApplications(ZHANG, undefined, world.holderDeps);

    expect(listed.items.map((a) => a.id)).toEqual([second.id, first.id]);
    expect(world.views).toEqual([
      {
        id: listed.auditEventId,
        time: '2025-06-01T02:01:00.000Z',
        actor: { kind: 'holder', id: ZHANG },
        action: 'application.listed',
        outcome: 'success',
        details: { applications: 2, applicationIds: [second.id, first.id] },
      },
    ]);
    expect(JSON.stringify(world.views)).not.toContain(DEMO_HOLDERS.zhangWeiming.code);
  });

  it('the holder’s empty list is audited too, and nothing is answered when its event cannot be written', async () => {
    const world = applicationWorld();
    await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);

    expect((await holderApplications(COMPANY, undefined, world.holderDeps)).items).toEqual([]);
    expect(world.views).toMatchObject([
      { actor: { kind: 'holder', id: COMPANY }, action: 'application.listed', details: { applications: 0 } },
    ]);
    await expect(
      holderApplications(ZHANG, undefined, { ...world.holderDeps, audit: unreachable }),
    ).rejects.toThrow(/audit/);
  });

  it('the agency’s queue is answered once its application.listed event, naming the state and the application ids shown, is written', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);

    const queue = await agencyApplications(PSB, 'submitted', undefined, world.reviewDeps);

    expect(queue.items.map((a) => a.id)).toEqual([applied.id]);
    expect(world.views).toEqual([
      {
        id: queue.auditEventId,
        time: '2025-06-01T02:00:00.000Z',
        actor: { kind: 'agency', id: PSB.agency },
        action: 'application.listed',
        outcome: 'success',
        details: { state: 'submitted', applications: 1, applicationIds: [applied.id] },
      },
    ]);
    await expect(
      agencyApplications(PSB, 'submitted', undefined, { ...world.reviewDeps, audit: unreachable }),
    ).rejects.toThrow(/audit/);
  });
});

describe('viewing one application', () => {
  const unreachable = {
    record: async () => {
      throw new Error('audit table unreachable');
    },
  };

  it('the holder’s view carries the id of its application.viewed event, written before it answered', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);

    const seen = await holderApplication(ZHANG, applied.id, world.holderDeps);

    expect(seen.id).toBe(applied.id);
    expect(world.views).toMatchObject([
      { actor: { kind: 'holder', id: ZHANG }, action: 'application.viewed', outcome: 'success' },
    ]);
    expect(seen.auditEventId).toBe(world.views[0]!.id);
    await expect(
      holderApplication(ZHANG, applied.id, { ...world.holderDeps, audit: unreachable }),
    ).rejects.toThrow(/audit/);
  });

  it('the agency’s view carries the id of its application.viewed event, written before it answered', async () => {
    const world = applicationWorld();
    const applied = await applyForLicense(ZHANG, idCardApplication(), world.holderDeps);

    const seen = await agencyApplication(PSB, applied.id, world.reviewDeps);

    expect(seen.id).toBe(applied.id);
    expect(world.views).toMatchObject([
      { actor: { kind: 'agency', id: PSB.agency }, action: 'application.viewed', outcome: 'success' },
    ]);
    expect(seen.auditEventId).toBe(world.views[0]!.id);
    await expect(
      agencyApplication(PSB, applied.id, { ...world.reviewDeps, audit: unreachable }),
    ).rejects.toThrow(/audit/);
  });
});

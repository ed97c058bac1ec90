// The issuer routes over HTTP with the SDK, end to end: what is issued verifies through POST
// /verify, and every status change shows there at once.

import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { createHolderClient } from '../../sdk/holder.ts';
import { minimalPdf, pdfOfSize } from '../fixtures/layout-documents.ts';
import {
  amr,
  base,
  businessLicenseRequest,
  drivingLicenceRequest,
  idCardRequest,
  psb,
  vehicle,
  verify,
} from './issuer-support.ts';
import { holderToken } from './support/holder-tokens.ts';
import {
  idempotencyRecordsMentioning,
  loseIdempotencyRecordsMentioning,
} from './support/idempotency-records.ts';
import { refusal } from './support/refusals.ts';

describe('issue → verify', () => {
  it('issues a resident identity card whose signed copy verifies, with a random 16-character serial', async () => {
    const issued = await psb.issueLicense(idCardRequest());
    expect(issued).toMatchObject({ version: '001', status: 'valid' });
    const parsed = parseLicenseId(issued.licenseId);
    expect(parsed.valid && parsed.parts).toMatchObject({
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      issuerCode: DEMO_USCC.publicSecurityBureau,
      serial: expect.stringMatching(/^[0-9A-Z]{16}$/),
    });
    expect(issued.statusList.uri).toMatch(new RegExp(`^${base}/status-lists/`));

    const result = await verify(issued.sdJwt);
    expect(result.valid).toBe(true);
    expect(result.claims).toMatchObject({ licenseId: issued.licenseId });
    expect(result.claims?.fields).toMatchObject({ 姓名: '张伟明', 公民身份号码: '330102199003071230' });
  });

  it('issues the other demo types for their issuers: a long-term business license, a driving licence signed over ed25519 requests', async () => {
    const business = await amr.issueLicense(businessLicenseRequest());
    expect((await verify(business.sdJwt)).valid).toBe(true);
    const driving = await vehicle.issueLicense(drivingLicenceRequest());
    expect((await verify(driving.sdJwt)).valid).toBe(true);
  });

  it('answers the same request sent again after its idempotency record was lost with the license it issued, not a second', async () => {
    const idempotencyKey = randomUUID();
    const first = await psb.issueLicense(idCardRequest(), { idempotencyKey });
    // Lost as when the function passes its deadline, or the record cannot be saved (503).
    expect(await loseIdempotencyRecordsMentioning(first.licenseId)).toBe(1);
    const again = await psb.issueLicense(idCardRequest(), { idempotencyKey });
    expect(again).toEqual(first);
    expect(await idempotencyRecordsMentioning(first.licenseId)).toHaveLength(1);

    // Another holder under the same key, once its record is gone: another request, refused.
    expect(await loseIdempotencyRecordsMentioning(first.licenseId)).toBe(1);
    const li = DEMO_HOLDERS.liXiaoyan;
    const liCard = {
      ...idCardRequest({ ...DEMO_LICENSES[1]!.data, 有效期限: idCardRequest().data.有效期限 }),
      holder: { name: li.name, codeType: li.codeType, code: li.code },
    };
    const otherHolder = await refusal(psb.issueLicense(liCard, { idempotencyKey }));
    expect(otherHolder.status).toBe(409);
  });

  it('answers a batch sent again after its idempotency record was lost with the licenses it issued', async () => {
    const idempotencyKey = randomUUID();
    const items = [idCardRequest(), businessLicenseRequest()];
    const first = await psb.issueBatch(items, { idempotencyKey });
    expect(first).toMatchObject({ issued: 1, failed: 1 });
    expect(await loseIdempotencyRecordsMentioning(first.items[0]!.licenseId!)).toBe(1);
    const again = await psb.issueBatch(items, { idempotencyKey });
    expect(again.items.map((i) => [i.status, i.licenseId])).toEqual(
      first.items.map((i) => [i.status, i.licenseId]),
    );
  });

  it('issues with a serial of the issuer’s choice, once', async () => {
    const serial = `E2E${Date.now().toString(36).toUpperCase()}`;
    const issued = await psb.issueLicense({ ...idCardRequest(), serial });
    expect(issued.licenseId).toContain(`.${serial}.001.`);
    const again = await refusal(psb.issueLicense({ ...idCardRequest(), serial }));
    expect(again.status).toBe(409);
    expect(again.problem.type).toBe('urn:elicense:problem:conflict');
  });
});

describe('status changes show in verification', () => {
  it('suspend → fails as suspended; reinstate → verifies; revoke → fails; revoke again → 409', async () => {
    const { licenseId, sdJwt } = await psb.issueLicense(idCardRequest());

    expect(await psb.suspend(licenseId, '挂失')).toMatchObject({ licenseId, status: 'suspended' });
    const suspended = await verify(sdJwt);
    expect(suspended.valid).toBe(false);
    expect(suspended.checks.status).toMatch(/^failed: suspended/);

    expect(await psb.reinstate(licenseId)).toMatchObject({ status: 'valid' });
    expect((await verify(sdJwt)).valid).toBe(true);

    expect(await psb.revoke(licenseId, '证件注销')).toMatchObject({ status: 'revoked' });
    const revoked = await verify(sdJwt);
    expect(revoked.valid).toBe(false);
    expect(revoked.checks.status).toMatch(/^failed/);

    const twice = await refusal(psb.revoke(licenseId, '证件注销'));
    expect(twice.status).toBe(409);
    expect(twice.problem).toMatchObject({
      type: 'urn:elicense:problem:conflict',
      code: 'ILLEGAL_TRANSITION',
    });
    const reinstated = await refusal(psb.reinstate(licenseId));
    expect(reinstated.status).toBe(409);
  });

  it('an issue repeated under its Idempotency-Key after the license was revoked → 409 ISSUED_LICENSE_CHANGED naming its status', async () => {
    const idempotencyKey = randomUUID();
    const { licenseId } = await psb.issueLicense(idCardRequest(), { idempotencyKey });
    await psb.revoke(licenseId, '证件注销');

    const repeat = await refusal(psb.issueLicense(idCardRequest(), { idempotencyKey }));
    expect(repeat.status).toBe(409);
    expect(repeat.problem).toMatchObject({
      type: 'urn:elicense:problem:conflict',
      status: 409,
      code: 'ISSUED_LICENSE_CHANGED',
      licenseId,
      licenseStatus: 'revoked',
    });
  });

  it('refuses to suspend or revoke without a reason', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const response = await psb.agency.request('POST', `/licenses/${licenseId}/revoke`, {
      json: {},
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'urn:elicense:problem:validation-failed',
      errors: [{ path: 'reason' }],
    });
    const suspend = await psb.agency.request('POST', `/licenses/${licenseId}/suspend`, {
      json: { reason: '  ' },
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    expect(suspend.status).toBe(400);
  });

  it('reissue → the old version is superseded and fails, the new one verifies with the new data', async () => {
    const first = await psb.issueLicense(idCardRequest());
    const same = await psb.reissue(first.licenseId, { reason: '补领' });
    expect(same).toMatchObject({ version: '002', status: 'valid', supersedes: first.licenseId });
    expect((await verify(first.sdJwt)).valid).toBe(false);
    const verified = await verify(same.sdJwt);
    expect(verified.valid).toBe(true);
    expect(verified.claims?.fields.住址).toBe('演示市示例区示例路18号');

    const moved = await psb.reissue(same.licenseId, {
      reason: '换领',
      data: idCardRequest({ 住址: '演示市新区新路1号' }).data,
    });
    expect(moved.version).toBe('003');
    expect((await verify(same.sdJwt)).valid).toBe(false);
    expect((await verify(moved.sdJwt)).claims?.fields.住址).toBe('演示市新区新路1号');

    const stale = await refusal(psb.reissue(first.licenseId));
    expect(stale.status).toBe(409);
  });

  it('unknown license → 404; malformed identifier → 400', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const parsed = parseLicenseId(licenseId);
    if (!parsed.valid) throw new Error(parsed.reason);
    const { buildLicenseId } = await import('#core/identifiers/license-id.ts');
    const missing = buildLicenseId({ ...parsed.parts, version: '007' });
    expect((await refusal(psb.suspend(missing, 'x'))).status).toBe(404);
    expect((await refusal(psb.suspend('1.2.156.3005.2.nonsense', 'x'))).status).toBe(400);
  });

  it('a reason that is no Unicode text (a lone surrogate) → 400, and the license stays valid', async () => {
    const { licenseId, sdJwt } = await psb.issueLicense(idCardRequest());
    const refused = await refusal(psb.suspend(licenseId, 'lost \ud800'));
    expect(refused.status).toBe(400);
    expect(refused.problem.type).toBe('urn:elicense:problem:validation-failed');
    expect((await verify(sdJwt)).valid).toBe(true);
  });
});

describe('POST /licenses with its layout document', () => {
  it('issues a license with its PDF in one request; the holder’s copy links the same bytes', async () => {
    const pdf = minimalPdf('居民身份证 (随证颁发)');
    const issued = await psb.issueLicense({
      ...idCardRequest(),
      document: { bytes: pdf, mediaType: 'application/pdf' },
    });
    expect((await verify(issued.sdJwt)).valid).toBe(true);

    const zhang = createHolderClient({ endpoint: base, token: await holderToken('zhangweiming') });
    const seen = await zhang.license(issued.licenseId);
    expect(seen.document).toMatchObject({
      sha256: createHash('sha256').update(pdf).digest('base64url'),
      mediaType: 'application/pdf',
    });
    const download = await fetch(seen.document!.url);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true);
  });

  it('refuses a document that is not a PDF, and a batch item carrying one, issuing nothing', async () => {
    const serial = `DOC${Date.now().toString(36).toUpperCase()}`;
    const notPdf = await refusal(
      psb.issueLicense({
        ...idCardRequest(),
        serial,
        document: { bytes: new TextEncoder().encode('hello'), mediaType: 'application/pdf' },
      }),
    );
    expect(notPdf.status).toBe(400);
    // Nothing was issued under the serial: it is still free.
    const issued = await psb.issueLicense({ ...idCardRequest(), serial });
    expect(issued.licenseId).toContain(`.${serial}.001.`);

    const batch = await psb.agency.request('POST', '/licenses/batch', {
      json: {
        items: [{ ...idCardRequest(), document: { mediaType: 'application/pdf', content: 'JVBERi0=' } }],
      },
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    expect(batch.status).toBe(200);
    expect((await batch.json()) as unknown).toMatchObject({
      issued: 0,
      failed: 1,
      items: [{ index: 0, status: 400, problem: { type: 'urn:elicense:problem:validation-failed' } }],
    });
  });
});

describe('POST /licenses/{id}/document', () => {
  it('stores a PDF and records its SHA-256 in the license', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const pdf = minimalPdf('居民身份证 (演示)');
    const attached = await psb.attachDocument(licenseId, pdf, 'application/pdf');
    expect(attached).toEqual({
      licenseId,
      version: '001',
      document: {
        sha256: createHash('sha256').update(pdf).digest('base64url'),
        size: pdf.byteLength,
        mediaType: 'application/pdf',
      },
    });
  });

  it('refuses bytes that are not what the media type says, another type, and a revoked license', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const notPdf = await refusal(
      psb.attachDocument(licenseId, new TextEncoder().encode('hello'), 'application/pdf'),
    );
    expect(notPdf.status).toBe(400);
    const response = await psb.agency.request('POST', `/licenses/${licenseId}/document`, {
      body: new TextEncoder().encode('hello'),
      headers: { 'content-type': 'text/plain', 'idempotency-key': crypto.randomUUID() },
    });
    expect(response.status).toBe(415);
    await psb.revoke(licenseId, '注销');
    const final = await refusal(psb.attachDocument(licenseId, minimalPdf(), 'application/pdf'));
    expect(final.status).toBe(409);
  });
});

describe('POST /licenses/{id}/document-uploads', () => {
  it('attaches a 5 MiB PDF by a presigned PUT; the holder’s copy links the same bytes', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const pdf = pdfOfSize(5 * 1024 * 1024);
    const attached = await psb.uploadDocument(licenseId, pdf, 'application/pdf');
    expect(attached).toEqual({
      licenseId,
      version: '001',
      document: {
        sha256: createHash('sha256').update(pdf).digest('base64url'),
        size: pdf.byteLength,
        mediaType: 'application/pdf',
      },
    });
    const zhang = createHolderClient({ endpoint: base, token: await holderToken('zhangweiming') });
    const seen = await zhang.license(licenseId);
    expect(seen.document?.sha256).toBe(attached.document.sha256);
    const download = await fetch(seen.document!.url);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true);
  });

  it('binds an upload to its license: bytes other than declared, another license, another agency and a revoked license are refused', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const other = await psb.issueLicense(idCardRequest());
    const pdf = minimalPdf('声明的文件');
    const sha256 = createHash('sha256').update(pdf).digest('base64url');
    const declared = { sha256, size: pdf.byteLength, mediaType: 'application/pdf' as const };

    // Completed on another license of the same agency: not found, and the upload stays usable.
    const pending = await psb.beginDocumentUpload(licenseId, declared);
    const put = await fetch(pending.url, { method: 'PUT', headers: pending.headers, body: pdf });
    expect(put.status).toBe(200);
    const elsewhere = await refusal(
      psb.completeDocumentUpload(other.licenseId, { upload: pending.upload, sha256 }),
    );
    expect(elsewhere.status).toBe(404);
    const wrongDigest = await refusal(
      psb.completeDocumentUpload(licenseId, { upload: pending.upload, sha256: sha256.replace(/^./, 'A') }),
    );
    expect(wrongDigest.status).toBe(400);
    expect(wrongDigest.problem.code).toBe('DOCUMENT_UPLOAD_REJECTED');
    // Rejected for its digest: the bytes were still there after the other license's attempt.
    expect(wrongDigest.problem.detail).toContain('(digest)');
    // The rejection deleted the upload: completing it now finds nothing there.
    const gone = await refusal(psb.completeDocumentUpload(licenseId, { upload: pending.upload, sha256 }));
    expect(gone.status).toBe(400);
    expect(gone.problem.detail).toContain('not-uploaded');

    expect((await refusal(amr.beginDocumentUpload(licenseId, declared))).status).toBe(403);
    expect(
      (await refusal(psb.beginDocumentUpload(licenseId, { ...declared, size: 20 * 1024 * 1024 + 1 }))).status,
    ).toBe(400);
    await psb.revoke(licenseId, '注销');
    expect((await refusal(psb.beginDocumentUpload(licenseId, declared))).status).toBe(409);
  });
});

describe('POST /licenses/batch', () => {
  it('issues every valid item on its own and reports each outcome with counts', async () => {
    const serial = `B${Date.now().toString(36).toUpperCase()}`;
    const result = await psb.issueBatch([
      idCardRequest(),
      { ...idCardRequest({ 性别: '未知' }) },
      { ...idCardRequest(), serial },
      { ...idCardRequest(), serial },
      { ...businessLicenseRequest() },
      { ...idCardRequest(), extra: true } as unknown as ReturnType<typeof idCardRequest>,
    ]);
    expect(result.issued).toBe(2);
    expect(result.failed).toBe(4);
    // Items are issued concurrently: either copy of the duplicated serial may be the one issued.
    const statuses = result.items.map((i) => i.status);
    expect(result.items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([statuses[0], statuses[1], statuses[4], statuses[5]]).toEqual([201, 400, 403, 400]);
    expect([statuses[2], statuses[3]].sort()).toEqual([201, 409]);
    expect(result.items[1]!.problem?.errors).toEqual([expect.objectContaining({ path: 'data.性别' })]);
    for (const item of result.items.filter((i) => i.status === 201)) {
      expect(item.licenseId).toMatch(/^1\.2\.156\.3005\.2\./);
    }
  });

  it('remembers no value a refused item quoted: a repeat answers the same outcomes, each error by path and code', async () => {
    const odd = `未知${randomUUID()}`;
    const items = [idCardRequest({ 性别: odd }), idCardRequest()];
    const idempotencyKey = randomUUID();
    const first = await psb.issueBatch(items, { idempotencyKey });
    expect(first).toMatchObject({ issued: 1, failed: 1 });
    expect(first.items[0]!.problem?.errors).toEqual([
      expect.objectContaining({ path: 'data.性别', code: 'enum', message: expect.stringContaining(odd) }),
    ]);

    const repeat = await psb.issueBatch(items, { idempotencyKey });
    const outcome = (item: (typeof first.items)[number]) => ({
      index: item.index,
      status: item.status,
      licenseId: item.licenseId,
      type: item.problem?.type,
      errors: item.problem?.errors?.map(({ path, code }) => ({ path, code })),
    });
    expect(repeat.items.map(outcome)).toEqual(first.items.map(outcome));
    expect(repeat.items[0]!.problem).toMatchObject({ status: 400, code: first.items[0]!.problem!.code });
    expect(JSON.stringify(repeat)).not.toContain(odd);

    const records = await idempotencyRecordsMentioning(first.items[1]!.licenseId!);
    expect(records).toHaveLength(1);
    expect(records[0]).not.toContain(odd);
  });

  it('refuses an empty batch and one of more than 100 items as a whole', async () => {
    await expect(psb.issueBatch([])).rejects.toMatchObject({ status: 400 });
    const many = Array.from({ length: 101 }, () => idCardRequest());
    await expect(psb.issueBatch(many)).rejects.toMatchObject({ status: 400 });
  });
});

// Status changes, re-issue and layout documents with in-memory ports: only the issuer, only
// legal transitions, status entries and audit events written with the change.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  attachLicenseDocument,
  beginLicenseDocumentUpload,
  completeLicenseDocumentUpload,
} from '#app/attach-license-document.ts';
import { changeLicenseStatus } from '#app/change-license-status.ts';
import { issueLicense } from '#app/issue-license.ts';
import { issuerCopy } from '#app/issuer-copy.ts';
import {
  IssuedLicenseChanged,
  IssuerNotRegistered,
  LicenseDataInvalid,
  LicenseIsFinal,
  NotTheIssuer,
} from '#app/issuer-errors.ts';
import { asLicenseContent, openLicenseContent } from '#app/license-content.ts';
import { fieldsOfSdJwt, type LicenseRequest } from '#app/license-issuance.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { InvalidIdentifier } from '#core/identifiers/identifier-check.ts';
import { buildLicenseId, parseLicenseId } from '#core/identifiers/license-id.ts';
import { DocumentNotFound } from '#core/layout-document/errors.ts';
import { IllegalTransition, MAX_KEPT_STATUS_CHANGES, ReasonRequired } from '#core/lifecycle.ts';
import { verifySdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { ConcurrentModification, LicenseNotFound, StoreBusy } from '#core/storage-errors.ts';
import {
  DEMO_HOLDERS,
  DEMO_LICENSES,
  DEMO_TYPE_CODE,
  DEMO_USCC,
  RESIDENT_IDENTITY_CARD,
} from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { toProblemResponse } from '#http/problem.ts';
import { issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const AMR = { agency: DEMO_USCC.marketRegulationBureau };
const NOW = new Date('2025-06-01T02:00:00.000Z');
const PDF = new TextEncoder().encode('%PDF-1.7\n%demo\n');

const card: LicenseRequest = {
  typeCode: DEMO_TYPE_CODE.residentIdentityCard,
  holder: {
    name: DEMO_HOLDERS.zhangWeiming.name,
    codeType: DEMO_HOLDERS.zhangWeiming.codeType,
    code: DEMO_HOLDERS.zhangWeiming.code,
  },
  data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
};

async function issued() {
  const world = issuerWorld(NOW);
  const license = await issueLicense(card, PSB, world.deps);
  return { world, license };
}

async function verify(world: ReturnType<typeof issuerWorld>, sdJwt: string) {
  return verifySdJwtVc(sdJwt, {
    now: NOW.getTime() / 1000,
    resolveIssuerKey: (_iss, kid) => [...world.catalog.seals.values()].find((s) => s.kid === kid)?.publicJwk,
    status: (ref) =>
      world.licenses.slotValue({ listId: decodeURIComponent(ref.uri.split('/').at(-1)!), index: ref.idx }) ??
      3,
  });
}

describe('changeLicenseStatus', () => {
  it('suspends, reinstates and revokes, moving the status entry and auditing each change', async () => {
    const { world, license } = await issued();
    const { licenseId } = license;
    const suspended = await changeLicenseStatus(
      { licenseId, action: 'suspend', reason: '挂失' },
      PSB,
      world.deps,
    );
    expect(suspended).toEqual({
      licenseId,
      version: '001',
      status: 'suspended',
      statusList: license.statusList,
    });
    expect((await verify(world, license.sdJwt)).checks.status).toMatch(/^failed: suspended/);
    await changeLicenseStatus({ licenseId, action: 'reinstate' }, PSB, world.deps);
    expect((await verify(world, license.sdJwt)).valid).toBe(true);
    await changeLicenseStatus({ licenseId, action: 'revoke', reason: '证件作废' }, PSB, world.deps);
    expect((await verify(world, license.sdJwt)).valid).toBe(false);

    expect(world.licenses.records.get(licenseId)).toMatchObject({ status: 'revoked', version: 4 });
    expect(world.licenses.audit.map((e) => [e.action, e.details])).toEqual([
      ['license.issued', expect.anything()],
      ['license.suspended', { from: 'valid', to: 'suspended', reason: '挂失' }],
      ['license.resumed', { from: 'suspended', to: 'valid', reason: null }],
      ['license.revoked', { from: 'valid', to: 'revoked', reason: '证件作废' }],
    ]);
  });

  it(`keeps the last ${MAX_KEPT_STATUS_CHANGES} changes on the record — a re-issue too — and every one in the audit log`, async () => {
    const { world, license } = await issued();
    const { licenseId } = license;
    const changes = MAX_KEPT_STATUS_CHANGES + 3;
    for (let n = 0; n < changes; n += 1) {
      const action = n % 2 === 0 ? 'suspend' : 'reinstate';
      await changeLicenseStatus({ licenseId, action, reason: `change ${n}` }, PSB, world.deps);
    }
    const next = await reissueLicense({ licenseId, reason: '补领' }, PSB, world.deps);

    const kept = world.licenses.records.get(licenseId)!.history;
    expect(kept.map((c) => c.reason)).toEqual([
      ...Array.from(
        { length: MAX_KEPT_STATUS_CHANGES - 1 },
        (_, i) => `change ${changes - MAX_KEPT_STATUS_CHANGES + 1 + i}`,
      ),
      '补领',
    ]);
    expect(kept.at(-1)).toMatchObject({ action: 'supersede', supersededBy: next.licenseId });
    expect(world.licenses.audit.filter((e) => e.subject?.licenseId === licenseId)).toHaveLength(changes + 1);
  });

  it('refuses an illegal transition and a missing reason, writing nothing', async () => {
    const { world, license } = await issued();
    const { licenseId } = license;
    await expect(
      changeLicenseStatus({ licenseId, action: 'reinstate' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(IllegalTransition);
    await expect(
      changeLicenseStatus({ licenseId, action: 'revoke' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(ReasonRequired);
    await changeLicenseStatus({ licenseId, action: 'revoke', reason: '注销' }, PSB, world.deps);
    await expect(
      changeLicenseStatus({ licenseId, action: 'revoke', reason: '注销' }, PSB, world.deps),
    ).rejects.toThrow(/a revoked license cannot become revoked/);
    expect(world.licenses.audit).toHaveLength(2);
  });

  it('refuses a reason naming an identity number, for every change and a re-issue, writing nothing', async () => {
    const { world, license } = await issued();
    const { licenseId } = license;
    // Kept with the license and audited for good: however the number is written.
    const reasons = [
      `持证人 ${card.holder.code} 挂失`,
      '持证人 ３３０１０２ １９９００３０７ １２３０ 挂失',
      '他人身份证 11010519491231002x 冒用',
    ];
    const before = { ...world.licenses.records.get(licenseId) };
    for (const reason of reasons) {
      for (const action of ['suspend', 'revoke'] as const) {
        await expect(
          changeLicenseStatus({ licenseId, action, reason }, PSB, world.deps),
        ).rejects.toMatchObject({
          name: 'IdentityNumberInText',
          errors: [{ path: 'reason' }],
        });
      }
      await expect(reissueLicense({ licenseId, reason }, PSB, world.deps)).rejects.toBeInstanceOf(
        IdentityNumberInText,
      );
    }
    await changeLicenseStatus({ licenseId, action: 'suspend', reason: '挂失' }, PSB, world.deps);
    await expect(
      changeLicenseStatus({ licenseId, action: 'reinstate', reason: reasons[0] }, PSB, world.deps),
    ).rejects.toBeInstanceOf(IdentityNumberInText);
    expect(world.licenses.records.get(licenseId)).toMatchObject({
      status: 'suspended',
      version: before.version! + 1,
    });
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.suspended']);
    // An 18-digit number that is not an identity number is a reference like any other.
    await changeLicenseStatus(
      { licenseId, action: 'revoke', reason: '决定书 202403051234567895' },
      PSB,
      world.deps,
    );
    expect(world.licenses.audit.at(-1)?.details).toMatchObject({ reason: '决定书 202403051234567895' });
  });

  it('refuses another agency from the identifier alone, and names a malformed identifier', async () => {
    const { world, license } = await issued();
    let reads = 0;
    const licenses = {
      get: async (id: string) => {
        reads += 1;
        return world.licenses.get(id);
      },
      changeStatus: world.licenses.changeStatus.bind(world.licenses),
    };
    const deps = { ...world.deps, licenses };
    await expect(
      changeLicenseStatus({ licenseId: license.licenseId, action: 'revoke', reason: 'x' }, AMR, deps),
    ).rejects.toBeInstanceOf(NotTheIssuer);
    expect(reads).toBe(0);
    await expect(
      changeLicenseStatus(
        { licenseId: '1.2.156.3005.2.nonsense', action: 'suspend', reason: 'x' },
        PSB,
        deps,
      ),
    ).rejects.toBeInstanceOf(InvalidIdentifier);
    // Version 002 with a check character that is certainly wrong (never the right one by chance).
    const parsed = parseLicenseId(license.licenseId);
    if (!parsed.valid) throw new Error(parsed.reason);
    const valid002 = buildLicenseId({ ...parsed.parts, version: '002' });
    const unknown = `${valid002.slice(0, -1)}${valid002.endsWith('0') ? '1' : '0'}`;
    await expect(
      changeLicenseStatus({ licenseId: unknown, action: 'suspend', reason: 'x' }, PSB, deps),
    ).rejects.toBeInstanceOf(InvalidIdentifier);
  });

  it('reports a license that is not stored', async () => {
    const { world } = await issued();
    const other = await issueLicense(card, PSB, issuerWorld(NOW).deps);
    await expect(
      changeLicenseStatus({ licenseId: other.licenseId, action: 'suspend', reason: 'x' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(LicenseNotFound);
  });

  it('passes on a lost race as ConcurrentModification', async () => {
    const { world, license } = await issued();
    world.licenses.failNextWrite = new ConcurrentModification(`license ${license.licenseId}`, 1, 2);
    await expect(
      changeLicenseStatus({ licenseId: license.licenseId, action: 'suspend', reason: 'x' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(ConcurrentModification);
  });
});

describe('an agency removed from a type’s issuers', () => {
  it('still suspends and revokes the licenses of the type it issued, and may no longer reinstate, re-issue or attach a document', async () => {
    const { world, license } = await issued();
    const { licenseId } = license;
    const sha256 = createHash('sha256').update(PDF).digest('base64url');
    const declared = { licenseId, sha256, size: PDF.byteLength, mediaType: 'application/pdf' };
    const pending = await beginLicenseDocumentUpload(declared, PSB, world.deps);
    world.documents.arrive(pending.upload, PDF);
    world.catalog.removeIssuer(DEMO_TYPE_CODE.residentIdentityCard, PSB.agency);

    await changeLicenseStatus({ licenseId, action: 'suspend', reason: '挂失' }, PSB, world.deps);
    const refusals = [
      () => changeLicenseStatus({ licenseId, action: 'reinstate' }, PSB, world.deps),
      () => reissueLicense({ licenseId }, PSB, world.deps),
      () => attachLicenseDocument({ licenseId, bytes: PDF, mediaType: 'application/pdf' }, PSB, world.deps),
      () => beginLicenseDocumentUpload(declared, PSB, world.deps),
      () => completeLicenseDocumentUpload({ licenseId, upload: pending.upload, sha256 }, PSB, world.deps),
    ];
    for (const attempt of refusals) {
      const refused = attempt();
      await expect(refused).rejects.toBeInstanceOf(IssuerNotRegistered);
      await expect(refused).rejects.toThrow(/not registered as an issuer of type 11100000D00000013G001/);
    }
    await changeLicenseStatus({ licenseId, action: 'revoke', reason: '注销' }, PSB, world.deps);

    expect(world.licenses.records.get(licenseId)).toMatchObject({ status: 'revoked' });
    expect(world.licenses.records.get(licenseId)!.content.document).toBeUndefined();
    expect(world.licenses.audit.map((e) => e.action)).toEqual([
      'license.issued',
      'license.document_upload_begun',
      'license.suspended',
      'license.revoked',
    ]);
    // Only the upload that arrived before is stored; nothing more was put.
    expect([...world.documents.stored.keys()]).toEqual([pending.upload]);
  });
});

describe('reissueLicense', () => {
  it('re-signs the same data as version 002, supersedes 001 and keeps the layout document', async () => {
    const { world, license } = await issued();
    await attachLicenseDocument(
      { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    const next = await reissueLicense({ licenseId: license.licenseId, reason: '补领' }, PSB, world.deps);

    expect(next.licenseId).toMatch(/\.002\.[0-9A-Z*]$/);
    expect(next).toMatchObject({ version: '002', status: 'valid', supersedes: license.licenseId });
    expect(next.licenseId.slice(0, -6)).toBe(license.licenseId.slice(0, -6));
    expect((await verify(world, license.sdJwt)).valid).toBe(false);
    const verified = await verify(world, next.sdJwt);
    expect(verified.valid).toBe(true);
    expect(verified.claims?.fields).toEqual(fieldsOfSdJwt(license.sdJwt));
    expect(next.statusList).not.toEqual(license.statusList);
    expect(world.licenses.records.get(license.licenseId)).toMatchObject({
      status: 'superseded',
      supersededBy: next.licenseId,
    });
    const stored = world.licenses.records.get(next.licenseId)!;
    expect(stored.content.document).toEqual(world.licenses.records.get(license.licenseId)!.content.document);
    expect(world.licenses.audit.at(-1)).toMatchObject({
      action: 'license.reissued',
      subject: { licenseId: next.licenseId, licenseVersion: '002' },
      details: { supersedes: license.licenseId, reason: '补领', dataChanged: 0 },
    });
  });

  it('re-signs new data, checked against the type, and drops the layout document of the old data', async () => {
    const { world, license } = await issued();
    await attachLicenseDocument(
      { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    await expect(
      reissueLicense({ licenseId: license.licenseId, data: { ...card.data, 性别: '?' } }, PSB, world.deps),
    ).rejects.toBeInstanceOf(LicenseDataInvalid);
    const next = await reissueLicense(
      { licenseId: license.licenseId, data: { ...card.data, 住址: '演示市新区新路1号' } },
      PSB,
      world.deps,
    );
    expect((await verify(world, next.sdJwt)).claims?.fields.住址).toBe('演示市新区新路1号');
    expect(world.licenses.records.get(next.licenseId)!.content.document).toBeUndefined();
  });

  it('keeps the layout document when the data sent is the current data, in another spelling, and records no change of data', async () => {
    const { world, license } = await issued();
    await attachLicenseDocument(
      { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    const document = world.licenses.records.get(license.licenseId)!.content.document;
    // The same data as the issuer's system sends it whole: printed validity, padded name.
    const restated = { ...card.data, 姓名: ` ${card.data.姓名} `, 有效期限: '2025.06.01-2045.06.01' };
    const next = await reissueLicense({ licenseId: license.licenseId, data: restated }, PSB, world.deps);

    expect((await verify(world, next.sdJwt)).claims?.fields).toEqual(fieldsOfSdJwt(license.sdJwt));
    expect(world.licenses.records.get(next.licenseId)!.content.document).toEqual(document);
    expect(world.licenses.audit.at(-1)).toMatchObject({
      action: 'license.reissued',
      details: { dataChanged: 0 },
    });
  });

  it('refuses a revoked license, another agency, and a superseded version', async () => {
    const { world, license } = await issued();
    await expect(reissueLicense({ licenseId: license.licenseId }, AMR, world.deps)).rejects.toBeInstanceOf(
      NotTheIssuer,
    );
    await reissueLicense({ licenseId: license.licenseId }, PSB, world.deps);
    await expect(reissueLicense({ licenseId: license.licenseId }, PSB, world.deps)).rejects.toThrow(
      /a superseded license cannot become superseded/,
    );
    const other = await issueLicense(card, PSB, world.deps);
    await changeLicenseStatus({ licenseId: other.licenseId, action: 'revoke', reason: 'x' }, PSB, world.deps);
    await expect(reissueLicense({ licenseId: other.licenseId }, PSB, world.deps)).rejects.toBeInstanceOf(
      IllegalTransition,
    );
  });
});

describe('reissueLicense of a type whose validity is given apart from the data', () => {
  // A resident identity card without 有效期限 in its data: the validity is sent as `validity`.
  const type: LicenseType = {
    ...RESIDENT_IDENTITY_CARD,
    code: `${RESIDENT_IDENTITY_CARD.code.slice(0, 18)}009`,
    fields: RESIDENT_IDENTITY_CARD.fields.filter((f) => f.name !== '有效期限'),
    validity: { termsInYears: [10, 20], longTermAllowed: false, explicitEndAllowed: false },
  };
  const { 有效期限: _apart, ...data } = card.data;
  const twentyYears = { from: '2025-06-01', until: '2045-06-01' };

  async function issuedApart() {
    const world = issuerWorld(NOW);
    world.catalog.types = [...world.catalog.types, type];
    const license = await issueLicense(
      { typeCode: type.code, holder: card.holder, data, validity: twentyYears },
      PSB,
      world.deps,
    );
    await attachLicenseDocument(
      { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    return { world, license };
  }

  const opened = (world: ReturnType<typeof issuerWorld>, licenseId: string) => {
    const record = world.licenses.records.get(licenseId)!;
    return openLicenseContent(
      world.deps.cipher,
      { dataDomain: record.dataDomain, licenseId },
      record.content,
    );
  };

  it('补发 without data or validity re-signs the current version’s validity, and keeps the layout document', async () => {
    const { world, license } = await issuedApart();
    const next = await reissueLicense({ licenseId: license.licenseId, reason: '补领' }, PSB, world.deps);
    const { content } = await opened(world, next.licenseId);
    expect(content.validity).toEqual(twentyYears);
    expect(content.document).toEqual((await opened(world, license.licenseId)).content.document);
    expect((await verify(world, next.sdJwt)).claims?.expiresAt).toBe(Date.UTC(2045, 5, 1, 16) / 1000);
  });

  it('keeps the document when the same validity is sent again, and drops it with another validity, which the old document does not print', async () => {
    const same = await issuedApart();
    const again = await reissueLicense(
      { licenseId: same.license.licenseId, validity: { from: '2025.06.01', until: '2045-06-01' } },
      PSB,
      same.world.deps,
    );
    expect((await opened(same.world, again.licenseId)).content.document).toBeDefined();

    const { world, license } = await issuedApart();
    const tenYears = { from: '2025-06-01', until: '2035-06-01' };
    const next = await reissueLicense({ licenseId: license.licenseId, validity: tenYears }, PSB, world.deps);
    const { content } = await opened(world, next.licenseId);
    expect(content.validity).toEqual(tenYears);
    expect(content.document).toBeUndefined();
  });

  it('refuses a validity starting after today, China time: the current version stays in force and nothing is written', async () => {
    const { world, license } = await issuedApart();
    const records = world.licenses.records.size;
    const events = world.licenses.audit.length;
    // A renewal ahead of its term: the new term starts the day after today in China (02:00 UTC is 10:00 there).
    const renewal = { from: '2025-06-02', until: '2045-06-02' };

    const error = await reissueLicense(
      { licenseId: license.licenseId, validity: renewal },
      PSB,
      world.deps,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(LicenseDataInvalid);
    expect((error as LicenseDataInvalid).errors).toEqual([
      expect.objectContaining({
        path: 'validity.from',
        code: 'validity-not-started',
        message: expect.stringContaining('issue the renewal as a new license, or re-issue on 2025-06-02'),
      }),
    ]);
    const problem = toProblemResponse(asProblem(error));
    expect(problem.statusCode).toBe(400);
    expect(JSON.parse(problem.body)).toMatchObject({ code: 'LICENSE_DATA_INVALID' });
    expect(world.licenses.records.size).toBe(records);
    expect(world.licenses.records.get(license.licenseId)?.status).toBe('valid');
    expect(world.licenses.audit.length).toBe(events);
  });

  it('issues a first license ahead of its term, and re-issues it, not yet in force, with a later start', async () => {
    const world = issuerWorld(NOW);
    world.catalog.types = [...world.catalog.types, type];
    const renewal = { from: '2025-07-01', until: '2045-07-01' };
    const license = await issueLicense(
      { typeCode: type.code, holder: card.holder, data, validity: renewal },
      PSB,
      world.deps,
    );
    // Superseding a version not yet in force takes nothing verifiable from the holder.
    const later = { from: '2025-07-15', until: '2045-07-15' };
    const next = await reissueLicense({ licenseId: license.licenseId, validity: later }, PSB, world.deps);

    expect((await opened(world, next.licenseId)).content.validity).toEqual(later);
    expect(world.licenses.records.get(license.licenseId)?.status).toBe('superseded');
  });
});

describe('attachLicenseDocument', () => {
  it('stores the bytes and records key and digest in the license with an audit event', async () => {
    const { world, license } = await issued();
    const attached = await attachLicenseDocument(
      { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    expect(attached).toMatchObject({
      licenseId: license.licenseId,
      version: '001',
      document: { size: PDF.byteLength, mediaType: 'application/pdf' },
    });
    expect(attached.document.sha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(world.licenses.records.get(license.licenseId)!.content.document).toEqual({
      key: 'doc-1',
      ...attached.document,
    });
    expect(world.documents.stored.get('doc-1')?.owner).toBe(`license:${license.licenseId}`);
    expect(world.licenses.audit.at(-1)).toMatchObject({
      action: 'license.document_attached',
      details: { sha256: attached.document.sha256 },
    });
  });

  it('refuses a final license before storing anything, and removes the bytes when the record write is refused', async () => {
    const { world, license } = await issued();
    world.licenses.failNextWrite = new StoreBusy('attachDocument', ['ThrottlingError']);
    await expect(
      attachLicenseDocument(
        { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(StoreBusy);
    expect(world.documents.stored.size).toBe(0);
    await changeLicenseStatus(
      { licenseId: license.licenseId, action: 'revoke', reason: 'x' },
      PSB,
      world.deps,
    );
    await expect(
      attachLicenseDocument(
        { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(LicenseIsFinal);
    expect(world.documents.stored.size).toBe(0);
  });
});

describe('attachLicenseDocument after a failure that may still land', () => {
  it('keeps the bytes: the write may land after the failure was seen, pointing at them', async () => {
    const { world, license } = await issued();
    const attach = world.licenses.attachDocument.bind(world.licenses);
    let land: (() => Promise<unknown>) | undefined;
    world.licenses.attachDocument = async (write) => {
      land = () => attach(write);
      throw new Error('socket timed out');
    };
    await expect(
      attachLicenseDocument(
        { licenseId: license.licenseId, bytes: PDF, mediaType: 'application/pdf' },
        PSB,
        world.deps,
      ),
    ).rejects.toThrow('timed out');
    await land!();
    const held = asLicenseContent(world.licenses.records.get(license.licenseId)!.content).document;
    expect(held).toBeDefined();
    expect(world.documents.stored.has(held!.key)).toBe(true);
  });
});

describe('document uploads', () => {
  it('presigns an upload bound to the license version, and binds what arrived on completion, audited', async () => {
    const { world, license } = await issued();
    const sha256 = createHash('sha256').update(PDF).digest('base64url');
    const pending = await beginLicenseDocumentUpload(
      { licenseId: license.licenseId, sha256, size: PDF.byteLength, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    expect(pending).toMatchObject({ licenseId: license.licenseId, method: 'PUT', sha256 });
    expect(pending.expiresAt).toBe('2025-06-01T02:15:00.000Z');
    expect(world.documents.uploads.get(pending.upload)?.owner).toBe(`license:${license.licenseId}`);
    // The URL is a capability to write into the document store: it left with its record.
    expect(world.licenses.audit.at(-1)).toMatchObject({
      action: 'license.document_upload_begun',
      actor: { kind: 'agency', id: PSB.agency },
      subject: { licenseId: license.licenseId },
      details: {
        upload: pending.upload,
        sha256,
        size: PDF.byteLength,
        mediaType: 'application/pdf',
        expiresAt: pending.expiresAt,
      },
    });
    world.documents.arrive(pending.upload, PDF);

    const attached = await completeLicenseDocumentUpload(
      { licenseId: license.licenseId, upload: pending.upload, sha256 },
      PSB,
      world.deps,
    );
    expect(attached.document).toEqual({ sha256, size: PDF.byteLength, mediaType: 'application/pdf' });
    expect(world.licenses.records.get(license.licenseId)!.content.document).toMatchObject({
      key: pending.upload,
      sha256,
    });
    expect(world.licenses.audit.at(-1)).toMatchObject({ action: 'license.document_attached' });
  });

  it('an upload is completed only for its own license; a record write the store refused deletes it; final licenses get none', async () => {
    const { world, license } = await issued();
    const other = await issueLicense(card, PSB, world.deps);
    const sha256 = createHash('sha256').update(PDF).digest('base64url');
    const declared = { sha256, size: PDF.byteLength, mediaType: 'application/pdf' };
    const pending = await beginLicenseDocumentUpload(
      { licenseId: license.licenseId, ...declared },
      PSB,
      world.deps,
    );
    world.documents.arrive(pending.upload, PDF);
    await expect(
      completeLicenseDocumentUpload(
        { licenseId: other.licenseId, upload: pending.upload, sha256 },
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(DocumentNotFound);

    world.licenses.failNextWrite = new StoreBusy('attachDocument', ['ThrottlingError']);
    await expect(
      completeLicenseDocumentUpload(
        { licenseId: license.licenseId, upload: pending.upload, sha256 },
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(StoreBusy);
    expect(world.documents.stored.has(pending.upload)).toBe(false);

    await changeLicenseStatus(
      { licenseId: license.licenseId, action: 'revoke', reason: 'x' },
      PSB,
      world.deps,
    );
    const uploadsBefore = world.documents.uploads.size;
    await expect(
      beginLicenseDocumentUpload({ licenseId: license.licenseId, ...declared }, PSB, world.deps),
    ).rejects.toBeInstanceOf(LicenseIsFinal);
    expect(world.documents.uploads.size).toBe(uploadsBefore);
  });
});

describe('a document upload whose record cannot be written', () => {
  it('hands out no URL', async () => {
    const { world, license } = await issued();
    const sha256 = createHash('sha256').update(PDF).digest('base64url');
    const eventsBefore = world.licenses.audit.length;
    const deps = {
      ...world.deps,
      audit: {
        record: async () => {
          throw new StoreBusy('record', ['ThrottlingError']);
        },
      },
    };

    await expect(
      beginLicenseDocumentUpload(
        { licenseId: license.licenseId, sha256, size: PDF.byteLength, mediaType: 'application/pdf' },
        PSB,
        deps,
      ),
    ).rejects.toBeInstanceOf(StoreBusy);
    expect(world.licenses.audit).toHaveLength(eventsBefore);
  });
});

describe('document uploads, completed again or meanwhile changed', () => {
  async function arrived() {
    const { world, license } = await issued();
    const sha256 = createHash('sha256').update(PDF).digest('base64url');
    const pending = await beginLicenseDocumentUpload(
      { licenseId: license.licenseId, sha256, size: PDF.byteLength, mediaType: 'application/pdf' },
      PSB,
      world.deps,
    );
    world.documents.arrive(pending.upload, PDF);
    return { world, license, sha256, upload: pending.upload };
  }

  it('a license changed meanwhile (a status change) is read again and the document still recorded', async () => {
    const { world, license, sha256, upload } = await arrived();
    world.licenses.failNextWrite = new ConcurrentModification(`license ${license.licenseId}`, 1, 2);
    const attached = await completeLicenseDocumentUpload(
      { licenseId: license.licenseId, upload, sha256 },
      PSB,
      world.deps,
    );
    expect(attached.document.sha256).toBe(sha256);
    expect(world.licenses.records.get(license.licenseId)!.content.document).toMatchObject({ key: upload });
    expect(world.documents.stored.has(upload)).toBe(true);
  });

  it('completing a bound upload again answers as the first time and never touches the bytes', async () => {
    const { world, license, sha256, upload } = await arrived();
    const first = await completeLicenseDocumentUpload(
      { licenseId: license.licenseId, upload, sha256 },
      PSB,
      world.deps,
    );
    const events = world.licenses.audit.length;
    const again = await completeLicenseDocumentUpload(
      { licenseId: license.licenseId, upload, sha256 },
      PSB,
      world.deps,
    );
    expect(again).toEqual(first);
    expect(world.licenses.audit).toHaveLength(events);
    // With another digest it is refused, and the bound bytes stay.
    await expect(
      completeLicenseDocumentUpload(
        { licenseId: license.licenseId, upload, sha256: sha256.replace(/^./, 'A') },
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(DocumentNotFound);
    expect(world.documents.stored.has(upload)).toBe(true);
  });
});

describe('issuerCopy', () => {
  it('opens the issuer’s signed copy from storage, for the issuer only', async () => {
    const { world, license } = await issued();
    const events = world.licenses.audit.length;
    expect(await issuerCopy(license.licenseId, PSB, world.deps)).toBe(license.sdJwt);
    expect(world.licenses.audit.slice(events)).toEqual([
      expect.objectContaining({
        action: 'license.issuer_copy_read',
        actor: { kind: 'agency', id: PSB.agency },
        subject: expect.objectContaining({ licenseId: license.licenseId }),
      }),
    ]);
    await expect(issuerCopy(license.licenseId, AMR, world.deps)).rejects.toBeInstanceOf(NotTheIssuer);
  });

  // The copy read back answers an issue sent again under its Idempotency-Key, whose remembered
  // answer says `valid`: a license since suspended, revoked or re-issued is no longer that.
  it('refuses, reading and recording nothing, the copy of a license suspended, revoked or superseded since (409)', async () => {
    for (const [action, status] of [
      ['suspend', 'suspended'],
      ['revoke', 'revoked'],
    ] as const) {
      const { world, license } = await issued();
      await changeLicenseStatus({ licenseId: license.licenseId, action, reason: '挂失' }, PSB, world.deps);
      const events = world.licenses.audit.length;

      const refused = await issuerCopy(license.licenseId, PSB, world.deps).catch((e: unknown) => e);

      expect(refused).toBeInstanceOf(IssuedLicenseChanged);
      expect(asProblem(refused)).toMatchObject({
        status: 409,
        extensions: { code: 'ISSUED_LICENSE_CHANGED', licenseId: license.licenseId, licenseStatus: status },
      });
      // The response itself: a 409 whose RFC 9457 `status` no member stands in for.
      const response = toProblemResponse(asProblem(refused));
      expect(response.statusCode).toBe(409);
      expect(JSON.parse(response.body)).toMatchObject({ status: 409, licenseStatus: status });
      expect(world.licenses.audit).toHaveLength(events);
    }
    const { world, license } = await issued();
    const next = await reissueLicense({ licenseId: license.licenseId }, PSB, world.deps);
    await expect(issuerCopy(license.licenseId, PSB, world.deps)).rejects.toMatchObject({
      problemMembers: { licenseStatus: 'superseded', supersededBy: next.licenseId },
    });
  });
});

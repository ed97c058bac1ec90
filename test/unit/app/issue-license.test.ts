// The issue use cases (one and batch) with in-memory ports: what is signed, stored and audited,
// and every refusal leaving nothing behind.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type IssueLicenseRequest, issuanceSerial, issueLicense } from '#app/issue-license.ts';
import { issueLicenseBatch } from '#app/issue-license-batch.ts';
import { IssuanceKeyReused, IssuerNotRegistered, LicenseDataInvalid } from '#app/issuer-errors.ts';
import { openLicenseContent } from '#app/license-content.ts';
import { derivedSerial, type LicenseRequest, randomSerial, startOfChinaDay } from '#app/license-issuance.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { DocumentContentMismatch, UnsupportedDocumentType } from '#core/layout-document/errors.ts';
import { agencyIssuer, verifySdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { LicenseAlreadyExists, StoreBusy } from '#core/storage-errors.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { BASE_URL, bindingCipher, issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const AMR = { agency: DEMO_USCC.marketRegulationBureau };
const NOW = new Date('2025-06-01T02:00:00.000Z');

/** A resident identity card request for 张伟明, valid 20 years from the issue day. */
function idCard(
  overrides: Partial<LicenseRequest> = {},
  data: Record<string, unknown> = {},
  document?: IssueLicenseRequest['document'],
): IssueLicenseRequest {
  const holder = DEMO_HOLDERS.zhangWeiming;
  return {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
    data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' }, ...data },
    ...overrides,
    ...(document === undefined ? {} : { document }),
  };
}

const PDF = new TextEncoder().encode('%PDF-1.7\n%demo layout document\n');

async function verify(world: ReturnType<typeof issuerWorld>, sdJwt: string, now = NOW.getTime() / 1000) {
  return verifySdJwtVc(sdJwt, {
    now,
    resolveIssuerKey: (_iss, kid) => [...world.catalog.seals.values()].find((s) => s.kid === kid)?.publicJwk,
    status: (ref) => {
      const listId = decodeURIComponent(ref.uri.split('/').at(-1)!);
      return world.licenses.slotValue({ listId, index: ref.idx }) ?? 3;
    },
  });
}

describe('issueLicense', () => {
  it('signs a license that verifies with the agency seal, stores it with its audit event, and returns it', async () => {
    const world = issuerWorld(NOW);
    const issued = await issueLicense(idCard(), PSB, world.deps);

    const parsed = parseLicenseId(issued.licenseId);
    expect(parsed.valid && parsed.parts).toMatchObject({
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      issuerCode: PSB.agency,
      version: '001',
    });
    expect(issued).toMatchObject({ version: '001', status: 'valid' });
    expect(issued.statusList).toEqual({
      uri: `${BASE_URL}/status-lists/${encodeURIComponent(world.statusLists.drawn[0]!.listId)}`,
      idx: world.statusLists.drawn[0]!.index,
    });

    const result = await verify(world, issued.sdJwt);
    expect(result.valid).toBe(true);
    expect(result.claims).toMatchObject({
      issuer: agencyIssuer(BASE_URL, PSB.agency),
      licenseId: issued.licenseId,
      licenseVersion: '001',
      notBefore: startOfChinaDay('2025-06-01'),
      // The end of 2045-06-01 in China Standard Time.
      expiresAt: Date.UTC(2045, 5, 1, 16) / 1000,
    });
    expect(result.claims?.fields).toMatchObject({ 姓名: '张伟明', 公民身份号码: '330102199003071230' });

    const stored = world.licenses.records.get(issued.licenseId)!;
    expect(stored.statusSlot).toEqual(world.statusLists.drawn[0]);
    expect(stored.issuedAt).toBe(NOW.toISOString());
    // Field values are not in the clear in storage; the sealed content opens to the same license.
    expect(JSON.stringify(stored.content)).not.toContain('张伟明');
    const opened = await openLicenseContent(
      bindingCipher,
      { dataDomain: 'person', licenseId: issued.licenseId },
      stored.content,
    );
    expect(opened.sdJwt).toBe(issued.sdJwt);
    expect(opened.content).toMatchObject({
      validity: { from: '2025-06-01', until: '2045-06-01' },
      holderCodeType: '111',
    });
    expect(world.licenses.audit).toEqual([
      expect.objectContaining({
        action: 'license.issued',
        actor: { kind: 'agency', id: PSB.agency },
        subject: {
          licenseId: issued.licenseId,
          licenseVersion: '001',
          typeCode: DEMO_TYPE_CODE.residentIdentityCard,
        },
        outcome: 'success',
        time: NOW.toISOString(),
      }),
    ]);
  });

  it('draws a random serial of 16 upper-case letters and digits when none is given, and uses a given one', async () => {
    const world = issuerWorld(NOW);
    const a = await issueLicense(idCard(), PSB, world.deps);
    const b = await issueLicense(idCard(), PSB, world.deps);
    const serials = [a, b].map((l) => {
      const parsed = parseLicenseId(l.licenseId);
      return parsed.valid ? parsed.parts.serial : '';
    });
    for (const serial of serials) expect(serial).toMatch(/^[0-9A-Z]{16}$/);
    expect(serials[0]).not.toBe(serials[1]);
    const given = await issueLicense(idCard({ serial: 'GIVEN0001' }), PSB, world.deps);
    expect(given.licenseId).toContain('.GIVEN0001.001.');
  });

  it('refuses a serial that is an identity number, alone or in a batch, before anything is stored', async () => {
    const world = issuerWorld(NOW);
    const holderCode = DEMO_HOLDERS.zhangWeiming.code;
    const document = { bytes: PDF, mediaType: 'application/pdf' };
    for (const serial of [holderCode, `A${holderCode}B`]) {
      const refused = await issueLicense(idCard({ serial }, {}, document), PSB, world.deps).catch((e) => e);
      expect(refused).toBeInstanceOf(IdentityNumberInText);
      expect((refused as IdentityNumberInText).errors).toEqual([
        { path: 'serial', message: expect.stringContaining('identity number') },
      ]);
    }
    const outcomes = await issueLicenseBatch(
      [
        { index: 0, request: idCard({ serial: holderCode }) },
        { index: 1, request: idCard({ serial: 'ORDER2025000123' }) },
      ],
      PSB,
      world.deps,
      { requestKey: 'batch-with-serials' },
    );
    expect(outcomes[0]).toMatchObject({ ok: false, error: expect.any(IdentityNumberInText) });
    expect(outcomes[1]).toMatchObject({ ok: true });
    expect([...world.licenses.records.keys()].some((id) => id.includes(holderCode))).toBe(false);
    expect(world.licenses.records.size).toBe(1);
    expect(world.documents.stored.size).toBe(0);
    expect(world.statusLists.drawn).toHaveLength(1);
    // A serial of region, date and sequence that happens to pass for an identity number — but not
    // the holder's — is the issuer's numbering, and is taken.
    const numbered = await issueLicense(idCard({ serial: '110105202411270004' }), PSB, world.deps);
    expect(numbered.licenseId).toContain('.110105202411270004.001.');
  });

  it('refuses a serial holding a sensitive field’s value (a driving licence’s 档案编号), before anything is stored', async () => {
    const world = issuerWorld(NOW);
    const demo = DEMO_LICENSES.find((l) => l.typeCode === DEMO_TYPE_CODE.drivingLicence)!;
    const licence = (serial: string): IssueLicenseRequest => ({
      typeCode: demo.typeCode,
      holder: { name: demo.holder.name, codeType: demo.holder.codeType, code: demo.holder.code },
      data: { ...demo.data, 有效期限: { from: '2025-06-01', until: '2031-06-01' } },
      serial,
    });
    const vehicleAdministration = { agency: DEMO_USCC.vehicleAdministration };
    const fileNumber = demo.data.档案编号 as string;
    for (const serial of [fileNumber, `DL${fileNumber}01`]) {
      const refused = await issueLicense(licence(serial), vehicleAdministration, world.deps).catch((e) => e);
      expect(refused).toBeInstanceOf(LicenseDataInvalid);
      expect((refused as LicenseDataInvalid).errors).toEqual([
        {
          path: 'serial',
          code: 'sensitive-value',
          message: expect.stringContaining('sensitive field 档案编号'),
        },
      ]);
      expect(asProblem(refused)).toMatchObject({ status: 400 });
    }
    expect(world.licenses.records.size).toBe(0);
    expect(world.statusLists.drawn).toHaveLength(0);
    // Part of it (fewer than six characters) is taken as a coincidence: the issuer's numbering.
    const partly = await issueLicense(
      licence(`DL${fileNumber.slice(0, 5)}`),
      vehicleAdministration,
      world.deps,
    );
    expect(partly.licenseId).toContain(`.DL${fileNumber.slice(0, 5)}.001.`);
  });

  it('refuses a serial already issued with LicenseAlreadyExists', async () => {
    const world = issuerWorld(NOW);
    await issueLicense(idCard({ serial: 'TWICE' }), PSB, world.deps);
    await expect(issueLicense(idCard({ serial: 'TWICE' }), PSB, world.deps)).rejects.toBeInstanceOf(
      LicenseAlreadyExists,
    );
    expect(world.licenses.records.size).toBe(1);
  });

  it('stores a layout document sent with the request and records its key and digest with the license', async () => {
    const world = issuerWorld(NOW);
    const issued = await issueLicense(
      idCard({}, {}, { bytes: PDF, mediaType: 'application/pdf' }),
      PSB,
      world.deps,
    );

    const sha256 = createHash('sha256').update(PDF).digest('base64url');
    const stored = world.licenses.records.get(issued.licenseId)!;
    expect(stored.content.document).toEqual({
      key: 'doc-1',
      sha256,
      size: PDF.byteLength,
      mediaType: 'application/pdf',
    });
    expect(world.documents.stored.get('doc-1')?.bytes).toEqual(PDF);
    // Written for this license, in the same put: what the sweep of unheld documents asks about.
    expect(world.documents.stored.get('doc-1')?.owner).toBe(`license:${issued.licenseId}`);
    expect(world.licenses.audit).toEqual([
      expect.objectContaining({
        action: 'license.issued',
        details: expect.objectContaining({
          documentSha256: sha256,
          documentSize: PDF.byteLength,
          documentMediaType: 'application/pdf',
        }),
      }),
    ]);
  });

  it('refuses a document that is not what it declares before drawing a slot, writing or storing anything', async () => {
    const world = issuerWorld(NOW);
    const notPdf = new TextEncoder().encode('<html>not a pdf</html>');
    await expect(
      issueLicense(idCard({}, {}, { bytes: notPdf, mediaType: 'application/pdf' }), PSB, world.deps),
    ).rejects.toBeInstanceOf(DocumentContentMismatch);
    await expect(
      issueLicense(idCard({}, {}, { bytes: PDF, mediaType: 'image/png' }), PSB, world.deps),
    ).rejects.toBeInstanceOf(UnsupportedDocumentType);
    expect(world.statusLists.drawn).toEqual([]);
    expect(world.licenses.records.size).toBe(0);
    expect(world.documents.stored.size).toBe(0);
  });

  it('removes the stored document when the license is not written, and keeps it when the write landed unanswered', async () => {
    const world = issuerWorld(NOW);
    const document = { bytes: PDF, mediaType: 'application/pdf' };
    await issueLicense(idCard({ serial: 'TAKEN' }), PSB, world.deps);
    await expect(
      issueLicense(idCard({ serial: 'TAKEN' }, {}, document), PSB, world.deps),
    ).rejects.toBeInstanceOf(LicenseAlreadyExists);
    expect(world.documents.stored.size).toBe(0);

    // The write lands, but its answer is lost: the license holds the document, which stays.
    const issue = world.licenses.issue.bind(world.licenses);
    world.licenses.issue = async (license, event) => {
      await issue(license, event);
      throw new Error('connection reset after the write');
    };
    await expect(issueLicense(idCard({ serial: 'LANDED' }, {}, document), PSB, world.deps)).rejects.toThrow(
      'connection reset',
    );
    const [landed] = [...world.licenses.records.values()].filter((r) => r.id.includes('.LANDED.'));
    expect(landed?.content.document).toMatchObject({
      sha256: createHash('sha256').update(PDF).digest('base64url'),
    });
    expect([...world.documents.stored.keys()]).toEqual([(landed!.content.document as { key: string }).key]);
  });

  it('keeps the document after a failure that may still land, and removes it after one that wrote nothing', async () => {
    const world = issuerWorld(NOW);
    const document = { bytes: PDF, mediaType: 'application/pdf' };
    // The client times out while the transaction may still commit: it lands after the failure
    // was seen (and after any read of the license the cleanup could make).
    const issue = world.licenses.issue.bind(world.licenses);
    let land: (() => Promise<unknown>) | undefined;
    world.licenses.issue = async (license, event) => {
      land = () => issue(license, event);
      throw new Error('socket timed out');
    };
    await expect(issueLicense(idCard({ serial: 'LATE' }, {}, document), PSB, world.deps)).rejects.toThrow(
      'timed out',
    );
    await land!();
    const [late] = [...world.licenses.records.values()];
    const key = (late!.content.document as { key: string }).key;
    expect(world.documents.stored.has(key)).toBe(true);

    // Refused by the store (for load), or failing before the write: certainly not written.
    world.licenses.issue = issue;
    world.licenses.failNextWrite = new StoreBusy('issue', ['ThrottlingError']);
    await expect(
      issueLicense(idCard({ serial: 'BUSY' }, {}, document), PSB, world.deps),
    ).rejects.toBeInstanceOf(StoreBusy);
    world.statusLists.allocateSlot = async () => {
      throw new Error('the status list table was unreachable');
    };
    await expect(issueLicense(idCard({ serial: 'NOSLOT' }, {}, document), PSB, world.deps)).rejects.toThrow(
      'unreachable',
    );
    expect([...world.documents.stored.keys()]).toEqual([key]);
  });

  it('signs a long-term license without exp', async () => {
    const world = issuerWorld(NOW);
    const longTerm = await issueLicense(idCard({}, { 有效期限: '2025.06.01-长期' }), PSB, world.deps);
    const result = await verify(world, longTerm.sdJwt);
    expect(result.valid).toBe(true);
    expect(result.claims?.expiresAt).toBeUndefined();
  });

  it('refuses an agency not registered for the type before drawing a slot or writing', async () => {
    const world = issuerWorld(NOW);
    const attempt = issueLicense(idCard(), AMR, world.deps);
    await expect(attempt).rejects.toBeInstanceOf(IssuerNotRegistered);
    await expect(attempt).rejects.toThrow(/not registered as an issuer of type 11100000D00000013G001/);
    expect(world.statusLists.drawn).toEqual([]);
    expect(world.licenses.records.size).toBe(0);
    expect(world.licenses.audit).toEqual([]);
  });

  it('refuses an unknown type code as invalid input naming typeCode', async () => {
    const world = issuerWorld(NOW);
    await expect(
      issueLicense(idCard({ typeCode: '11100000D00000013G999' }), PSB, world.deps),
    ).rejects.toMatchObject({ errors: [{ path: 'typeCode', code: 'unknown-type' }] });
  });

  it('reports one error per bad field, holder mismatch and validity term, and writes nothing', async () => {
    const world = issuerWorld(NOW);
    const attempt = issueLicense(
      idCard(
        { holder: { name: '李四', codeType: '001', code: '330102199003071230' } },
        { 性别: '未知', 出生: '2999-01-01', 民族: undefined, 身高: 180 },
      ),
      PSB,
      world.deps,
    );
    const error = (await attempt.catch((e: unknown) => e)) as LicenseDataInvalid;
    expect(error).toBeInstanceOf(LicenseDataInvalid);
    expect(error.errors.map((e) => [e.path, e.code])).toEqual([
      ['data.性别', 'enum'],
      ['data.民族', 'missing'],
      ['data.出生', 'future-date'],
      ['data.身高', 'unknown-field'],
      ['holder.codeType', 'holder-mismatch'],
    ]);
    expect(world.statusLists.drawn).toEqual([]);
    expect(world.licenses.records.size).toBe(0);
  });

  it('refuses a holder that is not the data’s holder, and a validity that disagrees with the data', async () => {
    const world = issuerWorld(NOW);
    const other = DEMO_HOLDERS.liXiaoyan;
    await expect(
      issueLicense(
        idCard({
          holder: { name: other.name, codeType: other.codeType, code: other.code },
          validity: { from: '2025-06-01', until: '2035-06-01' },
        }),
        PSB,
        world.deps,
      ),
    ).rejects.toMatchObject({
      errors: [
        { path: 'holder.name', code: 'holder-mismatch' },
        { path: 'holder.code', code: 'holder-mismatch' },
        { path: 'validity', code: 'validity-mismatch' },
      ],
    });
    // A validity that agrees with the data, in its printed form, is accepted.
    const card = await issueLicense(
      idCard({ validity: { from: '2025.06.01', until: '2045-06-01' } }),
      PSB,
      world.deps,
    );
    expect(card.status).toBe('valid');
  });

  it('refuses a validity that is not one of the type’s terms', async () => {
    const world = issuerWorld(NOW);
    await expect(
      issueLicense(idCard({}, { 有效期限: { from: '2025-06-01', until: '2032-06-01' } }), PSB, world.deps),
    ).rejects.toMatchObject({ errors: [{ path: 'data.有效期限', code: 'validity-term' }] });
  });
});

describe('issueLicense under the issuer’s request key', () => {
  const keyed = (requestKey: string, overrides: Partial<LicenseRequest> = {}): IssueLicenseRequest => ({
    ...idCard(overrides),
    issuanceKey: { requestKey },
  });

  it('derives the serial from agency and key: 16 of 0-9A-Z, the same for the same key, another for another key or agency', async () => {
    const world = issuerWorld(NOW);
    const serialOf = (id: string) => {
      const parsed = parseLicenseId(id);
      return parsed.valid ? parsed.parts.serial : '';
    };
    const a = await issueLicense(keyed('key-a'), PSB, world.deps);
    const b = await issueLicense(keyed('key-b'), PSB, world.deps);
    expect(serialOf(a.licenseId)).toMatch(/^[0-9A-Z]{16}$/);
    expect(serialOf(a.licenseId)).toBe(
      await issuanceSerial(PSB.agency, { requestKey: 'key-a' }, world.deps.blindIndex),
    );
    expect(serialOf(b.licenseId)).not.toBe(serialOf(a.licenseId));
    expect(await issuanceSerial(AMR.agency, { requestKey: 'key-a' }, world.deps.blindIndex)).not.toBe(
      serialOf(a.licenseId),
    );
    // A batch item's serial follows from its position as well.
    expect(
      await issuanceSerial(PSB.agency, { requestKey: 'key-a', item: 0 }, world.deps.blindIndex),
    ).not.toBe(serialOf(a.licenseId));
    // A serial the issuer names is used as it is.
    const given = await issueLicense(keyed('key-c', { serial: 'GIVEN0002' }), PSB, world.deps);
    expect(given.licenseId).toContain('.GIVEN0002.001.');
  });

  it('answers a re-run of the same request with the license the first run issued, issuing nothing more', async () => {
    const world = issuerWorld(NOW);
    const document = { bytes: PDF, mediaType: 'application/pdf' };
    const first = await issueLicense({ ...keyed('retried'), document }, PSB, world.deps);
    // The idempotency record is gone (the work timed out, or its answer could not be saved): the
    // same request runs again.
    const again = await issueLicense({ ...keyed('retried'), document }, PSB, world.deps);
    expect(again).toEqual(first);
    expect(world.licenses.records.size).toBe(1);
    // Issued once; the copy the re-run hands out again is a read, and recorded as one.
    expect(world.licenses.audit.map((e) => [e.action, e.subject?.licenseId])).toEqual([
      ['license.issued', first.licenseId],
      ['license.issuer_copy_read', first.licenseId],
    ]);
    // The document the re-run stored again belongs to no license and is removed again.
    expect([...world.documents.stored.keys()]).toEqual(['doc-1']);
  });

  it('keys the serial by the platform secret, and keeps the request key’s case', async () => {
    const world = issuerWorld(NOW);
    const otherSecret = {
      async tokenFor(codeType: string, code: string) {
        return createHash('sha256').update(`another secret:${codeType}:${code}`).digest('base64url');
      },
    };
    const mine = await issuanceSerial(PSB.agency, { requestKey: 'order-000123' }, world.deps.blindIndex);
    expect(await issuanceSerial(PSB.agency, { requestKey: 'order-000123' }, otherSecret)).not.toBe(mine);
    expect(await issuanceSerial(PSB.agency, { requestKey: 'ORDER-000123' }, world.deps.blindIndex)).not.toBe(
      mine,
    );
  });

  it('does not answer a re-run with a license since revoked as if it were freshly issued', async () => {
    const world = issuerWorld(NOW);
    const first = await issueLicense(keyed('revoked-since'), PSB, world.deps);
    const record = world.licenses.records.get(first.licenseId)!;
    world.licenses.records.set(first.licenseId, { ...record, status: 'revoked' });

    // As a repeat meets it while the idempotency record is kept: 409 naming its status.
    await expect(issueLicense(keyed('revoked-since'), PSB, world.deps)).rejects.toMatchObject({
      code: 'ISSUED_LICENSE_CHANGED',
      problemMembers: { licenseId: first.licenseId, licenseStatus: 'revoked' },
    });
    expect(world.licenses.records.size).toBe(1);
  });

  it('refuses another request under a key already used (another holder) with LicenseAlreadyExists', async () => {
    const world = issuerWorld(NOW);
    await issueLicense(keyed('reused'), PSB, world.deps);
    const other = DEMO_HOLDERS.liXiaoyan;
    const otherCard = DEMO_LICENSES.find((l) => l.holder === other)!;
    await expect(
      issueLicense(
        {
          ...idCard(
            { holder: { name: other.name, codeType: other.codeType, code: other.code } },
            { ...otherCard.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
          ),
          issuanceKey: { requestKey: 'reused' },
        },
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(LicenseAlreadyExists);
    expect(world.licenses.records.size).toBe(1);
  });

  it('refuses another request under a key already used for the same holder (other data, validity or document) as a reused key', async () => {
    const world = issuerWorld(NOW);
    const document = { bytes: PDF, mediaType: 'application/pdf' };
    const first = await issueLicense({ ...keyed('order-42'), document }, PSB, world.deps);
    const retries: IssueLicenseRequest[] = [
      // Another address: the first license would answer for it, the new address silently dropped.
      { ...keyed('order-42'), document, data: { ...idCard().data, 住址: '上海市浦东新区世纪大道100号' } },
      // Another validity.
      {
        ...keyed('order-42'),
        document,
        data: { ...idCard().data, 有效期限: { from: '2025-06-01', until: '2035-06-01' } },
      },
      // Another layout document.
      {
        ...keyed('order-42'),
        document: { bytes: new TextEncoder().encode('%PDF-1.7\n%another\n'), mediaType: 'application/pdf' },
      },
    ];
    for (const retry of retries) {
      const refused = await issueLicense(retry, PSB, world.deps).catch((e) => e);
      expect(refused).toBeInstanceOf(IssuanceKeyReused);
      expect(asProblem(refused)).toMatchObject({
        status: 422,
        problemType: 'idempotency-key-reused',
        extensions: { code: 'ISSUANCE_KEY_REUSED' },
        message: expect.stringContaining(first.licenseId),
      });
    }
    const batch = await issueLicenseBatch(
      [{ index: 0, request: idCard({}, { 住址: '上海市浦东新区世纪大道100号' }) }],
      PSB,
      world.deps,
      { requestKey: 'batch-42' },
    ).then(async ([issued]) => {
      expect(issued).toMatchObject({ ok: true });
      return issueLicenseBatch([{ index: 0, request: idCard() }], PSB, world.deps, {
        requestKey: 'batch-42',
      });
    });
    expect(batch[0]).toMatchObject({ ok: false, error: expect.any(IssuanceKeyReused) });
    expect(world.licenses.records.size).toBe(2);
    // Nothing was read out for the refusals: the copy leaves only for the same request.
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.issued']);
    // The refused retries' documents are removed again; the first license's stays.
    expect([...world.documents.stored.keys()]).toEqual(['doc-1']);
  });

  it('answers a re-run of a batch with the licenses its first run issued, item by item', async () => {
    const world = issuerWorld(NOW);
    const items = [0, 1, 2].map((index) => ({ index, request: idCard() }));
    const first = await issueLicenseBatch(items, PSB, world.deps, { requestKey: 'batch-key' });
    // The first run stopped after two items were written; the re-run meets them and issues the third.
    world.licenses.records.delete((first[2] as { license: { licenseId: string } }).license.licenseId);
    const again = await issueLicenseBatch(items, PSB, world.deps, { requestKey: 'batch-key' });
    expect(again.map((o) => o.ok && o.license.licenseId)).toEqual(
      first.map((o) => o.ok && o.license.licenseId),
    );
    expect(new Set(again.map((o) => o.ok && o.license.licenseId)).size).toBe(3);
    expect(world.licenses.records.size).toBe(3);
  });

  it('answers a re-run of a batch without opening a copy or recording one as read: its answer carries none', async () => {
    const world = issuerWorld(NOW);
    const items = [0, 1].map((index) => ({ index, request: idCard() }));
    const first = await issueLicenseBatch(items, PSB, world.deps, { requestKey: 'batch-no-copy' });
    const opened: string[] = [];
    const { decryptFields } = world.deps.cipher;
    world.deps.cipher = {
      ...world.deps.cipher,
      decryptFields: async (binding, sealed) => {
        opened.push(binding.licenseId);
        return decryptFields(binding, sealed);
      },
    };

    const again = await issueLicenseBatch(items, PSB, world.deps, { requestKey: 'batch-no-copy' });

    expect(again).toEqual(first);
    for (const outcome of again) expect(outcome).not.toHaveProperty('license.sdJwt');
    // Each earlier license is opened once, to compare its data with the item's; no copy leaves.
    expect(opened.sort()).toEqual(first.map((o) => o.ok && o.license.licenseId).sort());
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.issued']);
  });
});

describe('issueLicenseBatch', () => {
  it('issues each item on its own, reports every outcome in order, and reads the catalog once per type', async () => {
    const world = issuerWorld(NOW);
    const items = [
      { index: 0, request: idCard() },
      { index: 2, request: idCard({}, { 性别: '未知' }) },
      { index: 3, request: idCard({ serial: 'BATCHDUP' }) },
      { index: 4, request: idCard({ serial: 'BATCHDUP' }) },
      { index: 5, request: idCard() },
    ];
    const outcomes = await issueLicenseBatch(items, PSB, world.deps, { concurrency: 1 });
    expect(outcomes.map((o) => [o.index, o.ok])).toEqual([
      [0, true],
      [2, false],
      [3, true],
      [4, false],
      [5, true],
    ]);
    expect(outcomes[1]).toMatchObject({ error: expect.any(LicenseDataInvalid) });
    expect(outcomes[3]).toMatchObject({ error: expect.any(LicenseAlreadyExists) });
    expect(world.licenses.records.size).toBe(3);
    expect(world.licenses.audit).toHaveLength(3);
    expect(world.catalog.reads).toEqual({ agency: 1, type: 1 });
  });

  it('refuses more than 100 items', async () => {
    const world = issuerWorld(NOW);
    const items = Array.from({ length: 101 }, (_, index) => ({ index, request: idCard() }));
    await expect(issueLicenseBatch(items, PSB, world.deps)).rejects.toThrow(/at most 100 items/);
  });
});

describe('randomSerial and derivedSerial', () => {
  it('uses every character of 0-9A-Z and nothing else', () => {
    const seen = new Set([...Array.from({ length: 200 }, () => randomSerial()).join('')]);
    expect([...seen].sort().join('')).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });

  it('derives 16 characters of 0-9A-Z from a name, the same for the same name, every character in use', () => {
    const derived = Array.from({ length: 200 }, (_, n) => derivedSerial(['agency', `key-${n}`]));
    for (const serial of derived) expect(serial).toMatch(/^[0-9A-Z]{16}$/);
    expect(new Set(derived).size).toBe(200);
    expect(derivedSerial(['agency', 'key-7'])).toBe(derived[7]);
    // The parts stay apart: moving a character from one part to the next is another name.
    expect(derivedSerial(['ab', 'c'])).not.toBe(derivedSerial(['a', 'bc']));
    const seen = new Set([...derived.join('')]);
    expect([...seen].sort().join('')).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });
});

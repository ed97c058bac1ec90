// A license's data against the one DynamoDB item it is stored as (core/catalog/license-size.ts):
// measured with a real issue of the largest registrable licenses, and refused before anything is
// signed or stored when it would not fit.

import { describe, expect, it } from 'vitest';
import { issueLicense } from '#app/issue-license.ts';
import { LicenseDataInvalid } from '#app/issuer-errors.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import { MAX_LICENSE_DATA_BYTES } from '#core/catalog/license-size.ts';
import { type LicenseType, LicenseTypeSchema, licenseDataBudgetIssue } from '#core/catalog/license-type.ts';
import { DEMO_HOLDERS, DEMO_USCC, RESIDENT_IDENTITY_CARD } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { extraFields, largestAddress, largestDataOf } from '../catalog/largest-license.ts';
import { issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const NOW = new Date('2025-06-01T02:00:00.000Z');
const PDF = new TextEncoder().encode('%PDF-1.7\n%demo layout document\n');
/** A DynamoDB item's limit: 400 KB, names and values counted as UTF-8. */
const ITEM_LIMIT = 400 * 1024;

/** The resident identity card with `extra` more string fields, and 住址 as long as registration allows. */
function stretched(extra: LicenseType['fields'] = []): LicenseType {
  const type = { ...RESIDENT_IDENTITY_CARD, fields: [...RESIDENT_IDENTITY_CARD.fields, ...extra] };
  const maxLength = largestAddress(type);
  return LicenseTypeSchema.parse({
    ...type,
    fields: type.fields.map((f) => (f.name === '住址' ? { ...f, maxLength } : f)),
  });
}

function worldWith(type: LicenseType) {
  const world = issuerWorld(NOW);
  world.catalog.types = world.catalog.types.map((t) => (t.code === type.code ? type : t));
  return world;
}

function requestFor(type: LicenseType, data = largestDataOf(type)) {
  const holder = DEMO_HOLDERS.zhangWeiming;
  return {
    typeCode: type.code,
    holder: { name: String(data.姓名), codeType: holder.codeType, code: holder.code },
    data,
  };
}

describe('a license at the data budget', () => {
  it.each([
    ['one long field', stretched()],
    ['128 fields', stretched(extraFields(119, 200))],
  ])(
    'of a registrable type (%s), every field at its largest, is issued into a record well within one item',
    async (_, type) => {
      const world = worldWith(type);
      const issued = await issueLicense(requestFor(type), PSB, world.deps);
      const record = world.licenses.records.get(issued.licenseId)!;
      // The record as the item holds it (JSON is within a few hundred bytes of DynamoDB's count);
      // the item over the wire, with the ESDK's sealing: item-size.test.ts (integration).
      const bytes = Buffer.byteLength(JSON.stringify(record));
      expect(bytes).toBeLessThan(260 * 1024);
      expect(ITEM_LIMIT - bytes).toBeGreaterThan(140 * 1024);
    },
  );
});

describe('license data over the budget', () => {
  it('is refused (400 validation-failed) before a document is stored, a slot drawn or anything signed or written', async () => {
    // A type registered with a field too long for one item, had registration not refused it.
    const type = {
      ...RESIDENT_IDENTITY_CARD,
      fields: RESIDENT_IDENTITY_CARD.fields.map((f) =>
        f.name === '住址' ? { ...f, maxLength: 100_000 } : f,
      ),
    };
    expect(licenseDataBudgetIssue(LicenseTypeSchema.parse(type))).toBeDefined();
    const world = worldWith(type);
    const data = largestDataOf(type);
    const refused = await issueLicense(
      { ...requestFor(type, data), document: { bytes: PDF, mediaType: 'application/pdf' } },
      PSB,
      world.deps,
    ).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(LicenseDataInvalid);
    expect((refused as LicenseDataInvalid).errors).toEqual([
      {
        path: 'data',
        code: 'too-large',
        message: expect.stringContaining(`at most ${MAX_LICENSE_DATA_BYTES} bytes`),
      },
    ]);
    expect(asProblem(refused)).toMatchObject({ status: 400, problemType: 'validation-failed' });
    expect(world.documents.stored.size).toBe(0);
    expect(world.statusLists.drawn).toEqual([]);
    expect(world.licenses.records.size).toBe(0);
    expect(world.licenses.audit).toEqual([]);

    // The same type's data within the budget is issued; re-issued with data over it, refused alike.
    const fits = { ...data, 住址: '浙江省杭州市西湖区文三路90号' };
    const issued = await issueLicense(requestFor(type, fits), PSB, world.deps);
    const reissue = reissueLicense({ licenseId: issued.licenseId, data }, PSB, world.deps);
    await expect(reissue).rejects.toMatchObject({ errors: [{ path: 'data', code: 'too-large' }] });
    expect(world.statusLists.drawn).toHaveLength(1);
    expect(world.licenses.records.get(issued.licenseId)?.status).toBe('valid');
  });
});

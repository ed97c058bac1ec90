import { describe, expect, it } from 'vitest';
import type { FieldSpec, LicenseType } from '#core/catalog/license-type.ts';
import { changedMembers, ISSUERS_LISTED, licenseTypeChanges } from '#core/catalog/record-changes.ts';
import { RESIDENT_IDENTITY_CARD } from '#dev/demo/catalog.ts';

// What the audit event of a catalog update records: the members changed, before and after,
// summarised where a member may be large, so that no event nears DynamoDB's 400 KB item limit.

describe('changedMembers', () => {
  it('names each member that differs with before and after, null where absent, and nothing else', () => {
    const before = { name: 'a', roles: ['relying'], demo: true as true | undefined, area: '330100' };
    const after = { name: 'b', roles: ['relying'], demo: undefined, area: '330100' };
    expect(changedMembers(before, after)).toEqual({
      name: { before: 'a', after: 'b' },
      demo: { before: true, after: null },
    });
    expect(changedMembers(before, { ...before })).toEqual({});
  });

  it('compares nested members by value, not by key order or identity', () => {
    const before = { holder: { nameField: '姓名', codeField: '号码' } };
    expect(changedMembers(before, { holder: { codeField: '号码', nameField: '姓名' } })).toEqual({});
  });
});

describe('licenseTypeChanges', () => {
  const idCard = RESIDENT_IDENTITY_CARD;

  it('notes issuers merely reordered and fields merely reordered, naming no change', () => {
    const reordered = {
      ...idCard,
      fields: [...idCard.fields].reverse(),
      issuers: ['b', 'a'],
    };
    expect(licenseTypeChanges({ ...idCard, issuers: ['a', 'b'] }, reordered)).toEqual({
      fields: { added: [], removed: [], changed: {}, reordered: true },
      issuers: { added: [], removed: [], addedCount: 0, removedCount: 0, reordered: true },
    });
  });

  it('names enum values, patterns and labels as changed without copying them', () => {
    const sex = idCard.fields.find((f) => f.name === '性别')!;
    const changed = {
      ...idCard,
      fields: idCard.fields.map((f) => (f === sex ? { ...sex, values: ['男', '女', '未说明'] } : f)),
    };
    expect(licenseTypeChanges(idCard, changed)).toEqual({
      fields: { added: [], removed: [], changed: { 性别: { values: 'changed' } } },
    });
  });

  it('keeps the event of a change at every schema bound far below the item limit', () => {
    // 128 fields of 32-character names, 256 enum values of 128 characters, 512-character
    // patterns and full-length labels, every property flipped; 10,000 issuers replaced by
    // 10,000 others.
    const field = (i: number, flip: boolean): FieldSpec => ({
      name: `${'字'.repeat(29)}${String(i).padStart(3, '0')}`,
      label: { zh: (flip ? '乙' : '甲').repeat(128), en: (flip ? 'b' : 'a').repeat(256) },
      type: 'enum',
      required: flip,
      sensitive: flip,
      disclosable: !flip,
      searchable: flip,
      values: Array.from({ length: 256 }, (_, j) => `${flip ? '乙' : '甲'}${j}`.padEnd(128, '值')),
    });
    const issuers = (offset: number) =>
      Array.from({ length: 10_000 }, (_, i) => String(offset + i).padStart(18, '9'));
    const before: LicenseType = {
      ...idCard,
      name: { zh: '甲'.repeat(128), en: 'a'.repeat(256) },
      fields: Array.from({ length: 128 }, (_, i) => field(i, false)),
      issuers: issuers(0),
    };
    const after: LicenseType = {
      ...before,
      name: { zh: '乙'.repeat(128), en: 'b'.repeat(256) },
      fields: Array.from({ length: 128 }, (_, i) => field(i, true)),
      issuers: issuers(10_000),
    };
    const changes = licenseTypeChanges(before, after);
    const bytes = Buffer.byteLength(JSON.stringify(changes));
    expect(bytes).toBeLessThan(150_000);
    expect(changes.issuers).toMatchObject({ addedCount: 10_000, removedCount: 10_000 });
    expect((changes.issuers as { added: string[] }).added).toHaveLength(ISSUERS_LISTED);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateLicenseData } from '#core/catalog/license-data.ts';
import { licenseDataBytes, MAX_LICENSE_DATA_BYTES } from '#core/catalog/license-size.ts';
import {
  disclosableFieldNames,
  type FieldSpec,
  fieldOf,
  fieldPatternIssues,
  type LicenseType,
  LicenseTypeSchema,
  licenseDataBudgetIssue,
  MAX_LICENSE_TYPE_BYTES,
  MAX_PATTERN_WORK,
  mayIssue,
} from '#core/catalog/license-type.ts';
import { organizationCodeCheckChar, usccCheckChar } from '#core/identifiers/index.ts';
import {
  BUSINESS_LICENSE,
  DEMO_LICENSE_TYPES,
  DEMO_USCC,
  RESIDENT_IDENTITY_CARD,
} from '#dev/demo/catalog.ts';
import { largestAddress, largestDataOf } from './largest-license.ts';

function issuesOf(candidate: unknown): { path: string; message: string }[] {
  const result = LicenseTypeSchema.safeParse(candidate);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

/** What registering the type would refuse for its licenses' size (the schema itself accepts it). */
function budgetIssuesOf(candidate: LicenseType): { path: string; message: string }[] {
  expect(issuesOf(candidate)).toEqual([]);
  const issue = licenseDataBudgetIssue(LicenseTypeSchema.parse(candidate));
  return issue === undefined ? [] : [issue];
}

/** A string field without maxLength. */
const note: FieldSpec = {
  name: '备注',
  label: { zh: '备注', en: 'Note' },
  type: 'string',
  required: false,
  sensitive: false,
  disclosable: true,
  searchable: false,
};

function withField(type: LicenseType, name: string, change: Partial<FieldSpec>): LicenseType {
  return { ...type, fields: type.fields.map((f) => (f.name === name ? { ...f, ...change } : f)) };
}

describe('LicenseTypeSchema', () => {
  it.each(DEMO_LICENSE_TYPES.map((t) => [t.name.zh, t] as const))('accepts the demo type %s', (_, type) => {
    expect(LicenseTypeSchema.parse(type)).toEqual(type);
  });

  it.each([
    ['too short', '11100000D00000013G01', /21 characters/],
    ['too long', '11100000D00000013G0011', /21 characters/],
    ['a USCC with a wrong check character', '11100000D00000013H001', /check character/],
    ['a sequence that is not digits', '11100000D00000013G0A1', /3 digits/],
  ])('rejects a type code that is %s', (_, code, message) => {
    const issues = issuesOf({ ...RESIDENT_IDENTITY_CARD, code });
    expect(issues.some((i) => i.path === 'code' && message.test(i.message))).toBe(true);
  });

  it('rejects a type code that does not begin with the defining agency USCC', () => {
    const issues = issuesOf({
      ...RESIDENT_IDENTITY_CARD,
      code: `${BUSINESS_LICENSE.definingAgency.uscc}009`,
    });
    expect(issues).toEqual([
      { path: 'definingAgency.uscc', message: expect.stringMatching(/must begin with the defining agency/) },
    ]);
  });

  it('rejects members it does not know (strict objects)', () => {
    expect(issuesOf({ ...RESIDENT_IDENTITY_CARD, colour: 'blue' })).toEqual([
      { path: '', message: expect.stringMatching(/colour/) },
    ]);
    const fields = [
      { ...RESIDENT_IDENTITY_CARD.fields[0], secret: true },
      ...RESIDENT_IDENTITY_CARD.fields.slice(1),
    ];
    expect(issuesOf({ ...RESIDENT_IDENTITY_CARD, fields })[0]?.path).toBe('fields.0');
  });

  it('rejects an enum field without values and values on a non-enum field', () => {
    const noValues = { ...RESIDENT_IDENTITY_CARD.fields[1]!, values: undefined };
    expect(issuesOf(withField(RESIDENT_IDENTITY_CARD, '性别', noValues))).toEqual([
      { path: 'fields.1.values', message: 'an enum field must list its values' },
    ]);
    expect(issuesOf(withField(RESIDENT_IDENTITY_CARD, '姓名', { values: ['a'] }))[0]?.path).toBe(
      'fields.0.values',
    );
  });

  it('rejects string constraints on fields that are not strings', () => {
    const issues = issuesOf(
      withField(RESIDENT_IDENTITY_CARD, '出生', { pattern: '\\d+', identifier: 'uscc' }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['fields.3.identifier', 'fields.3.pattern']);
  });

  it('keeps a stored pattern readable whatever its syntax: registering it is what checks it is RE2', () => {
    const stored = withField(RESIDENT_IDENTITY_CARD, '姓名', { pattern: '(?!admin).+' });
    expect(issuesOf(stored)).toEqual([]);
    expect(fieldPatternIssues(LicenseTypeSchema.parse(stored))).toEqual([
      {
        path: 'fields.0.pattern',
        message: expect.stringMatching(
          /^the pattern of field 姓名 is not RE2 syntax \(patterns are RE2, matched in time linear in the value: no lookaround, no backreferences; .*\): .*\(\?!/,
        ),
      },
    ]);
  });

  it('refuses at registration a pattern RE2 cannot compile: lookaround, a backreference, an unclosed group', () => {
    for (const pattern of ['(?<=x)a', '(?=a)a', '(a)\\1', '(unclosed']) {
      const type = withField(RESIDENT_IDENTITY_CARD, '姓名', { pattern });
      expect(fieldPatternIssues(type).map((i) => i.path)).toEqual(['fields.0.pattern']);
    }
  });

  it('refuses at registration patterns whose matching, at their values’ largest, would take too long', () => {
    // 33 characters, 21,001 instructions: seconds on one 4,000-character value.
    const costly = withField(RESIDENT_IDENTITY_CARD, '住址', {
      pattern: '(?:.?.?.?.?.?.?.?.?.?.?){1,1000}',
      maxLength: 4000,
    });
    expect(fieldPatternIssues(costly)).toEqual([
      { path: 'fields', message: expect.stringContaining(`more than the ${MAX_PATTERN_WORK}`) },
    ]);
    // The same pattern on a short field, and a simple one on a long field, are fine.
    expect(fieldPatternIssues(withField(costly, '住址', { maxLength: 40 }))).toEqual([]);
    expect(fieldPatternIssues(withField(costly, '住址', { pattern: '[\\u4e00-\\u9fa5]+' }))).toEqual([]);
  });

  it.each(DEMO_LICENSE_TYPES.map((t) => [t.name.zh, t] as const))(
    'registers the patterns of the demo type %s as RE2',
    (_, type) => {
      expect(fieldPatternIssues(type)).toEqual([]);
    },
  );

  it('rejects field names an SD-JWT VC reserves', () => {
    for (const name of ['exp', 'status', '_sd', 'sub', '...', 'license_id']) {
      const issues = issuesOf(withField(RESIDENT_IDENTITY_CARD, '民族', { name }));
      expect(issues).toEqual([{ path: 'fields.2.name', message: expect.stringMatching(/reserved/) }]);
    }
  });

  it('rejects a field defined twice', () => {
    const type = {
      ...RESIDENT_IDENTITY_CARD,
      fields: [...RESIDENT_IDENTITY_CARD.fields, RESIDENT_IDENTITY_CARD.fields[0]],
    };
    expect(issuesOf(type)).toEqual([{ path: 'fields.9.name', message: 'field 姓名 is defined twice' }]);
  });

  it('rejects holder fields that are missing, optional, or lack the identifier check their code type needs', () => {
    expect(
      issuesOf({
        ...RESIDENT_IDENTITY_CARD,
        holder: { ...RESIDENT_IDENTITY_CARD.holder, nameField: '昵称' },
      }),
    ).toEqual([{ path: 'holder.nameField', message: 'holder nameField 昵称 is not a field' }]);
    expect(issuesOf(withField(RESIDENT_IDENTITY_CARD, '姓名', { required: false }))[0]?.path).toBe(
      'holder.nameField',
    );
    expect(issuesOf(withField(RESIDENT_IDENTITY_CARD, '公民身份号码', { identifier: undefined }))).toEqual([
      { path: 'holder.codeField', message: expect.stringMatching(/code type 111 needs a citizen-id field/) },
    ]);
  });

  it('rejects a validity field that is not a period, and rules that allow no term', () => {
    expect(
      issuesOf({
        ...RESIDENT_IDENTITY_CARD,
        validity: { ...RESIDENT_IDENTITY_CARD.validity, field: '出生' },
      }),
    ).toEqual([
      { path: 'validity.field', message: 'validity field 出生 must be a period field, found a date field' },
    ]);
    const none = { termsInYears: [], longTermAllowed: false, explicitEndAllowed: false };
    expect(issuesOf({ ...RESIDENT_IDENTITY_CARD, validity: none })[0]?.message).toMatch(/allow no term/);
  });

  it('rejects a data domain that is not a slug, and accepts one that is', () => {
    expect(issuesOf({ ...RESIDENT_IDENTITY_CARD, dataDomain: 'Person Domain' })[0]?.path).toBe('dataDomain');
    expect(issuesOf({ ...RESIDENT_IDENTITY_CARD, dataDomain: 'social-organisation' })).toEqual([]);
  });

  it('rejects an issuer whose USCC check character is wrong', () => {
    const issues = issuesOf({ ...RESIDENT_IDENTITY_CARD, issuers: ['11330100D0000011XA'] });
    expect(issues).toEqual([{ path: 'issuers.0', message: expect.stringMatching(/check character/) }]);
  });

  it('rejects a type too large to store as one record, naming its size, though each member is in bounds', () => {
    // 10,000 issuers (≈ 210 KB) and one enum field of 256 values of 128 three-byte characters (≈ 99 KB).
    const issuers = Array.from({ length: 10_000 }, (_, i) => {
      const body = `E${String(i).padStart(7, '0')}`;
      const first17 = `12330100${body}${organizationCodeCheckChar(body)}`;
      return `${first17}${usccCheckChar(first17)}`;
    });
    const values = Array.from({ length: 256 }, (_, j) => `${j}`.padEnd(128, '值'));
    const outsized = withField({ ...RESIDENT_IDENTITY_CARD, issuers }, '性别', { values });
    const bytes = Buffer.byteLength(JSON.stringify(outsized));
    expect(bytes).toBeGreaterThan(MAX_LICENSE_TYPE_BYTES);
    expect(issuesOf(outsized)).toEqual([
      {
        path: '',
        message: `the license type is ${bytes} bytes as JSON, more than the ${MAX_LICENSE_TYPE_BYTES} a type may take (it is stored as one record of at most 400 KB); shorten its enum values, patterns, labels or issuers`,
      },
    ]);
    expect(issuesOf({ ...outsized, issuers: issuers.slice(0, 9_000) })).toEqual([]);
  });

  it('refuses to register a type whose fields at their largest could not be stored in one license item, and still reads one stored', () => {
    // One field of 100,000 characters: allowed on its own, 400 KB of CJK Extension B at its largest.
    const huge = withField(RESIDENT_IDENTITY_CARD, '住址', { maxLength: 100_000 });
    expect(budgetIssuesOf(huge)).toEqual([
      {
        path: 'fields',
        message: expect.stringMatching(
          new RegExp(
            `carry \\d+ bytes of license data .* more than the ${MAX_LICENSE_DATA_BYTES} a license may hold`,
          ),
        ),
      },
    ]);
    // Nineteen string fields without maxLength (4,000 characters each), as from a spreadsheet.
    const unbounded = Array.from({ length: 19 }, (_, i) => ({ ...note, name: `备注${i + 1}` }));
    expect(
      budgetIssuesOf({ ...RESIDENT_IDENTITY_CARD, fields: [...RESIDENT_IDENTITY_CARD.fields, ...unbounded] }),
    ).toEqual([{ path: 'fields', message: expect.stringContaining('lower the string fields') }]);
  });

  it('accepts a type up to the data budget, counting every character of its fields as 4 bytes, and not one character more', () => {
    const largest = largestAddress(RESIDENT_IDENTITY_CARD);
    expect(budgetIssuesOf(withField(RESIDENT_IDENTITY_CARD, '住址', { maxLength: largest + 1 }))).toEqual([
      { path: 'fields', message: expect.stringContaining(`more than the ${MAX_LICENSE_DATA_BYTES}`) },
    ]);
    // Its data, every field at its largest and every character 4 bytes (CJK Extension B), is
    // accepted by the type and counts within 8 bytes of the budget: less than one character, and
    // the 4 the photo URI's scheme (`x:`, 1 byte a character) takes less than counted.
    const type = withField(RESIDENT_IDENTITY_CARD, '住址', { maxLength: largest });
    const result = validateLicenseData(type, largestDataOf(type), { today: '2025-06-01' });
    expect(result.ok).toBe(true);
    const bytes = licenseDataBytes(result.ok ? result.data : {});
    expect(bytes).toBeLessThanOrEqual(MAX_LICENSE_DATA_BYTES);
    expect(bytes).toBeGreaterThan(MAX_LICENSE_DATA_BYTES - 8);
  });

  it('yields a JSON Schema that refuses unknown members, for the OpenAPI document', () => {
    const schema = z.toJSONSchema(LicenseTypeSchema) as {
      $defs: Record<string, { additionalProperties?: boolean; required?: string[] }>;
    };
    const def = schema.$defs.LicenseType!;
    expect(def.additionalProperties).toBe(false);
    expect(def.required).toEqual(
      expect.arrayContaining([
        'code',
        'name',
        'definingAgency',
        'dataDomain',
        'fields',
        'holder',
        'validity',
        'issuers',
      ]),
    );
  });
});

describe('license type helpers', () => {
  it('finds fields by printed name and lists the disclosable ones', () => {
    expect(fieldOf(RESIDENT_IDENTITY_CARD, '公民身份号码')?.searchable).toBe(true);
    expect(fieldOf(RESIDENT_IDENTITY_CARD, '证号')).toBeUndefined();
    const withHidden = withField(RESIDENT_IDENTITY_CARD, '照片', { disclosable: false });
    expect(disclosableFieldNames(withHidden)).not.toContain('照片');
    expect(disclosableFieldNames(withHidden)).toContain('姓名');
  });

  it('lets only registered issuers issue a type', () => {
    expect(mayIssue(RESIDENT_IDENTITY_CARD, DEMO_USCC.publicSecurityBureau)).toBe(true);
    expect(mayIssue(RESIDENT_IDENTITY_CARD, DEMO_USCC.marketRegulationBureau)).toBe(false);
  });
});

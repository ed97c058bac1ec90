import { describe, expect, it } from 'vitest';
import {
  checkValidityPeriod,
  type LicenseData,
  LONG_TERM,
  validateLicenseData,
  validityOf,
} from '#core/catalog/license-data.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import {
  BUSINESS_LICENSE,
  DEMO_LICENSE_TYPES,
  DEMO_LICENSES,
  DRIVING_LICENCE,
  RESIDENT_IDENTITY_CARD,
} from '#dev/demo/catalog.ts';

const today = '2025-06-01';
const idCard = DEMO_LICENSES.find((l) => l.typeCode === RESIDENT_IDENTITY_CARD.code)!.data;
const driving = DEMO_LICENSES.find((l) => l.typeCode === DRIVING_LICENCE.code)!.data;
const business = DEMO_LICENSES.find((l) => l.typeCode === BUSINESS_LICENSE.code)!.data;

function accepted(type: LicenseType, data: unknown, on = today): LicenseData {
  const result = validateLicenseData(type, data, { today: on });
  if (!result.ok) throw new Error(`expected the data to pass, found ${JSON.stringify(result.errors)}`);
  return result.data;
}

function errorsOf(type: LicenseType, data: unknown, on = today) {
  const result = validateLicenseData(type, data, { today: on });
  if (result.ok) throw new Error('expected the data to fail validation');
  return result.errors;
}

/** The type with one string field's pattern (and maxLength, when given) replaced. */
function withPattern(type: LicenseType, name: string, pattern: string, maxLength?: number): LicenseType {
  return {
    ...type,
    fields: type.fields.map((f) =>
      f.name === name ? { ...f, pattern, ...(maxLength === undefined ? {} : { maxLength }) } : f,
    ),
  };
}

describe('validateLicenseData', () => {
  it.each(DEMO_LICENSES.map((l) => [`${l.serial} (${l.holder.name})`, l] as const))(
    'accepts the demo license %s on its issue day',
    (_, license) => {
      const type = DEMO_LICENSE_TYPES.find((t) => t.code === license.typeCode)!;
      expect(validateLicenseData(type, license.data, { today: license.issuedOn }).ok).toBe(true);
    },
  );

  it('returns one named error per bad field when several are bad at once', () => {
    const errors = errorsOf(RESIDENT_IDENTITY_CARD, {
      ...idCard,
      姓名: 42,
      性别: '未知',
      民族: undefined,
      公民身份号码: '330102199003071231',
      外号: '小张',
    });
    expect(errors).toEqual([
      { field: '姓名', code: 'wrong-type', reason: 'expected a string, found number 42' },
      { field: '性别', code: 'enum', reason: 'expected one of 男, 女, found "未知"' },
      { field: '民族', code: 'missing', reason: 'required field 民族 is missing' },
      {
        field: '公民身份号码',
        code: 'identifier',
        reason: "expected a citizen identity number: check character is '1' but '0' was expected",
      },
      {
        field: '外号',
        code: 'unknown-field',
        reason: `type ${RESIDENT_IDENTITY_CARD.code} has no field 外号`,
      },
    ]);
  });

  it('reports a field with several problems once', () => {
    // Too long for its 32 characters and not matching the vehicle class pattern either.
    const errors = errorsOf(DRIVING_LICENCE, { ...driving, 准驾车型: 'X'.repeat(40) });
    expect(errors).toEqual([
      { field: '准驾车型', code: 'too-long', reason: 'expected at most 32 characters, found 40' },
    ]);
  });

  it('counts null and blank values as missing', () => {
    const errors = errorsOf(RESIDENT_IDENTITY_CARD, { ...idCard, 住址: '   ', 签发机关: null });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['住址', 'missing'],
      ['签发机关', 'missing'],
    ]);
    expect(accepted(RESIDENT_IDENTITY_CARD, { ...idCard, 照片: null })).not.toHaveProperty('照片');
  });

  it('refuses data that is not an object', () => {
    for (const data of [null, [], 'text']) {
      expect(errorsOf(RESIDENT_IDENTITY_CARD, data)).toEqual([
        { field: '', code: 'not-an-object', reason: expect.stringMatching(/must be an object/) },
      ]);
    }
  });

  it('refuses a control character in any field, one error per field, at any depth', () => {
    const errors = errorsOf(RESIDENT_IDENTITY_CARD, {
      ...idCard,
      姓名: 'a\u0000b',
      住址: '\u0007\u001b[31m',
      照片: 'urn:elicense:doc:\u0000',
      有效期限: { from: '2016-05-10', until: '2036-05-10\u0085' },
    });
    expect(errors).toEqual([
      {
        field: '姓名',
        code: 'control-character',
        reason: 'expected text without control characters, found U+0000 at character 2',
      },
      {
        field: '住址',
        code: 'control-character',
        reason: 'expected text without control characters, found U+0007 at character 1',
      },
      {
        field: '有效期限',
        code: 'control-character',
        reason: 'expected text without control characters, found U+0085 in until at character 11',
      },
      {
        field: '照片',
        code: 'control-character',
        reason: 'expected text without control characters, found U+0000 at character 18',
      },
    ]);
  });

  it('refuses the characters that reorder or break what a reader sees (bidi overrides and isolates, line and paragraph separators), and keeps the marks and joiners real text needs', () => {
    // "Trojan Source": U+202E shows 张伟明 backwards beside what is signed.
    expect(
      errorsOf(RESIDENT_IDENTITY_CARD, {
        ...idCard,
        姓名: '张\u202E伟明',
        住址: '北京市\u2028东城区',
        签发机关: '北京市公安局\u2066东城分局\u2069',
      }),
    ).toEqual([
      {
        field: '姓名',
        code: 'control-character',
        reason: 'expected text without control characters, found U+202E at character 2',
      },
      {
        field: '住址',
        code: 'control-character',
        reason: 'expected text without control characters, found U+2028 at character 4',
      },
      {
        field: '签发机关',
        code: 'control-character',
        reason: 'expected text without control characters, found U+2066 at character 7',
      },
    ]);
    const joined = accepted(RESIDENT_IDENTITY_CARD, { ...idCard, 住址: '北京市\u200D东城区\u200E' });
    expect(joined.住址).toBe('北京市\u200D东城区\u200E');
  });

  it('still trims white space, line ends included, around a value before looking for control characters', () => {
    expect(accepted(RESIDENT_IDENTITY_CARD, { ...idCard, 姓名: '\t张伟明\r\n' }).姓名).toBe('张伟明');
    expect(errorsOf(RESIDENT_IDENTITY_CARD, { ...idCard, 住址: '北京市\n东城区' })).toEqual([
      {
        field: '住址',
        code: 'control-character',
        reason: 'expected text without control characters, found U+000A at character 4',
      },
    ]);
  });

  it('normalises dates, identifiers, white space and printed periods', () => {
    const data = accepted(RESIDENT_IDENTITY_CARD, {
      ...idCard,
      姓名: ' 张伟明 ',
      出生: '1990年3月7日',
      有效期限: '2016.05.10-2036.05.10',
      照片: 'urn:elicense:doc:sha-256:abc',
    });
    expect(data).toMatchObject({
      姓名: '张伟明',
      出生: '1990-03-07',
      有效期限: { from: '2016-05-10', until: '2036-05-10' },
      照片: 'urn:elicense:doc:sha-256:abc',
    });
    expect(
      accepted(RESIDENT_IDENTITY_CARD, { ...idCard, 有效期限: '2016-05-10-2036-05-10' }).有效期限,
    ).toEqual({
      from: '2016-05-10',
      until: '2036-05-10',
    });
    const lower = accepted(BUSINESS_LICENSE, { ...business, 统一社会信用代码: '91330100ma2d00010b' });
    expect(lower.统一社会信用代码).toBe('91330100MA2D00010B');
  });

  it('upper-cases a citizen identity number ending in a lower-case x before checking it', () => {
    // 11010519491231002X is the GB 11643 standard's own example number.
    const data = accepted(RESIDENT_IDENTITY_CARD, {
      ...idCard,
      公民身份号码: '11010519491231002x',
      有效期限: { from: '2016-05-10', until: '长期' },
    });
    expect(data.公民身份号码).toBe('11010519491231002X');
    expect(data.有效期限).toEqual({ from: '2016-05-10', until: LONG_TERM });
  });

  it('reads 长期 in a printed period as long-term', () => {
    expect(accepted(BUSINESS_LICENSE, { ...business, 营业期限: '2019.04.18至长期' }).营业期限).toEqual({
      from: '2019-04-18',
      until: LONG_TERM,
    });
  });

  it('checks a USCC field with GB 32100', () => {
    expect(errorsOf(BUSINESS_LICENSE, { ...business, 统一社会信用代码: '91330100MA2D00010C' })).toEqual([
      {
        field: '统一社会信用代码',
        code: 'identifier',
        reason: "expected a unified social credit code: check character is 'C' but 'B' was expected",
      },
    ]);
  });

  it('rejects a citizen identity number whose birth date is after the issue day', () => {
    const errors = errorsOf(RESIDENT_IDENTITY_CARD, idCard, '1989-01-01');
    const error = errors.find((e) => e.field === '公民身份号码');
    expect(error).toMatchObject({ field: '公民身份号码', code: 'identifier' });
    expect(error?.reason).toMatch(/future/);
  });

  it('matches a pattern against the whole value', () => {
    expect(accepted(DRIVING_LICENCE, { ...driving, 准驾车型: 'A2D' }).准驾车型).toBe('A2D');
    expect(errorsOf(DRIVING_LICENCE, { ...driving, 准驾车型: 'C1X' })[0]).toMatchObject({
      field: '准驾车型',
      code: 'pattern',
    });
    expect(errorsOf(DRIVING_LICENCE, { ...driving, 档案编号: '3301001234567' })[0]).toMatchObject({
      field: '档案编号',
      code: 'pattern',
    });
  });

  it('refuses a value that almost matches a backtracking pattern, as RE2 matches in linear time', () => {
    // (a|a)+ against a…a! takes a backtracking engine 2^n steps: ~30 s for 28 a's.
    const type = withPattern(DRIVING_LICENCE, '档案编号', '^(a|a)+$', 20_000);
    const almost = `${'a'.repeat(10_000)}!`;
    expect(errorsOf(type, { ...driving, 档案编号: almost })).toEqual([
      {
        field: '档案编号',
        code: 'pattern',
        reason: `expected a value matching /^(a|a)+$/, found "${'a'.repeat(56)}...`,
      },
    ]);
    expect(accepted(type, { ...driving, 档案编号: 'a'.repeat(10_000) }).档案编号).toBe('a'.repeat(10_000));
  });

  it('reads a pattern written for JavaScript as meant: \\u escapes and \\p{Script=…}', () => {
    for (const pattern of ['[\\u4e00-\\u9fa5]{2,4}', '\\p{Script=Han}{2,4}', '\\p{sc=Han}{2,4}']) {
      const type = withPattern(DRIVING_LICENCE, '档案编号', pattern);
      expect(accepted(type, { ...driving, 档案编号: '张伟明' }).档案编号).toBe('张伟明');
      expect(errorsOf(type, { ...driving, 档案编号: 'Zhang' })[0]).toMatchObject({ code: 'pattern' });
    }
  });

  it('matches the whole value, whatever anchors the pattern has, an alternation included', () => {
    const type = withPattern(DRIVING_LICENCE, '档案编号', 'A|B');
    expect(accepted(type, { ...driving, 档案编号: 'B' }).档案编号).toBe('B');
    expect(errorsOf(type, { ...driving, 档案编号: 'AB' })[0]).toMatchObject({ code: 'pattern' });
    expect(errorsOf(type, { ...driving, 档案编号: 'xA' })[0]).toMatchObject({ code: 'pattern' });
  });

  it('takes an astral character as one character in a pattern, as the u flag did', () => {
    const type = withPattern(DRIVING_LICENCE, '档案编号', '.[𠀀-𠀂]');
    expect(accepted(type, { ...driving, 档案编号: '𠀁𠀂' }).档案编号).toBe('𠀁𠀂');
    expect(errorsOf(type, { ...driving, 档案编号: '𠀁𠀃' })[0]).toMatchObject({ code: 'pattern' });
    expect(errorsOf(type, { ...driving, 档案编号: '𠀁' })[0]).toMatchObject({ code: 'pattern' });
  });

  it('refuses every value of a field whose stored pattern is not RE2 syntax, saying the type must be updated', () => {
    // Stored before patterns were RE2: matched by no backtracking engine instead.
    const type = withPattern(DRIVING_LICENCE, '档案编号', '(?=\\d)\\d{12}');
    expect(errorsOf(type, { ...driving, 档案编号: '330100123456' })).toEqual([
      {
        field: '档案编号',
        code: 'pattern',
        reason:
          "the type's pattern /(?=\\d)\\d{12}/ for this field is not RE2 syntax, which values are matched by; the operator must update the type",
      },
    ]);
  });

  it('enforces the maximum length in characters, not UTF-16 units', () => {
    const withinLimit = '张'.repeat(64);
    expect(accepted(RESIDENT_IDENTITY_CARD, { ...idCard, 姓名: withinLimit }).姓名).toBe(withinLimit);
    expect(errorsOf(RESIDENT_IDENTITY_CARD, { ...idCard, 姓名: '𠀀'.repeat(65) })[0]).toEqual({
      field: '姓名',
      code: 'too-long',
      reason: 'expected at most 64 characters, found 65',
    });
  });

  it('rejects dates that do not exist and dates after the issue day where the field forbids them', () => {
    const errors = errorsOf(DRIVING_LICENCE, {
      ...driving,
      出生日期: '1990-02-30',
      初次领证日期: '2025-06-02',
    });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['出生日期', 'date'],
      ['初次领证日期', 'future-date'],
    ]);
  });

  it('checks number and boolean fields by type', () => {
    const type: LicenseType = {
      ...BUSINESS_LICENSE,
      fields: [
        ...BUSINESS_LICENSE.fields,
        {
          name: '从业人数',
          label: { zh: '从业人数', en: 'Employees' },
          type: 'number',
          required: true,
          sensitive: false,
          disclosable: true,
          searchable: false,
        },
        {
          name: '是否上市',
          label: { zh: '是否上市', en: 'Listed' },
          type: 'boolean',
          required: true,
          sensitive: false,
          disclosable: true,
          searchable: false,
        },
      ],
    };
    expect(accepted(type, { ...business, 从业人数: 12, 是否上市: false })).toMatchObject({
      从业人数: 12,
      是否上市: false,
    });
    expect(errorsOf(type, { ...business, 从业人数: '12', 是否上市: 'no' })).toEqual([
      { field: '从业人数', code: 'wrong-type', reason: 'expected a number, found the string "12"' },
      { field: '是否上市', code: 'wrong-type', reason: 'expected true or false, found the string "no"' },
    ]);
    expect(errorsOf(type, { ...business, 从业人数: Number.NaN, 是否上市: true })[0]?.code).toBe('wrong-type');
  });

  it('rejects malformed periods', () => {
    const cases: [unknown, string][] = [
      [{ from: '2016-05-10' }, 'period'],
      [{ from: '2016-05-10', until: '2036-05-10', note: 'x' }, 'period'],
      ['2016.05.10', 'period'],
      [{ from: '2036-05-10', until: '2016-05-10' }, 'period'],
      [20160510, 'wrong-type'],
    ];
    for (const [value, code] of cases) {
      expect(errorsOf(RESIDENT_IDENTITY_CARD, { ...idCard, 有效期限: value })).toEqual([
        { field: '有效期限', code, reason: expect.any(String) },
      ]);
    }
  });

  it('accepts only the fixed terms the type allows', () => {
    const [error] = errorsOf(RESIDENT_IDENTITY_CARD, {
      ...idCard,
      有效期限: { from: '2016-05-10', until: '2031-05-10' },
    });
    expect(error).toMatchObject({ field: '有效期限', code: 'validity-term' });
    expect(error?.reason).toMatch(
      /expected 5 years \(until 2021-05-10\), 10 years \(until 2026-05-10\), 20 years/,
    );
    expect(
      errorsOf(DRIVING_LICENCE, { ...driving, 有效期限: { from: '2018-07-20', until: '2038-07-20' } })[0]
        ?.code,
    ).toBe('validity-term');
  });

  it('refuses a period that ended before the issue day', () => {
    expect(errorsOf(RESIDENT_IDENTITY_CARD, idCard, '2036-05-11')[0]).toMatchObject({
      field: '有效期限',
      code: 'validity-term',
      reason: 'validity ended on 2036-05-10, before the issue day 2036-05-11',
    });
  });

  it('refuses long-term validity where the type does not allow it', () => {
    const noLongTerm: LicenseType = {
      ...DRIVING_LICENCE,
      validity: { ...DRIVING_LICENCE.validity, longTermAllowed: false },
    };
    expect(
      errorsOf(noLongTerm, { ...driving, 有效期限: { from: '2018-07-20', until: '长期' } })[0]?.code,
    ).toBe('validity-term');
  });

  it('refuses a today that is not a date, since every date check depends on it', () => {
    expect(() => validateLicenseData(RESIDENT_IDENTITY_CARD, idCard, { today: '2025-13-01' })).toThrow(
      RangeError,
    );
  });
});

describe('checkValidityPeriod', () => {
  const rules = { termsInYears: [5, 10], longTermAllowed: false, explicitEndAllowed: false };

  it('counts a term from 29 February to 28 February', () => {
    expect(
      checkValidityPeriod(rules, { from: '2024-02-29', until: '2029-02-28' }, '2024-02-29'),
    ).toBeUndefined();
    expect(checkValidityPeriod(rules, { from: '2024-02-29', until: '2029-03-01' }, '2024-02-29')).toMatch(
      /not an allowed term/,
    );
  });

  it('accepts any later end date when explicit ends are allowed', () => {
    const explicit = { ...rules, explicitEndAllowed: true };
    expect(
      checkValidityPeriod(explicit, { from: '2024-01-01', until: '2024-09-17' }, '2024-01-01'),
    ).toBeUndefined();
  });
});

describe('validityOf', () => {
  it('reads the validity period from the type’s validity field', () => {
    const data = accepted(BUSINESS_LICENSE, business);
    expect(validityOf(BUSINESS_LICENSE, data)).toEqual({ from: '2019-04-18', until: LONG_TERM });
    const withoutField: LicenseType = {
      ...BUSINESS_LICENSE,
      validity: { ...BUSINESS_LICENSE.validity, field: undefined },
    };
    expect(validityOf(withoutField, data)).toBeUndefined();
  });
});

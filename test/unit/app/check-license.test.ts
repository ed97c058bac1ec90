// checkLicense: a request's data, holder and validity against its type, for type definitions
// the demo catalog does not have.

import { describe, expect, it } from 'vitest';
import { LicenseDataInvalid } from '#app/issuer-errors.ts';
import { checkLicense } from '#app/license-issuance.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import {
  BUSINESS_LICENSE,
  DEMO_LICENSES,
  DEMO_TYPE_CODE,
  RESIDENT_IDENTITY_CARD,
} from '#dev/demo/catalog.ts';

const TODAY = '2025-06-01';

function refusal(attempt: () => unknown): LicenseDataInvalid {
  try {
    attempt();
  } catch (error) {
    if (error instanceof LicenseDataInvalid) return error;
    throw error;
  }
  throw new Error('expected LicenseDataInvalid, found the request accepted');
}

describe('checkLicense, a type whose validity field is optional', () => {
  // A business license whose 营业期限 may be left out of the data.
  const type: LicenseType = {
    ...BUSINESS_LICENSE,
    fields: BUSINESS_LICENSE.fields.map((f) => (f.name === '营业期限' ? { ...f, required: false } : f)),
  };
  const { 营业期限: _left, ...data } = DEMO_LICENSES.find(
    (l) => l.typeCode === DEMO_TYPE_CODE.businessLicense,
  )!.data as Record<string, unknown>;

  it('takes the validity given apart from the data when the data leaves the field out', () => {
    const checked = checkLicense(type, { data, validity: { from: '2025-06-01', until: '长期' } }, TODAY);
    expect(checked.validity).toEqual({ from: '2025-06-01', until: 'long-term' });
    expect(checked.data).not.toHaveProperty('营业期限');
  });

  it('checks a validity given apart against the type’s terms', () => {
    const narrow: LicenseType = {
      ...type,
      validity: { ...type.validity, longTermAllowed: false, explicitEndAllowed: false, termsInYears: [5] },
    };
    const refused = refusal(() =>
      checkLicense(narrow, { data, validity: { from: '2025-06-01', until: '长期' } }, TODAY),
    );
    expect(refused.errors).toEqual([expect.objectContaining({ path: 'validity', code: 'validity-term' })]);
  });

  it('reports the validity missing, naming the field and validity, when neither gives it', () => {
    const refused = refusal(() => checkLicense(type, { data }, TODAY));
    expect(refused.errors).toEqual([
      {
        path: 'validity',
        code: 'missing',
        message: `type ${type.code} needs a validity period, in data.营业期限 or as validity`,
      },
    ]);
  });

  it('still takes the field’s validity when the data has it, and refuses another given apart', () => {
    const withField = { ...data, 营业期限: { from: '2025-06-01', until: '长期' } };
    expect(checkLicense(type, { data: withField }, TODAY).validity).toEqual({
      from: '2025-06-01',
      until: 'long-term',
    });
    const refused = refusal(() =>
      checkLicense(type, { data: withField, validity: { from: '2025-06-01', until: '2030-05-31' } }, TODAY),
    );
    expect(refused.errors).toEqual([
      expect.objectContaining({ path: 'validity', code: 'validity-mismatch' }),
    ]);
  });
});

describe('checkLicense, a holder code without an identifier check', () => {
  // A resident identity card whose holder is named by a passport number (414): letters keep
  // their case in the data, as no identifier rule says they are upper-case.
  const type: LicenseType = {
    ...RESIDENT_IDENTITY_CARD,
    holder: { ...RESIDENT_IDENTITY_CARD.holder, codeType: '414' },
    fields: RESIDENT_IDENTITY_CARD.fields.map((f) =>
      f.name === RESIDENT_IDENTITY_CARD.holder.codeField
        ? { ...f, identifier: undefined, pattern: undefined }
        : f,
    ),
  };
  const data = (code: string) => ({
    ...DEMO_LICENSES[0]!.data,
    公民身份号码: code,
    有效期限: { from: '2025-06-01', until: '2045-06-01' },
  });
  const holder = (code: string) => ({ name: '张伟明', codeType: '414', code });

  it('accepts the same code sent alike in holder and data, whatever its case', () => {
    const checked = checkLicense(type, { data: data('e1234567'), holder: holder(' e1234567 ') }, TODAY);
    expect(checked.holder).toEqual({ name: '张伟明', codeType: '414', code: 'e1234567' });
  });

  it('takes a code that differs from the data’s in case only for the same holder, as the holder index does', () => {
    const checked = checkLicense(type, { data: data('e1234567'), holder: holder('E1234567') }, TODAY);
    expect(checked.holder.code).toBe('e1234567');
    const refused = refusal(() =>
      checkLicense(type, { data: data('e1234567'), holder: holder('E1234568') }, TODAY),
    );
    expect(refused.errors).toEqual([
      expect.objectContaining({ path: 'holder.code', code: 'holder-mismatch' }),
    ]);
  });

  it('still reads a citizen identity number’s x in either case', () => {
    const card = {
      ...DEMO_LICENSES[0]!.data,
      公民身份号码: '11010519491231002x',
      有效期限: { from: '2025-06-01', until: '2045-06-01' },
    };
    const checked = checkLicense(
      RESIDENT_IDENTITY_CARD,
      { data: card, holder: { name: '张伟明', codeType: '111', code: '11010519491231002x' } },
      TODAY,
    );
    expect(checked.holder.code).toBe('11010519491231002X');
  });
});

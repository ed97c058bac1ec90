// checkLicense: a request's data, holder and validity against its type, for type definitions
// the demo catalog does not have.

import { describe, expect, it } from 'vitest';
import { LicenseDataInvalid } from '#app/issuer-errors.ts';
import { checkLicense } from '#app/license-issuance.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { BUSINESS_LICENSE, DEMO_LICENSES, DEMO_TYPE_CODE } from '#dev/demo/catalog.ts';

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

import { describe, expect, it } from 'vitest';
import type { LicenseType } from '#core/catalog/license-type.ts';
import {
  checkSharingAgreement,
  isAgreementInForce,
  SharingAgreementSchema,
} from '#core/catalog/sharing-agreement.ts';
import {
  BUSINESS_LICENSE,
  DEMO_AGENCIES,
  DEMO_LICENSE_TYPES,
  DEMO_SHARING_AGREEMENTS,
  DEMO_USCC,
  RESIDENT_IDENTITY_CARD,
} from '#dev/demo/catalog.ts';

const [idCardAgreement, businessAgreement] = DEMO_SHARING_AGREEMENTS as [
  (typeof DEMO_SHARING_AGREEMENTS)[0],
  (typeof DEMO_SHARING_AGREEMENTS)[0],
];
const centre = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.housingProvidentFundCentre)!;
const bureau = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;

describe('SharingAgreementSchema', () => {
  it.each(DEMO_SHARING_AGREEMENTS.map((a) => [a.id, a] as const))(
    'accepts the demo agreement %s',
    (_, agreement) => {
      expect(SharingAgreementSchema.parse(agreement)).toEqual(agreement);
    },
  );

  it('rejects a window that ends before it starts, and a field listed twice', () => {
    const result = SharingAgreementSchema.safeParse({
      ...idCardAgreement,
      validFrom: '2026-01-01',
      validUntil: '2025-12-31',
      fields: ['姓名', '姓名'],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['fields', 'validUntil']);
  });

  it('rejects an agreement without purposes or with a date that does not exist', () => {
    const result = SharingAgreementSchema.safeParse({
      ...idCardAgreement,
      purposes: [],
      validUntil: '2030-02-30',
    });
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['purposes', 'validUntil']);
  });
});

describe('checkSharingAgreement', () => {
  it('finds the demo agreements consistent with their types and relying agency', () => {
    for (const agreement of DEMO_SHARING_AGREEMENTS) {
      const type = DEMO_LICENSE_TYPES.find((t) => t.code === agreement.typeCode)!;
      expect(checkSharingAgreement(agreement, type, centre)).toEqual([]);
    }
  });

  it('names every field that is unknown or not disclosable', () => {
    const hidden: LicenseType = {
      ...RESIDENT_IDENTITY_CARD,
      fields: RESIDENT_IDENTITY_CARD.fields.map((f) =>
        f.name === '住址' ? { ...f, disclosable: false } : f,
      ),
    };
    const agreement = { ...idCardAgreement, fields: ['姓名', '住址', '血型'] };
    expect(checkSharingAgreement(agreement, hidden)).toEqual([
      { path: 'fields', field: '住址', reason: expect.stringMatching(/not disclosable/) },
      { path: 'fields', field: '血型', reason: expect.stringMatching(/has no field 血型/) },
    ]);
  });

  it('flags an agreement checked against another type', () => {
    expect(checkSharingAgreement(businessAgreement, RESIDENT_IDENTITY_CARD).map((p) => p.path)).toEqual([
      'typeCode',
      'fields',
      'fields',
    ]);
    expect(checkSharingAgreement(businessAgreement, BUSINESS_LICENSE)).toEqual([]);
  });

  it('flags a relying agency that is another agency or lacks the relying role', () => {
    expect(checkSharingAgreement(idCardAgreement, RESIDENT_IDENTITY_CARD, bureau)).toEqual([
      { path: 'relyingAgency', reason: expect.stringMatching(/checked against agency/) },
    ]);
    const issuerOnly = { ...idCardAgreement, relyingAgency: bureau.uscc };
    expect(checkSharingAgreement(issuerOnly, RESIDENT_IDENTITY_CARD, bureau)).toEqual([
      { path: 'relyingAgency', reason: expect.stringMatching(/not relying/) },
    ]);
  });
});

describe('isAgreementInForce', () => {
  it('holds on both ends of the window and not outside it', () => {
    expect(isAgreementInForce(idCardAgreement, '2024-12-31')).toBe(false);
    expect(isAgreementInForce(idCardAgreement, '2025-01-01')).toBe(true);
    expect(isAgreementInForce(idCardAgreement, '2030-12-31')).toBe(true);
    expect(isAgreementInForce(idCardAgreement, '2031-01-01')).toBe(false);
  });
});

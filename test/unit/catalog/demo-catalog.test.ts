// The demo catalog is what every walkthrough and test speaks about: it must be valid against
// the catalog schemas, its codes must carry real check characters, and every record must be
// marked as demo data.
import { describe, expect, it } from 'vitest';
import { AgencySchema } from '#core/catalog/agency.ts';
import { validateLicenseData } from '#core/catalog/license-data.ts';
import { LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { checkSharingAgreement, SharingAgreementSchema } from '#core/catalog/sharing-agreement.ts';
import { parseCitizenId } from '#core/identifiers/citizen-id.ts';
import { buildLicenseId, parseLicenseId } from '#core/identifiers/license-id.ts';
import { parseOrganizationCode } from '#core/identifiers/organization-code.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import { DEMO_CATALOG, DEMO_LEGAL_REPRESENTATIVE, DEMO_SERVICE_ITEM, DEMO_USCC } from '#dev/demo/catalog.ts';

const today = '2025-06-01';
const { licenseTypes, agencies, sharingAgreements, holders, licenses } = DEMO_CATALOG;

describe('demo catalog', () => {
  it('passes the catalog schemas', () => {
    for (const type of licenseTypes) LicenseTypeSchema.parse(type);
    for (const agency of agencies) AgencySchema.parse(agency);
    for (const agreement of sharingAgreements) SharingAgreementSchema.parse(agreement);
  });

  it('marks every seeded record as demo data', () => {
    const records = [...licenseTypes, ...agencies, ...sharingAgreements, ...holders, ...licenses];
    expect(records.length).toBe(3 + 5 + 2 + 4 + 5);
    expect(records.filter((r) => r.demo !== true)).toEqual([]);
  });

  it('uses USCCs with valid GB 32100 check characters and valid organization codes inside', () => {
    const usccs = new Set([
      ...agencies.map((a) => a.uscc),
      ...licenseTypes.map((t) => t.definingAgency.uscc),
      ...holders.filter((h) => h.codeType === '001').map((h) => h.code),
    ]);
    expect(usccs.size).toBe(8);
    for (const uscc of usccs) {
      const check = parseUscc(uscc);
      expect(check, uscc).toMatchObject({ valid: true });
      expect(parseOrganizationCode(uscc.slice(8, 17)), uscc).toMatchObject({ valid: true });
    }
  });

  it('uses citizen identity numbers with valid GB 11643 check characters', () => {
    const ids = [
      ...holders.filter((h) => h.codeType === '111').map((h) => h.code),
      DEMO_LEGAL_REPRESENTATIVE.code,
    ];
    expect(ids.length).toBe(4);
    for (const id of ids) expect(parseCitizenId(id, { today }), id).toMatchObject({ valid: true });
  });

  it('has the five agencies of the walkthroughs, each in its role', () => {
    const roleOf = (uscc: string) => agencies.find((a) => a.uscc === uscc)?.roles;
    expect(roleOf(DEMO_USCC.publicSecurityBureau)).toEqual(['issuer']);
    expect(roleOf(DEMO_USCC.marketRegulationBureau)).toEqual(['issuer']);
    expect(roleOf(DEMO_USCC.vehicleAdministration)).toEqual(['issuer']);
    expect(roleOf(DEMO_USCC.housingProvidentFundCentre)).toEqual(['relying']);
    expect(roleOf(DEMO_USCC.platformOperator)).toEqual(['operator']);
  });

  it('registers each type issuer as an issuing agency', () => {
    for (const type of licenseTypes) {
      for (const issuer of type.issuers) {
        expect(agencies.find((a) => a.uscc === issuer)?.roles, type.name.zh).toContain('issuer');
      }
    }
  });

  it('flags the fields of DEMO-DATA.md as sensitive, disclosable and searchable', () => {
    const flags = (typeName: string) =>
      Object.fromEntries(
        licenseTypes
          .find((t) => t.name.zh === typeName)!
          .fields.map((f) => [
            f.name,
            `${f.sensitive ? 'S' : ''}${f.disclosable ? 'D' : ''}${f.searchable ? 'Q' : ''}`,
          ]),
      );
    expect(flags('居民身份证')).toEqual({
      姓名: 'SD',
      性别: 'D',
      民族: 'SD',
      出生: 'SD',
      住址: 'SD',
      公民身份号码: 'SDQ',
      签发机关: 'D',
      有效期限: 'D',
      照片: 'SD',
    });
    expect(flags('营业执照')).toEqual({
      统一社会信用代码: 'DQ',
      名称: 'DQ',
      类型: 'D',
      法定代表人: 'SD',
      注册资本: 'D',
      成立日期: 'D',
      营业期限: 'D',
      经营范围: 'D',
      住所: 'D',
      登记机关: 'D',
    });
    expect(flags('机动车驾驶证')).toEqual({
      证号: 'SDQ',
      姓名: 'SD',
      性别: 'D',
      国籍: 'D',
      住址: 'SD',
      出生日期: 'SD',
      初次领证日期: 'D',
      准驾车型: 'D',
      有效期限: 'D',
      档案编号: 'SD',
    });
  });

  it('lets the provident fund centre retrieve name and number of the ID card, code and name of the business license', () => {
    const allowed = Object.fromEntries(
      sharingAgreements.map((a) => [licenseTypes.find((t) => t.code === a.typeCode)!.name.zh, a.fields]),
    );
    expect(allowed).toEqual({ 居民身份证: ['姓名', '公民身份号码'], 营业执照: ['统一社会信用代码', '名称'] });
    const centre = agencies.find((a) => a.uscc === DEMO_USCC.housingProvidentFundCentre)!;
    for (const agreement of sharingAgreements) {
      expect(agreement.serviceItem).toEqual(DEMO_SERVICE_ITEM);
      const type = licenseTypes.find((t) => t.code === agreement.typeCode)!;
      expect(checkSharingAgreement(agreement, type, centre)).toEqual([]);
    }
  });

  it.each(licenses.map((l) => [l.serial, l] as const))(
    'has license %s valid against its type, issued by a registered issuer, naming its holder',
    (_, license) => {
      const type = licenseTypes.find((t) => t.code === license.typeCode)!;
      expect(type.issuers).toContain(license.issuer);
      const result = validateLicenseData(type, license.data, { today: license.issuedOn });
      expect(result.ok).toBe(true);
      expect(license.data[type.holder.nameField]).toBe(license.holder.name);
      expect(license.data[type.holder.codeField]).toBe(license.holder.code);
      expect(type.holder.codeType).toBe(license.holder.codeType);
      const id = buildLicenseId({
        typeCode: type.code,
        issuerCode: license.issuer,
        serial: license.serial,
        version: '001',
      });
      expect(parseLicenseId(id)).toMatchObject({ valid: true });
    },
  );

  it('gives person licenses a sex and birth date that agree with the citizen identity number', () => {
    for (const license of licenses) {
      const id = license.data.公民身份号码 ?? license.data.证号;
      if (typeof id !== 'string') continue;
      const parsed = parseCitizenId(id, { today });
      if (!parsed.valid) throw new Error(parsed.reason);
      expect(license.data.出生 ?? license.data.出生日期).toBe(parsed.parts.birthDate);
      expect(license.data.性别).toBe(parsed.parts.sex === 'male' ? '男' : '女');
    }
  });
});

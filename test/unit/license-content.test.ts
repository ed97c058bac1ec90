import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { openLicenseContent, sealLicenseContent } from '#app/license-content.ts';
import { issueSdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { bindingCipher as cipher } from './app/issuer-fakes.ts';

const LICENSE_ID = '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F';

async function issued() {
  return issueSdJwtVc(
    {
      licenseId: LICENSE_ID,
      issuer: 'https://api.test/agencies/11220000013544541J',
      fields: { 姓名: '张演示', 公民身份号码: '11010519491231002X' },
      issuedAt: 1,
      validFrom: 1,
      validUntil: null,
      status: { uri: 'https://api.test/status-lists/l', idx: 1 },
    },
    new SoftwareEs256Signer('k'),
  );
}

describe('license content', () => {
  it('keeps the issuer JWT in the clear and no field value outside the sealed disclosures', async () => {
    const license = await issued();
    const where = { dataDomain: 'person', licenseId: LICENSE_ID };
    const content = await sealLicenseContent(cipher, where, license, {
      validity: { from: '2020-01-01', until: 'long-term' },
      holderCodeType: '111',
    });
    expect(content.issuerJwt).toBe(license.sdJwt.split('~')[0]);
    expect(JSON.stringify({ ...content, sealedDisclosures: '' })).not.toContain('11010519491231002X');
    const opened = await openLicenseContent(cipher, where, content);
    expect(opened.sdJwt).toBe(license.sdJwt);
  });

  it('opens for the same license only', async () => {
    const content = await sealLicenseContent(
      cipher,
      { dataDomain: 'person', licenseId: LICENSE_ID },
      await issued(),
      {
        validity: { from: '2020-01-01', until: 'long-term' },
        holderCodeType: '111',
      },
    );
    await expect(
      openLicenseContent(cipher, { dataDomain: 'person', licenseId: `${LICENSE_ID}X` }, content),
    ).rejects.toThrow(/FieldDecryptionFailed/);
    await expect(
      openLicenseContent(cipher, { dataDomain: 'person', licenseId: LICENSE_ID }, { format: 'other' }),
    ).rejects.toThrow(/expected license content/);
  });
});

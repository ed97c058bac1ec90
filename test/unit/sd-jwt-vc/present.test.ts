import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { decodeCompactJws, fromBase64url } from '#core/jws.ts';
import { sdDigest } from '#core/sd-jwt-vc/digest.ts';
import { issueSdJwtVc, presentSdJwtVc, SdJwtVcError } from '#core/sd-jwt-vc/index.ts';
import { demoLicense, NOW, SIX_FIELDS } from './demo-license.ts';

const signer = new SoftwareEs256Signer('agency-seal-2024');
const holder = new SoftwareEs256Signer('holder-device');

function disclosedNames(presentation: string): string[] {
  return presentation
    .split('~')
    .slice(1, -1)
    .map((d) => (JSON.parse(fromBase64url(d).toString('utf8')) as [string, string, unknown])[1]);
}

describe('presentSdJwtVc', () => {
  it('keeps the issuer JWT and only the named disclosures', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense(), signer);
    const presentation = await presentSdJwtVc(sdJwt, ['姓名', '公民身份号码']);
    expect(presentation.split('~')[0]).toBe(sdJwt.split('~')[0]);
    expect(presentation.endsWith('~')).toBe(true);
    expect(disclosedNames(presentation).sort()).toEqual(['公民身份号码', '姓名']);
  });

  it('presents no field at all when none is named', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense(), signer);
    expect(await presentSdJwtVc(sdJwt, [])).toBe(`${sdJwt.split('~')[0]}~`);
  });

  it('refuses a field the credential does not have', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense(), signer);
    const error = await presentSdJwtVc(sdJwt, ['姓名', '血型']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdJwtVcError);
    expect((error as SdJwtVcError).code).toBe('unknown_field');
    expect((error as Error).message).toContain('血型');
  });

  it('refuses input that is not an issued SD-JWT', async () => {
    const error = await presentSdJwtVc('not-a-credential', ['姓名']).catch((e: unknown) => e);
    expect((error as SdJwtVcError).code).toBe('not_an_sd_jwt');
  });

  it('appends a KB-JWT over the presentation, signed by the holder key', async () => {
    const { sdJwt } = await issueSdJwtVc(demoLicense({ holderKey: holder.publicJwk }), signer);
    const presentation = await presentSdJwtVc(sdJwt, SIX_FIELDS, {
      keyBinding: { signer: holder, audience: 'https://gjj.example/verifier', nonce: 'n-123', issuedAt: NOW },
    });
    const cut = presentation.lastIndexOf('~') + 1;
    const kb = decodeCompactJws(presentation.slice(cut));
    expect(kb.header).toMatchObject({ typ: 'kb+jwt', alg: 'ES256' });
    expect(kb.payload).toEqual({
      iat: NOW,
      aud: 'https://gjj.example/verifier',
      nonce: 'n-123',
      sd_hash: sdDigest(presentation.slice(0, cut)),
    });
    expect(disclosedNames(presentation.slice(0, cut))).toHaveLength(6);
  });
});

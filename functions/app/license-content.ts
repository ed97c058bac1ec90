import type { FieldCipher } from '#ports/field-cipher.ts';

// What a stored license version keeps in its `content` (the repository stores it as given):
// the issuer-signed JWT of its SD-JWT VC in the clear — it carries only digests — and every
// disclosure sealed with the field cipher, since disclosures hold the field values in plain
// text (names, ID numbers). Retrieval opens the disclosures and hands out only those the
// basis allows. Issue, re-issue, retrieval and the holder API all read and write it here.

export const LICENSE_CONTENT_FORMAT = 'elicense/license-content/v1';

export interface LayoutDocumentRef {
  key: string;
  /** SHA-256, unpadded base64url. */
  sha256: string;
  size: number;
  mediaType: 'application/pdf' | 'application/ofd';
}

export interface LicenseContent {
  format: typeof LICENSE_CONTENT_FORMAT;
  /** The issuer-signed part of the SD-JWT VC (`<header>.<payload>.<signature>`). */
  issuerJwt: string;
  /** The encoded disclosures, sealed under the field cipher, base64. */
  sealedDisclosures: string;
  /** Validity period: RFC 3339 dates (YYYY-MM-DD); `long-term` for 长期. */
  validity: { from: string; until: string };
  /** Holder code type (`111` citizen identity number, `001` USCC, …); the code itself is only in the sealed disclosures and the blind index. */
  holderCodeType: string;
  document?: LayoutDocumentRef;
}

/**
 * The cipher binding of a license's disclosures: the logical license table of its data domain
 * (not the physical shard, so a re-shard moves items without re-sealing) and the license id.
 */
export function contentBinding(dataDomain: string, licenseId: string) {
  return { table: `license-${dataDomain}`, licenseId };
}

export async function sealLicenseContent(
  cipher: FieldCipher,
  where: { dataDomain: string; licenseId: string },
  issued: { sdJwt: string },
  meta: Pick<LicenseContent, 'validity' | 'holderCodeType' | 'document'>,
): Promise<LicenseContent> {
  const [issuerJwt, ...rest] = issued.sdJwt.split('~');
  const disclosures = rest.filter((part) => part.length > 0);
  const sealed = await cipher.encryptFields(contentBinding(where.dataDomain, where.licenseId), {
    disclosures,
  });
  return {
    format: LICENSE_CONTENT_FORMAT,
    issuerJwt: issuerJwt!,
    sealedDisclosures: Buffer.from(sealed).toString('base64'),
    validity: meta.validity,
    holderCodeType: meta.holderCodeType,
    ...(meta.document ? { document: meta.document } : {}),
  };
}

/** The full SD-JWT VC (`<issuer-jwt>~<every disclosure>~`), opened for the same license only. */
export async function openLicenseContent(
  cipher: FieldCipher,
  where: { dataDomain: string; licenseId: string },
  content: LicenseContent | Readonly<Record<string, unknown>>,
): Promise<{ sdJwt: string; content: LicenseContent }> {
  const stored = asLicenseContent(content);
  const fields = await cipher.decryptFields(
    contentBinding(where.dataDomain, where.licenseId),
    Buffer.from(stored.sealedDisclosures, 'base64'),
  );
  const disclosures = fields.disclosures;
  if (!Array.isArray(disclosures) || !disclosures.every((d) => typeof d === 'string')) {
    throw new Error(`license ${where.licenseId}: sealed disclosures are not a list of strings`);
  }
  return { sdJwt: `${[stored.issuerJwt, ...disclosures].join('~')}~`, content: stored };
}

export function asLicenseContent(
  content: LicenseContent | Readonly<Record<string, unknown>>,
): LicenseContent {
  if (content.format !== LICENSE_CONTENT_FORMAT) {
    throw new Error(`expected license content ${LICENSE_CONTENT_FORMAT}, found ${String(content.format)}`);
  }
  return content as unknown as LicenseContent;
}

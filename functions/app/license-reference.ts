// How a caller names a license: by the full GB/T 36904 identifier of one version, or by its
// license key (the identifier without version and check character), which means the current
// version. Grants and retrievals accept either.
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf, parseLicenseKey } from '#core/license-key.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { RetrievalRequestInvalid } from './retrieval-errors.ts';

export type LicenseReference =
  | { kind: 'version'; id: string; licenseKey: string; typeCode: string }
  | { kind: 'key'; licenseKey: string; typeCode: string };

/** Reads a full identifier or a license key; RetrievalRequestInvalid for anything else. */
export function parseLicenseReference(text: string): LicenseReference {
  const parsed = parseLicenseId(text);
  if (parsed.valid) {
    return { kind: 'version', id: text, licenseKey: licenseKeyOf(text), typeCode: parsed.parts.typeCode };
  }
  try {
    return { kind: 'key', licenseKey: text, typeCode: parseLicenseKey(text).typeCode };
  } catch (error) {
    throw new RetrievalRequestInvalid(
      `expected a GB/T 36904 license identifier or license key, found ${JSON.stringify(text)}: ${parsed.reason}; ${(error as Error).message}`,
    );
  }
}

/** The version named, or the current version of the license key; undefined when none is stored. */
export function findLicense(
  reference: LicenseReference,
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent'>,
): Promise<LicenseRecord | undefined> {
  return reference.kind === 'version'
    ? licenses.get(reference.id)
    : licenses.getCurrent(reference.licenseKey);
}

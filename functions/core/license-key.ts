// The identity of a license across its versions: the GB/T 36904 identifier without its version
// and check character, `1.2.156.3005.2.<type code>.<issuer code>.<serial>`. Every version of a
// license shares it, so it is what routes a license to its shard, keys its partition, and names
// it in the holder index and in per-license audit history.
import { InvalidIdentifier, LICENSE_ID_ROOT, parseLicenseId } from './identifiers/license-id.ts';

/** The license key of a full identifier. Throws InvalidIdentifier when `id` is not a valid identifier. */
export function licenseKeyOf(id: string): string {
  const parsed = parseLicenseId(id);
  if (!parsed.valid) throw new InvalidIdentifier('license-id', parsed.reason);
  const { typeCode, issuerCode, serial } = parsed.parts;
  return `${LICENSE_ID_ROOT}.${typeCode}.${issuerCode}.${serial}`;
}

export interface LicenseKeyParts {
  typeCode: string;
  issuerCode: string;
  serial: string;
}

/**
 * Splits a license key into its parts, checking them as the identifier parser does (a key is
 * valid when some version of it would be). Throws InvalidIdentifier.
 */
export function parseLicenseKey(key: string): LicenseKeyParts {
  const rest = key.startsWith(`${LICENSE_ID_ROOT}.`) ? key.slice(LICENSE_ID_ROOT.length + 1).split('.') : [];
  if (rest.length !== 3) {
    throw new InvalidIdentifier(
      'license-id',
      `expected a license key ${LICENSE_ID_ROOT}.<type code>.<issuer code>.<serial>, found '${key}'`,
    );
  }
  const [typeCode, issuerCode, serial] = rest as [string, string, string];
  // The check character is computed, not read, so only the three parts are being checked here.
  const probe = parseLicenseId(`${key}.001.0`);
  if (!probe.valid && !probe.reason.startsWith('check character')) {
    throw new InvalidIdentifier('license-id', probe.reason);
  }
  return { typeCode, issuerCode, serial };
}

/**
 * The license key an audit subject's `licenseId` names: a version's full identifier, or the key
 * itself (an event about the license across versions); undefined for anything else — such an
 * event is still recorded, just not filed per license.
 */
export function licenseKeyNamedBy(licenseId: string | undefined): string | undefined {
  if (licenseId === undefined) return undefined;
  try {
    return licenseKeyOf(licenseId);
  } catch {
    try {
      parseLicenseKey(licenseId);
      return licenseId;
    } catch {
      return undefined;
    }
  }
}

// Electronic license identifier (电子证照标识), GB/T 36904:
// `<root>.<type code>.<issuer code>.<serial>.<version>.<check>`.
// Read tolerantly (older data names its issuer by a legacy code), generated strictly.
import {
  firstForeignChar,
  type IdentifierCheck,
  InvalidIdentifier,
  invalid,
  quoteChar,
} from './identifier-check.ts';
import { ALPHANUMERIC, mod37_36CheckChar } from './iso7064.ts';
import { parseOrganizationCode } from './organization-code.ts';
import { parseUscc } from './uscc.ts';

export { type IdentifierCheck, InvalidIdentifier } from './identifier-check.ts';

/** The fixed OID arc every GB/T 36904 identifier starts with. */
export const LICENSE_ID_ROOT = '1.2.156.3005.2';

export interface LicenseIdParts {
  /** 21 characters: the defining agency's USCC and a 3-digit sequence, e.g. `11100000000013338W032`. */
  typeCode: string;
  /** The issuing agency's USCC; on read also a legacy 6-digit area code or 9-character organization code. */
  issuerCode: string;
  /** 1–32 characters of 0-9 and A-Z. */
  serial: string;
  /** 3 digits from `001`. */
  version: string;
}

export type ParsedLicenseId = LicenseIdParts & { check: string; legacyIssuer: boolean };

type PartCheck = { ok: true } | { ok: false; reason: string };
const OK: PartCheck = { ok: true };
const fail = (reason: string): PartCheck => ({ ok: false, reason });

const isAlphanumeric = (c: string): boolean => ALPHANUMERIC.includes(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

function foreignCharReason(label: string, value: string): string | undefined {
  if (/^[0-9A-Z]*$/.test(value)) return undefined; // the common case, without a per-character scan
  const foreign = firstForeignChar(value, isAlphanumeric);
  if (!foreign) return undefined;
  const { char, position } = foreign;
  const lower = char !== char.toUpperCase() && isAlphanumeric(char.toUpperCase());
  return lower
    ? `${label} contains lower-case ${quoteChar(char)} at position ${position}; identifiers use upper case only`
    : `${label} contains ${quoteChar(char)} at position ${position}; expected 0-9 or A-Z`;
}

function checkTypeCode(typeCode: string): PartCheck {
  const foreign = foreignCharReason('type code', typeCode);
  if (foreign) return fail(foreign);
  if (typeCode.length !== 21) {
    return fail(
      `type code ${typeCode} must be 21 characters (the defining agency's USCC and a 3-digit sequence), found ${typeCode.length}`,
    );
  }
  const definer = parseUscc(typeCode.slice(0, 18));
  if (!definer.valid)
    return fail(`type code ${typeCode} does not start with a valid USCC: ${definer.reason}`);
  const sequence = typeCode.slice(18);
  if (![...sequence].every(isDigit)) {
    return fail(`type code ${typeCode} must end in a 3-digit sequence, found '${sequence}'`);
  }
  return OK;
}

/** On read: a valid USCC, or a legacy area code / organization code (flagged). */
function classifyIssuer(issuerCode: string): { ok: true; legacy: boolean } | { ok: false; reason: string } {
  const foreign = foreignCharReason('issuer code', issuerCode);
  if (foreign) return { ok: false, reason: foreign };
  switch (issuerCode.length) {
    case 18: {
      const uscc = parseUscc(issuerCode);
      return uscc.valid
        ? { ok: true, legacy: false }
        : { ok: false, reason: `issuer code ${issuerCode} is not a valid USCC: ${uscc.reason}` };
    }
    case 9: {
      const org = parseOrganizationCode(issuerCode);
      return org.valid
        ? { ok: true, legacy: true }
        : { ok: false, reason: `issuer code ${issuerCode} is not a valid organization code: ${org.reason}` };
    }
    case 6:
      return /^[1-9]\d{5}$/.test(issuerCode)
        ? { ok: true, legacy: true }
        : {
            ok: false,
            reason: `issuer code ${issuerCode} is not an area code: expected 6 digits, the first 1–9`,
          };
    default:
      return {
        ok: false,
        reason: `issuer code ${issuerCode || "''"} is ${issuerCode.length} characters; expected an 18-character USCC (or, in older data, a 6-digit area code or 9-character organization code)`,
      };
  }
}

function checkSerial(serial: string): PartCheck {
  if (serial.length === 0) return fail('serial is empty; expected 1–32 characters of 0-9 and A-Z');
  const foreign = foreignCharReason('serial', serial);
  if (foreign) return fail(foreign);
  if (serial.length > 32) return fail(`serial must be at most 32 characters, found ${serial.length}`);
  return OK;
}

function checkVersion(version: string): PartCheck {
  if (!/^\d{3}$/.test(version)) return fail(`version must be 3 digits, found '${version}'`);
  if (version === '000') return fail('version 000 is not valid; versions start at 001');
  return OK;
}

/** The check character of a license identifier over its body (type code + issuer + serial + version, no dots). */
export function licenseIdCheckChar(body: string): string {
  if (body.length === 0) throw new InvalidIdentifier('license-id', 'check body is empty');
  const foreign = foreignCharReason('check body', body);
  if (foreign) throw new InvalidIdentifier('license-id', foreign);
  return mod37_36CheckChar(body);
}

/** Builds an identifier from its parts; strict: the issuer must be a valid USCC. Throws InvalidIdentifier. */
export function buildLicenseId(parts: LicenseIdParts): string {
  const { typeCode, issuerCode, serial, version } = parts;
  for (const result of [checkTypeCode(typeCode), checkIssuerStrictly(issuerCode), checkSerial(serial)]) {
    if (!result.ok) throw new InvalidIdentifier('license-id', result.reason);
  }
  const versionCheck = checkVersion(version);
  if (!versionCheck.ok) throw new InvalidIdentifier('license-id', versionCheck.reason);
  const check = licenseIdCheckChar(typeCode + issuerCode + serial + version);
  return [LICENSE_ID_ROOT, typeCode, issuerCode, serial, version, check].join('.');
}

function checkIssuerStrictly(issuerCode: string): PartCheck {
  const issuer = classifyIssuer(issuerCode);
  if (!issuer.ok) return fail(issuer.reason);
  if (issuer.legacy) {
    return fail(
      `issuer code ${issuerCode} is a legacy code; new identifiers need the issuer's 18-character USCC`,
    );
  }
  return OK;
}

/** Parses and checks an identifier; legacy issuer codes are accepted and flagged with `legacyIssuer`. */
export function parseLicenseId(id: string): IdentifierCheck<ParsedLicenseId> {
  if (id.length === 0) return invalid('license id is empty');
  const components = id.split('.');
  if (!id.startsWith(`${LICENSE_ID_ROOT}.`)) {
    return invalid(
      `license id must start with the GB/T 36904 root ${LICENSE_ID_ROOT}, found '${components.slice(0, 5).join('.')}'`,
    );
  }
  const rest = components.slice(5);
  if (rest.length !== 5) {
    return invalid(
      `expected 5 dot-separated parts after the root (type code, issuer code, serial, version, check), found ${rest.length}`,
    );
  }
  const [typeCode, issuerCode, serial, version, check] = rest as [string, string, string, string, string];

  const typeCheck = checkTypeCode(typeCode);
  if (!typeCheck.ok) return invalid(typeCheck.reason, { typeCode });
  const issuer = classifyIssuer(issuerCode);
  if (!issuer.ok) return invalid(issuer.reason, { typeCode, issuerCode });
  const read = { typeCode, issuerCode, legacyIssuer: issuer.legacy };
  const serialCheck = checkSerial(serial);
  if (!serialCheck.ok) return invalid(serialCheck.reason, read);
  const versionCheck = checkVersion(version);
  if (!versionCheck.ok) return invalid(versionCheck.reason, { ...read, serial });
  if (check.length !== 1 || !isAlphanumeric(check)) {
    return invalid(`check must be one character of 0-9 or A-Z, found '${check}'`, {
      ...read,
      serial,
      version,
    });
  }
  const parts: ParsedLicenseId = {
    typeCode,
    issuerCode,
    serial,
    version,
    check,
    legacyIssuer: issuer.legacy,
  };
  const expected = mod37_36CheckChar(typeCode + issuerCode + serial + version);
  if (check !== expected) {
    return invalid(`check character is ${quoteChar(check)} but ${quoteChar(expected)} was expected`, parts);
  }
  return { valid: true, parts };
}

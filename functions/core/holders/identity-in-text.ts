import { parseCitizenId } from '../identifiers/citizen-id.ts';

// Free text people write about a holder — a status change's reason, a grant's purpose, a case
// number — is kept for good in the sealed audit log, or stored where others read it. A citizen
// identity number written into it would be held in plain, beyond the reach of the field
// encryption and blind index that keep every other copy of it. No library finds one in prose,
// so this scans for it: every 18-character window that parses as a GB 11643 number (area code,
// real birth date, MOD 11-2 check character). Requiring all three is what lets an order or case
// number of 18 digits through: a random one is a real date and has the right check character
// about once in 300.

/**
 * The text reduced to letters and digits, upper case, after folding compatibility forms (NFKC:
 * full-width digits and letters, ideographic spaces): however a number is spaced, hyphenated or
 * cased, its characters then stand together. Chinese characters are letters and stay, so a
 * number set in Chinese text keeps its bounds.
 */
function normalised(text: string): string {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** Every 18-character run of 17 digits and a digit or X, overlapping runs included. */
const CANDIDATE = /(?=([0-9]{17}[0-9X]))/g;

/**
 * Whether `text` holds a citizen identity number (GB 11643, 18 characters), or any of the
 * `codes` given (a holder code the text is about, of any code type), however written.
 */
export function containsIdentityNumber(text: string, codes: readonly string[] = []): boolean {
  const plain = normalised(text);
  if (codes.map(normalised).some((code) => code !== '' && plain.includes(code))) return true;
  for (const [, candidate] of plain.matchAll(CANDIDATE)) {
    // The core has no clock: no birth date counts as in the future, so a number written with
    // one is refused too — it is written as an identity number all the same.
    if (parseCitizenId(candidate!, { today: '9999-12-31' }).valid) return true;
  }
  return false;
}

/** Free text that names an identity number; a 400 (validation-failed) naming each field. */
export class IdentityNumberInText extends Error {
  readonly code = 'IDENTITY_NUMBER_IN_TEXT';
  /** Each field by path, as a schema violation reports them (`errors` of the problem document). */
  readonly errors: readonly { path: string; message: string }[];

  constructor(paths: readonly string[]) {
    const message =
      'must not contain an identity number: the text is kept for good in the audit log; name the case instead';
    const errors = paths.map((path) => ({ path, message }));
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    this.name = 'IdentityNumberInText';
    this.errors = errors;
  }
}

/**
 * Throws IdentityNumberInText naming every field (path → text; absent ones skipped) that holds
 * an identity number, or one of `codes`.
 */
export function refuseIdentityNumbers(
  fields: Readonly<Record<string, string | undefined>>,
  codes: readonly string[] = [],
): void {
  const named = Object.entries(fields)
    .filter(([, text]) => text !== undefined && containsIdentityNumber(text, codes))
    .map(([path]) => path);
  if (named.length > 0) throw new IdentityNumberInText(named);
}

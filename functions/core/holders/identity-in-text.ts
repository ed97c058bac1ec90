import { parseCitizenId } from '../identifiers/citizen-id.ts';

// Free text people write about a holder — a status change's reason, a grant's purpose, a case
// number — is kept for good in the sealed audit log, or stored where others read it. A citizen
// identity number written into it would be held in plain, beyond the reach of the field
// encryption and blind index that keep every other copy of it. No library finds one in prose,
// so this scans for it: every 18-character window of a number that parses as a GB 11643 number
// (area code, a real birth date in 1900–2099, MOD 11-2 check character).
//
// What counts as one number decides the false positives. Digits written in groups — spaces,
// hyphens, ideographic spaces between them — are one number, so an identity number is found
// however it is spaced; other punctuation (dots, slashes, commas) ends a number, so separate
// numbers, and the dot-separated parts of a GB/T 36904 license identifier, never join into
// long runs with many windows. Within a grouped number only whole groups are joined: an
// identity number written in groups starts and ends on group bounds, while two numbers that
// happen to sit side by side rarely add up to 18 characters. Measured on seeded samples
// (test/unit/holders/identity-in-text.test.ts): a random 18-digit order or case number is taken
// for one about once in 18,000 (54 in a million: area code, a date in range, check character);
// a quoted license identifier never, unless it is digits from end to end (2 in 50,000 — a
// window inside one of its parts; 6% when all separators were dropped and any year counted).

/** Compatibility forms folded (NFKC: full-width digits and letters, ideographic spaces), upper case. */
function folded(text: string): string {
  return text.normalize('NFKC').toUpperCase();
}

/** Letters and digits only: a code the caller names is found however it is spaced or punctuated. */
function compact(text: string): string {
  return folded(text).replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * A number as people write one: groups of digits joined by spaces or hyphens (any dash), the last
 * group perhaps ending in the check character X. Chinese characters and letters end it, so a
 * number set in Chinese text keeps its bounds.
 */
const NUMBER = /[0-9]+(?:[\p{Zs}\t\-\u2010-\u2015\u2212]+[0-9]+)*[Xx]?/gu;
const SEPARATORS = /[^0-9X]+/;
/** Every 18-character run of 17 digits and a digit or X, overlapping runs included. */
const WINDOW = /(?=([0-9]{17}[0-9X]))/g;
const WHOLE = /^[0-9]{17}[0-9X]$/;

/** The 18-character strings of a number that could be an identity number written in it. */
function* candidates(number: string): Generator<string> {
  const groups = number.split(SEPARATORS);
  // Within one group, any window: an identity number may stand inside a longer run of digits.
  for (const group of groups) for (const [, window] of group.matchAll(WINDOW)) yield window!;
  // Across groups, whole groups only (the module comment).
  for (let first = 0; first < groups.length; first += 1) {
    let joined = groups[first]!;
    for (let last = first + 1; last < groups.length && joined.length < 18; last += 1) {
      joined += groups[last]!;
      if (joined.length === 18 && WHOLE.test(joined)) yield joined;
    }
  }
}

// The core has no clock, so "not in the future" cannot bound the birth year; the plausible range
// does: anyone with a number today was born after 1900, and a birth date before 2100 that lies in
// the future is written as an identity number all the same.
const LAST_PLAUSIBLE_DAY = '2099-12-31';
const FIRST_PLAUSIBLE_YEAR = '1900';

function isIdentityNumber(candidate: string): boolean {
  const parsed = parseCitizenId(candidate, { today: LAST_PLAUSIBLE_DAY });
  return parsed.valid && parsed.parts.birthDate >= FIRST_PLAUSIBLE_YEAR;
}

/**
 * Whether `text` holds a citizen identity number (GB 11643, 18 characters), or any of the
 * `codes` given (a holder code the text is about, of any code type), however written.
 */
export function containsIdentityNumber(text: string, codes: readonly string[] = []): boolean {
  // A code named by the caller is this holder's: looked for with every separator dropped, since
  // a false positive needs that very code.
  const plain = compact(text);
  if (codes.map(compact).some((code) => code !== '' && plain.includes(code))) return true;
  for (const [number] of folded(text).matchAll(NUMBER)) if (holdsIdentityNumber(number)) return true;
  return false;
}

/**
 * Throws IdentityNumberInText naming every field that holds one of `codes` (a holder's own), however
 * written — and nothing else: for text shaped like numbers by design, a serial above all, where an
 * issuer's region + date + sequence scheme makes a valid-looking identity number about one time in
 * eleven, and only the holder's own code is a disclosure.
 */
export function refuseCodes(
  fields: Readonly<Record<string, string | undefined>>,
  codes: readonly string[],
  why?: string,
): void {
  const wanted = codes.map(compact).filter((code) => code !== '');
  const named = Object.entries(fields)
    .filter(([, text]) => text !== undefined && wanted.some((code) => compact(text).includes(code)))
    .map(([path]) => path);
  if (named.length > 0) throw new IdentityNumberInText(named, why);
}

/** Whether one number, as NUMBER finds it, holds an identity number. */
function holdsIdentityNumber(number: string): boolean {
  for (const candidate of candidates(number.toUpperCase())) if (isIdentityNumber(candidate)) return true;
  return false;
}

/**
 * `text` in its NFKC form (full-width digits folded, case kept) with each number in it that holds
 * a citizen identity number replaced by `replace(number)`: for text that must be kept but cannot
 * be refused (masked-text.ts).
 */
export function replaceIdentityNumbers(text: string, replace: (number: string) => string): string {
  return text
    .normalize('NFKC')
    .replace(NUMBER, (number) => (holdsIdentityNumber(number) ? replace(number) : number));
}

const FREE_TEXT_WHY = 'the text is kept for good in the audit log; name the case instead';

/** Free text that names an identity number; a 400 (validation-failed) naming each field. */
export class IdentityNumberInText extends Error {
  readonly code = 'IDENTITY_NUMBER_IN_TEXT';
  /** Each field by path, as a schema violation reports them (`errors` of the problem document). */
  readonly errors: readonly { path: string; message: string }[];

  constructor(paths: readonly string[], why = FREE_TEXT_WHY) {
    const message = `must not contain an identity number: ${why}`;
    const errors = paths.map((path) => ({ path, message }));
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    this.name = 'IdentityNumberInText';
    this.errors = errors;
  }
}

/**
 * Throws IdentityNumberInText naming every field (path → text; absent ones skipped) that holds
 * an identity number, or one of `codes`; `why` tells the caller why the field may not (by
 * default: free text kept in the audit log).
 */
export function refuseIdentityNumbers(
  fields: Readonly<Record<string, string | undefined>>,
  codes: readonly string[] = [],
  why?: string,
): void {
  const named = Object.entries(fields)
    .filter(([, text]) => text !== undefined && containsIdentityNumber(text, codes))
    .map(([path]) => path);
  if (named.length > 0) throw new IdentityNumberInText(named, why);
}

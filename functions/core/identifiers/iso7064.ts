// ISO/IEC 7064 check character systems used by Chinese identifiers: the hybrid MOD 37,36
// (GB/T 36904 license identifiers) and the pure MOD 11-2 (GB 11643 citizen identity numbers).

/** The MOD 37,36 alphabet; a character's value is its index. */
export const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The MOD 11-2 check characters; value 10 is written `X`. */
export const MOD11_2_CHARS = '0123456789X';

/**
 * ISO 7064 hybrid MOD 37,36 check character over `body` (characters of {@link ALPHANUMERIC}).
 * Throws a RangeError on any other character: callers validate their input first.
 */
export function mod37_36CheckChar(body: string): string {
  let p = 36;
  for (let i = 0; i < body.length; i += 1) {
    const code = body.charCodeAt(i);
    const value = code >= 48 && code <= 57 ? code - 48 : code >= 65 && code <= 90 ? code - 55 : -1;
    if (value < 0) throw new RangeError(`MOD 37,36 input contains ${JSON.stringify(body[i])}`);
    const r = (p + value) % 36 || 36;
    p = (2 * r) % 37;
  }
  return ALPHANUMERIC[(37 - (p % 36)) % 36]!;
}

/**
 * ISO 7064 MOD 11-2 check character over a string of decimal digits, weighting the rightmost
 * digit 2, the next 4, and so on (2^k mod 11), so that the check character weighs 1.
 * Throws a RangeError on a non-digit.
 */
export function mod11_2CheckChar(digits: string): string {
  let sum = 0;
  let weight = 2;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    const code = digits.charCodeAt(i) - 48;
    if (code < 0 || code > 9) throw new RangeError(`MOD 11-2 input contains ${JSON.stringify(digits[i])}`);
    sum += code * weight;
    weight = (weight * 2) % 11;
  }
  return MOD11_2_CHARS[(12 - (sum % 11)) % 11]!;
}

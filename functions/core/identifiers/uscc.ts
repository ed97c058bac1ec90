// Unified social credit code (统一社会信用代码), GB 32100-2015.
import {
  firstForeignChar,
  type IdentifierCheck,
  InvalidIdentifier,
  invalid,
  quoteChar,
} from './identifier-check.ts';

/** The 31 characters of GB 32100; a character's value is its index. I, O, Z, S and V are not used. */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const USCC_PATTERN = /^[0-9A-HJ-NPQRTUWXY]*$/;
/** Character code → value, −1 outside the alphabet. */
const VALUES = new Int8Array(128).fill(-1);
for (let v = 0; v < USCC_ALPHABET.length; v += 1) VALUES[USCC_ALPHABET.charCodeAt(v)] = v;

/** Weights of positions 1–17 (3^(i−1) mod 31). */
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

export interface UsccParts {
  /** Position 1: the registration authority (登记管理部门代码), e.g. `9` for market regulation. */
  registrationAuthority: string;
  /** Position 2: the kind of organisation (机构类别代码). */
  organisationType: string;
  /** Positions 3–8: the registering authority's administrative area code (登记管理机关行政区划码). */
  areaCode: string;
  /** Positions 9–17: the subject identifier (主体标识码), the former organization code. */
  subjectCode: string;
  /** Position 18. */
  check: string;
}

/** Why `char` is not a USCC character, for a reason naming the position. */
function foreignUsccChar(char: string, position: number): string {
  if ('IOZSV'.includes(char)) {
    return `USCC contains ${quoteChar(char)} at position ${position}, which GB 32100 does not use`;
  }
  if (char !== char.toUpperCase() && USCC_ALPHABET.includes(char.toUpperCase())) {
    return `USCC contains lower-case ${quoteChar(char)} at position ${position}; GB 32100 uses upper-case letters only`;
  }
  return `USCC contains ${quoteChar(char)} at position ${position}; expected a digit or one of the letters ABCDEFGHJKLMNPQRTUWXY`;
}

/** GB 32100 check character over the first 17 characters of a USCC; throws InvalidIdentifier on bad input. */
export function usccCheckChar(first17: string): string {
  const foreign = USCC_PATTERN.test(first17)
    ? undefined
    : firstForeignChar(first17, (c) => USCC_ALPHABET.includes(c));
  if (foreign) throw new InvalidIdentifier('uscc', foreignUsccChar(foreign.char, foreign.position));
  if (first17.length !== 17) {
    throw new InvalidIdentifier('uscc', `check input must be 17 characters, found ${first17.length}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += VALUES[first17.charCodeAt(i)]! * WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Parses an 18-character USCC, checking its character set and its GB 32100 check character. */
export function parseUscc(code: string): IdentifierCheck<UsccParts> {
  if (code.length === 0) return invalid('USCC is empty; expected 18 characters');
  const foreign = USCC_PATTERN.test(code)
    ? undefined
    : firstForeignChar(code, (c) => USCC_ALPHABET.includes(c));
  if (foreign) return invalid(foreignUsccChar(foreign.char, foreign.position));
  if (code.length !== 18) return invalid(`USCC must be 18 characters, found ${code.length}`);
  const parts: UsccParts = {
    registrationAuthority: code.slice(0, 1),
    organisationType: code.slice(1, 2),
    areaCode: code.slice(2, 8),
    subjectCode: code.slice(8, 17),
    check: code.slice(17),
  };
  const expected = usccCheckChar(code.slice(0, 17));
  if (parts.check !== expected) {
    return invalid(
      `check character is ${quoteChar(parts.check)} but ${quoteChar(expected)} was expected`,
      parts,
    );
  }
  return { valid: true, parts };
}

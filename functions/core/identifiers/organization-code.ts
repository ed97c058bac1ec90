// Organization code (组织机构代码), GB 11714-1997: 8 body characters and a check character.
// Before the USCC (2015) agencies were identified by it; it survives as positions 9–17 of a
// USCC and as the issuer code of some older license identifiers.

import {
  firstForeignChar,
  type IdentifierCheck,
  InvalidIdentifier,
  invalid,
  quoteChar,
} from './identifier-check.ts';
import { ALPHANUMERIC } from './iso7064.ts';

/** Weights of positions 1–8 (2^(9−i) mod 11). */
const WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

export interface OrganizationCodeParts {
  /** Positions 1–8 (本体代码). */
  body: string;
  /** Position 9: a digit or `X`. */
  check: string;
}

/** GB 11714 check character over the 8 body characters (0-9, A-Z); throws InvalidIdentifier on bad input. */
export function organizationCodeCheckChar(body: string): string {
  const foreign = firstForeignChar(body, (c) => ALPHANUMERIC.includes(c));
  if (foreign) {
    throw new InvalidIdentifier(
      'organization-code',
      `organization code contains ${quoteChar(foreign.char)} at position ${foreign.position}; expected 0-9 or A-Z`,
    );
  }
  if (body.length !== 8) {
    throw new InvalidIdentifier(
      'organization-code',
      `check input must be 8 characters, found ${body.length}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < 8; i += 1) sum += ALPHANUMERIC.indexOf(body[i]!) * WEIGHTS[i]!;
  const value = (11 - (sum % 11)) % 11;
  return value === 10 ? 'X' : String(value);
}

/** Parses a 9-character organization code written without its hyphen, checking its check character. */
export function parseOrganizationCode(code: string): IdentifierCheck<OrganizationCodeParts> {
  const foreign = firstForeignChar(code, (c) => ALPHANUMERIC.includes(c));
  if (foreign) {
    return invalid(
      `organization code contains ${quoteChar(foreign.char)} at position ${foreign.position}; expected 0-9 or A-Z`,
    );
  }
  if (code.length !== 9) return invalid(`organization code must be 9 characters, found ${code.length}`);
  const parts = { body: code.slice(0, 8), check: code.slice(8) };
  const expected = organizationCodeCheckChar(parts.body);
  if (parts.check !== expected) {
    return invalid(
      `check character is ${quoteChar(parts.check)} but ${quoteChar(expected)} was expected`,
      parts,
    );
  }
  return { valid: true, parts };
}

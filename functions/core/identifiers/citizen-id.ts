// Citizen identity number (公民身份号码), GB 11643-1999: 6-digit area code, 8-digit birth date,
// 3-digit sequence (odd for men, even for women), ISO 7064 MOD 11-2 check character.
import {
  firstForeignChar,
  type IdentifierCheck,
  InvalidIdentifier,
  invalid,
  quoteChar,
} from './identifier-check.ts';
import { mod11_2CheckChar } from './iso7064.ts';

export interface CitizenIdParts {
  /** Administrative area code of the place of first registration, 6 digits. */
  areaCode: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  /** 3 digits; its parity gives the sex. */
  sequence: string;
  sex: 'male' | 'female';
  check: string;
}

export interface CitizenIdOptions {
  /**
   * The current date, against which a birth date in the future is rejected: a calendar date
   * `YYYY-MM-DD`, or an instant, read as a date in China Standard Time (UTC+8).
   * The core has no clock, so the caller passes it.
   */
  today: Date | string;
}

const DIGITS = (c: string): boolean => c >= '0' && c <= '9';
const CST_OFFSET_MS = 8 * 60 * 60 * 1000;

/** The calendar date (`YYYY-MM-DD`) of an instant in China Standard Time, UTC+8 all year round. */
export function chinaCalendarDate(instant: Date): string {
  return new Date(instant.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one (UTC, proleptic Gregorian).
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return day <= date.getUTCDate();
}

function todayOf(options: CitizenIdOptions): string {
  const { today } = options;
  if (today instanceof Date) {
    if (Number.isNaN(today.getTime())) throw new RangeError('today is an invalid Date');
    return chinaCalendarDate(today);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new RangeError(`today must be a real date written YYYY-MM-DD, found ${JSON.stringify(today)}`);
  }
  return today;
}

/** MOD 11-2 check character over the first 17 digits; throws InvalidIdentifier on bad input. */
export function citizenIdCheckChar(first17: string): string {
  const foreign = firstForeignChar(first17, DIGITS);
  if (foreign) {
    throw new InvalidIdentifier(
      'citizen-id',
      `check input contains ${quoteChar(foreign.char)} at position ${foreign.position}; expected a digit`,
    );
  }
  if (first17.length !== 17) {
    throw new InvalidIdentifier('citizen-id', `check input must be 17 digits, found ${first17.length}`);
  }
  return mod11_2CheckChar(first17);
}

/** Parses an 18-character citizen identity number: shape, area code, birth date, check character. */
export function parseCitizenId(id: string, options: CitizenIdOptions): IdentifierCheck<CitizenIdParts> {
  const today = todayOf(options);
  if (id.length === 0) return invalid('citizen id is empty; expected 18 characters');
  const foreign = firstForeignChar(id, (c) => DIGITS(c) || c === 'X' || c === 'x');
  if (foreign) {
    return invalid(
      `citizen id contains ${quoteChar(foreign.char)} at position ${foreign.position}; expected digits, and 'X' only as the check character`,
    );
  }
  if (id.length !== 18) {
    const hint = id.length === 15 ? ' (15-digit first-generation numbers are not accepted)' : '';
    return invalid(`citizen id must be 18 characters, found ${id.length}${hint}`);
  }
  const x = id.search(/[Xx]/);
  if (x >= 0 && x < 17) {
    return invalid(
      `citizen id contains ${quoteChar(id[x]!)} at position ${x + 1}; 'X' is allowed only as the check character`,
    );
  }
  const check = id.slice(17);
  if (check === 'x') return invalid("check character 'x' must be written upper-case 'X'");

  const areaCode = id.slice(0, 6);
  const digits8 = id.slice(6, 14);
  const sequence = id.slice(14, 17);
  const sex = Number(sequence) % 2 === 1 ? 'male' : 'female';
  if (areaCode.startsWith('0')) {
    return invalid(`area code ${areaCode} must start with a digit 1–9`, { areaCode, sequence, sex, check });
  }
  const year = Number(digits8.slice(0, 4));
  const month = Number(digits8.slice(4, 6));
  const day = Number(digits8.slice(6, 8));
  if (!isRealDate(year, month, day)) {
    return invalid(`birth date ${digits8} is not a real date`, { areaCode, sequence, sex, check });
  }
  const birthDate = `${digits8.slice(0, 4)}-${digits8.slice(4, 6)}-${digits8.slice(6, 8)}`;
  const parts: CitizenIdParts = { areaCode, birthDate, sequence, sex, check };
  if (birthDate > today) return invalid(`birth date ${digits8} is in the future (today is ${today})`, parts);
  const expected = mod11_2CheckChar(id.slice(0, 17));
  if (check !== expected) {
    return invalid(`check character is ${quoteChar(check)} but ${quoteChar(expected)} was expected`, parts);
  }
  return { valid: true, parts };
}

// Validation of license data against its type's field schema, run on every issue and re-issue.
// It reports one error per bad field, so an issuer fixes a whole record in one round trip, and
// returns the data normalised (trimmed, NFC, dates as YYYY-MM-DD, identifiers upper-case), so
// that signatures, blind indexes and comparisons see one spelling of each value.
import { addYears, type CivilDate, isCivilDate, normaliseCivilDate } from '#core/civil-date.ts';
import { CONTROL_CHARACTER } from '#core/control-characters.ts';
import { parseCitizenId } from '#core/identifiers/citizen-id.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import { matchesWholeValue } from './field-pattern.ts';
import {
  DEFAULT_MAX_LENGTH,
  licenseDataBytes,
  MAX_LICENSE_DATA_BYTES,
  MAX_URI_LENGTH,
} from './license-size.ts';
import type { FieldSpec, LicenseType, ValidityRules } from './license-type.ts';

/** The end of a long-term (长期) validity period. */
export const LONG_TERM = 'long-term';
/** How issuers write long-term in printed data; read as {@link LONG_TERM}. */
const LONG_TERM_SPELLINGS = new Set([LONG_TERM, '长期']);

/** A validity period; `until` is the last valid day, or long-term. */
export interface ValidityPeriod {
  from: CivilDate;
  until: CivilDate | typeof LONG_TERM;
}

export type LicenseFieldValue = string | number | boolean | ValidityPeriod;
/** Normalised license data: printed field name → value. */
export type LicenseData = Record<string, LicenseFieldValue>;

/** Why a field was refused; stable, for clients that react to the kind of error. */
export type FieldErrorCode =
  | 'missing'
  | 'unknown-field'
  | 'wrong-type'
  | 'too-long'
  | 'too-large'
  | 'pattern'
  | 'enum'
  | 'identifier'
  | 'date'
  | 'future-date'
  | 'period'
  | 'validity-term'
  | 'control-character'
  | 'not-an-object';

/** One bad field: which, a stable code, and a reason saying what was expected and found. */
export interface FieldError {
  /** The field name; empty when the data as a whole is not an object. */
  field: string;
  code: FieldErrorCode;
  reason: string;
}

export type LicenseDataValidation = { ok: true; data: LicenseData } | { ok: false; errors: FieldError[] };

export interface ValidateOptions {
  /** The issue day, `YYYY-MM-DD`: the core has no clock. */
  today: CivilDate;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

type FieldOutcome =
  | { ok: true; value: LicenseFieldValue }
  | { ok: false; code: FieldErrorCode; reason: string };

/** Validates `data` against the type's fields: the normalised data, or one error per bad field. */
export function validateLicenseData(
  type: LicenseType,
  data: unknown,
  opts: ValidateOptions,
): LicenseDataValidation {
  if (!isCivilDate(opts.today)) {
    throw new RangeError(`today must be a real date written YYYY-MM-DD, found ${JSON.stringify(opts.today)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const found = data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data;
    return {
      ok: false,
      errors: [
        { field: '', code: 'not-an-object', reason: `license data must be an object, found ${found}` },
      ],
    };
  }
  const input = data as Record<string, unknown>;
  const errors: FieldError[] = [];
  const normalised: LicenseData = {};
  const known = new Set<string>();

  for (const field of type.fields) {
    known.add(field.name);
    const raw = Object.hasOwn(input, field.name) ? input[field.name] : undefined;
    if (isAbsent(raw)) {
      if (field.required) {
        errors.push({
          field: field.name,
          code: 'missing',
          reason: `required field ${field.name} is missing`,
        });
      }
      continue;
    }
    const control = controlCharacterIn(raw);
    if (control !== undefined) {
      errors.push({ field: field.name, code: 'control-character', reason: control });
      continue;
    }
    const outcome = checkField(field, raw, opts.today);
    if (!outcome.ok) {
      errors.push({ field: field.name, code: outcome.code, reason: outcome.reason });
      continue;
    }
    if (field.name === type.validity.field && typeof outcome.value === 'object') {
      const term = checkValidityPeriod(type.validity, outcome.value, opts.today);
      if (term !== undefined) {
        errors.push({ field: field.name, code: 'validity-term', reason: term });
        continue;
      }
    }
    normalised[field.name] = outcome.value;
  }
  for (const name of Object.keys(input)) {
    if (!known.has(name)) {
      errors.push({ field: name, code: 'unknown-field', reason: `type ${type.code} has no field ${name}` });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  // Never met with a registrable type, whose fields at their largest fit (license-size.ts); counted
  // all the same, as the license would be stored, so that a character taking more than the
  // registration counted is a refusal here and not a failed write after a slot was drawn.
  const bytes = licenseDataBytes(normalised);
  if (bytes > MAX_LICENSE_DATA_BYTES) {
    return {
      ok: false,
      errors: [
        {
          field: '',
          code: 'too-large',
          reason: `expected license data of at most ${MAX_LICENSE_DATA_BYTES} bytes (names and values as UTF-8 JSON), found ${bytes}`,
        },
      ],
    };
  }
  return { ok: true, data: normalised };
}

/**
 * Checks a validity period against a type's rules: a fixed term ending exactly that many
 * years after the start, long-term, or any later end date, whichever the type allows; and
 * not already over on `today`. Returns the reason it is refused, or undefined.
 */
export function checkValidityPeriod(
  rules: ValidityRules,
  period: ValidityPeriod,
  today: CivilDate,
): string | undefined {
  if (period.until === LONG_TERM) {
    return rules.longTermAllowed ? undefined : 'long-term validity is not allowed for this type';
  }
  if (period.until < today) return `validity ended on ${period.until}, before the issue day ${today}`;
  if (rules.explicitEndAllowed) return undefined;
  if (rules.termsInYears.some((years) => addYears(period.from, years) === period.until)) return undefined;
  const allowed = [
    ...rules.termsInYears.map((years) => `${years} years (until ${addYears(period.from, years)})`),
    ...(rules.longTermAllowed ? ['long-term'] : []),
  ];
  return `validity from ${period.from} until ${period.until} is not an allowed term; expected ${allowed.join(', ')}`;
}

/** The validity period carried in the data, when the type names a validity field and it is set. */
export function validityOf(type: LicenseType, data: LicenseData): ValidityPeriod | undefined {
  if (type.validity.field === undefined) return undefined;
  const value = data[type.validity.field];
  return typeof value === 'object' ? value : undefined;
}

// Null and blank strings count as absent: issuers export records with every column present.
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * Where a value holds a control character (NUL, ESC, a line break inside the text, a bidi
 * override, …: control-characters.ts), at any depth: said what was found, or undefined. License
 * data is signed into the credential and printed for good. White space around a value
 * is trimmed as the data keeps it, so a trailing line end of an exported record still passes.
 * Walked with a stack, not recursion: a deeply nested body must not overflow the stack.
 */
function controlCharacterIn(value: unknown): string | undefined {
  const queue: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const where = next.path === '' ? '' : ` in ${next.path}`;
    if (typeof next.value === 'string') {
      const characters = [...next.value.trim()];
      const at = characters.findIndex((c) => CONTROL_CHARACTER.test(c));
      if (at >= 0) {
        const code = characters[at]!.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        return `expected text without control characters, found U+${code}${where} at character ${at + 1}`;
      }
    } else if (typeof next.value === 'object' && next.value !== null) {
      for (const [key, inner] of Object.entries(next.value)) {
        if (CONTROL_CHARACTER.test(key)) {
          return `expected member names without control characters, found ${JSON.stringify(key)}${where}`;
        }
        queue.push({ value: inner, path: next.path === '' ? key : `${next.path}.${key}` });
      }
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function wrongType(expected: string, value: unknown): FieldOutcome {
  return { ok: false, code: 'wrong-type', reason: `expected ${expected}, found ${describe(value)}` };
}

function checkField(field: FieldSpec, raw: unknown, today: CivilDate): FieldOutcome {
  switch (field.type) {
    case 'string':
      return typeof raw === 'string' ? checkString(field, raw, today) : wrongType('a string', raw);
    case 'enum': {
      if (typeof raw !== 'string') return wrongType('a string', raw);
      const value = raw.trim().normalize('NFC');
      const values = field.values ?? [];
      return values.includes(value)
        ? { ok: true, value }
        : {
            ok: false,
            code: 'enum',
            reason: `expected one of ${values.join(', ')}, found ${truncate(JSON.stringify(value))}`,
          };
    }
    case 'date':
      return typeof raw === 'string' ? checkDate(field, raw, today) : wrongType('a date string', raw);
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw)
        ? { ok: true, value: raw }
        : wrongType('a number', raw);
    case 'boolean':
      return typeof raw === 'boolean' ? { ok: true, value: raw } : wrongType('true or false', raw);
    case 'image-ref': {
      if (typeof raw !== 'string') return wrongType('a URI string', raw);
      const value = raw.trim();
      return URI.test(value) && value.length <= MAX_URI_LENGTH
        ? { ok: true, value }
        : {
            ok: false,
            code: 'pattern',
            reason: `expected a URI of at most ${MAX_URI_LENGTH} characters referring to the image, found ${describe(raw)}`,
          };
    }
    case 'period':
      return checkPeriod(raw);
  }
}

/**
 * A string field's value as the data keeps it: trimmed, NFC, and upper-case for an identifier,
 * whose letters are upper-case only (a lower-case x or letter is a typing habit). Anything
 * compared with a field's value (the holder an issuer names) is spelled this way too.
 */
export function normalisedText(field: Pick<FieldSpec, 'identifier'>, raw: string): string {
  const value = raw.trim().normalize('NFC');
  return field.identifier === undefined ? value : value.toUpperCase();
}

function checkString(field: FieldSpec, raw: string, today: CivilDate): FieldOutcome {
  const value = normalisedText(field, raw);
  const maxLength = field.maxLength ?? DEFAULT_MAX_LENGTH;
  const length = [...value].length;
  if (length > maxLength) {
    return {
      ok: false,
      code: 'too-long',
      reason: `expected at most ${maxLength} characters, found ${length}`,
    };
  }
  if (field.identifier !== undefined) {
    const check = field.identifier === 'uscc' ? parseUscc(value) : parseCitizenId(value, { today });
    if (!check.valid) {
      const what = field.identifier === 'uscc' ? 'a unified social credit code' : 'a citizen identity number';
      return { ok: false, code: 'identifier', reason: `expected ${what}: ${check.reason}` };
    }
  }
  if (field.pattern !== undefined) {
    const matches = matchesWholeValue(field.pattern, value);
    if (matches === undefined) {
      return {
        ok: false,
        code: 'pattern',
        reason: `the type's pattern /${field.pattern}/ for this field is not RE2 syntax, which values are matched by; the operator must update the type`,
      };
    }
    if (!matches) {
      return {
        ok: false,
        code: 'pattern',
        reason: `expected a value matching /${field.pattern}/, found ${truncate(JSON.stringify(value))}`,
      };
    }
  }
  return { ok: true, value };
}

function checkDate(field: FieldSpec, raw: string, today: CivilDate): FieldOutcome {
  const value = normaliseCivilDate(raw);
  if (value === undefined) {
    return {
      ok: false,
      code: 'date',
      reason: `expected a real calendar date (YYYY-MM-DD), found ${describe(raw)}`,
    };
  }
  if (field.notFuture === true && value > today) {
    return { ok: false, code: 'future-date', reason: `expected a date not after ${today}, found ${value}` };
  }
  return { ok: true, value };
}

const PERIOD_SEPARATORS = new Set(['-', '—', '–', '至', '~']);

/**
 * Splits a printed period at the separator that leaves a date on its left. Trying each
 * separator in turn handles ISO dates, whose own hyphens look like the separator.
 */
function splitPrintedPeriod(text: string): [string, string] | undefined {
  for (let i = 1; i < text.length - 1; i += 1) {
    if (!PERIOD_SEPARATORS.has(text[i]!)) continue;
    const left = text.slice(0, i).trim();
    if (normaliseCivilDate(left) !== undefined) return [left, text.slice(i + 1).trim()];
  }
  return undefined;
}

/**
 * A period arrives as `{ from, until }` or in its printed form `2015.03.01-2035.03.01` /
 * `2015.03.01-长期`; either way it leaves as `{ from, until }` with ISO dates.
 */
function checkPeriod(raw: unknown): FieldOutcome {
  let from: unknown;
  let until: unknown;
  if (typeof raw === 'string') {
    const split = splitPrintedPeriod(raw.trim());
    if (!split)
      return periodError(`expected "start-end" such as 2015.03.01-2035.03.01, found ${describe(raw)}`);
    [from, until] = split;
  } else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const extra = Object.keys(raw).filter((key) => key !== 'from' && key !== 'until');
    if (extra.length > 0) return periodError(`expected only from and until, found also ${extra.join(', ')}`);
    ({ from, until } = raw as { from?: unknown; until?: unknown });
  } else {
    return wrongType('a period { from, until } or a printed "start-end" string', raw);
  }
  const start = typeof from === 'string' ? normaliseCivilDate(from) : undefined;
  if (start === undefined) return periodError(`expected a start date, found ${describe(from)}`);
  if (typeof until === 'string' && LONG_TERM_SPELLINGS.has(until.trim())) {
    return { ok: true, value: { from: start, until: LONG_TERM } };
  }
  const end = typeof until === 'string' ? normaliseCivilDate(until) : undefined;
  if (end === undefined)
    return periodError(`expected an end date or 长期 (long-term), found ${describe(until)}`);
  if (end < start) return periodError(`end ${end} is before start ${start}`);
  return { ok: true, value: { from: start, until: end } };
}

function periodError(reason: string): FieldOutcome {
  return { ok: false, code: 'period', reason };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chinaCalendarDate, citizenIdCheckChar, parseCitizenId } from '#core/identifiers/citizen-id.ts';
import { InvalidIdentifier } from '#core/identifiers/identifier-check.ts';
import { citizenIdArb, refCitizenCheck } from './reference.ts';

const TODAY = '2025-06-30';
const reasonOf = (id: string, today: Date | string = TODAY): string | undefined => {
  const result = parseCitizenId(id, { today });
  return result.valid ? undefined : result.reason;
};
/** A number with a correct check character, whatever its other faults. */
const withCheck = (first17: string): string => first17 + refCitizenCheck(first17);

describe('parseCitizenId', () => {
  it('accepts the examples of GB 11643-1999 and reads their parts', () => {
    expect(parseCitizenId('11010519491231002X', { today: TODAY })).toEqual({
      valid: true,
      parts: { areaCode: '110105', birthDate: '1949-12-31', sequence: '002', sex: 'female', check: 'X' },
    });
    expect(parseCitizenId('440524188001015368', { today: TODAY })).toEqual({
      valid: true,
      parts: { areaCode: '440524', birthDate: '1880-01-01', sequence: '536', sex: 'female', check: '8' },
    });
  });

  it('reads an odd sequence as male', () => {
    const result = parseCitizenId(withCheck('11010519900307447'), { today: TODAY });
    expect(result).toMatchObject({ valid: true, parts: { sequence: '447', sex: 'male' } });
  });

  it('says which check character was expected', () => {
    expect(parseCitizenId('110105194912310021', { today: TODAY })).toEqual({
      valid: false,
      reason: "check character is '1' but 'X' was expected",
      parts: { areaCode: '110105', birthDate: '1949-12-31', sequence: '002', sex: 'female', check: '1' },
    });
  });

  it('rejects a birth date that is not in the calendar', () => {
    expect(reasonOf(withCheck('11010519990231002'))).toBe('birth date 19990231 is not a real date');
    expect(reasonOf(withCheck('11010519991301002'))).toBe('birth date 19991301 is not a real date');
    expect(reasonOf(withCheck('11010519990100002'))).toBe('birth date 19990100 is not a real date');
    expect(reasonOf(withCheck('11010519000229002'))).toBe('birth date 19000229 is not a real date');
    expect(reasonOf(withCheck('11010520000229002'))).toBeUndefined();
  });

  it('rejects a birth date after today, and accepts one born today', () => {
    expect(reasonOf(withCheck('11010520250701002'))).toBe(
      'birth date 20250701 is in the future (today is 2025-06-30)',
    );
    expect(reasonOf(withCheck('11010520250630002'))).toBeUndefined();
  });

  it('reads a Date as today in China Standard Time', () => {
    // 17:00 UTC on 31 May is already 1 June in Beijing.
    const instant = new Date('2024-05-31T17:00:00Z');
    expect(chinaCalendarDate(instant)).toBe('2024-06-01');
    expect(reasonOf(withCheck('11010520240601002'), instant)).toBeUndefined();
    expect(reasonOf(withCheck('11010520240601002'), '2024-05-31')).toBe(
      'birth date 20240601 is in the future (today is 2024-05-31)',
    );
  });

  it('refuses a today that is not a date', () => {
    expect(() => parseCitizenId('11010519491231002X', { today: '2025-02-30' })).toThrow(RangeError);
    expect(() => parseCitizenId('11010519491231002X', { today: new Date(Number.NaN) })).toThrow(RangeError);
  });

  it('rejects an area code starting with 0', () => {
    expect(reasonOf(withCheck('01010519491231002'))).toBe('area code 010105 must start with a digit 1–9');
  });

  it('rejects X anywhere but the check character, and a lower-case x', () => {
    expect(reasonOf('1101X519491231002X')).toBe(
      "citizen id contains 'X' at position 5; 'X' is allowed only as the check character",
    );
    expect(reasonOf('11010519491231002x')).toBe("check character 'x' must be written upper-case 'X'");
  });

  it('rejects other characters, empty input and a wrong length', () => {
    expect(reasonOf('110105 19491231002X')).toBe(
      "citizen id contains ' ' at position 7; expected digits, and 'X' only as the check character",
    );
    expect(reasonOf('')).toBe('citizen id is empty; expected 18 characters');
    expect(reasonOf('11010519491231002')).toBe('citizen id must be 18 characters, found 17');
    expect(reasonOf('110105491231002')).toBe(
      'citizen id must be 18 characters, found 15 (15-digit first-generation numbers are not accepted)',
    );
  });

  it('accepts every number whose check character the reference computes, and reads it back', () => {
    fc.assert(
      fc.property(citizenIdArb(TODAY), (id) => {
        const result = parseCitizenId(id, { today: TODAY });
        expect(result.valid).toBe(true);
        if (result.valid) {
          const p = result.parts;
          expect(p.areaCode + p.birthDate.replaceAll('-', '') + p.sequence + p.check).toBe(id);
          expect(p.sex).toBe(Number(p.sequence) % 2 === 1 ? 'male' : 'female');
        }
      }),
    );
  });

  // MOD 11-2 weighs position i by 2^(18−i) mod 11 (the check by 1). Each weight is a unit mod 11
  // and digits differ by less than 11, so any single substitution changes the sum; neighbouring
  // weights differ (w(i) = 2·w(i+1)), so any adjacent transposition of different digits does too,
  // including position 17 against a digit check. An X moved into position 17 is not a digit.
  it('rejects every single substitution and every adjacent transposition of a valid number', () => {
    fc.assert(
      fc.property(citizenIdArb(TODAY), (id) => {
        const accepted: string[] = [];
        for (let i = 0; i < 18; i += 1) {
          for (const c of '0123456789X') {
            if (c === id[i]) continue;
            const changed = id.slice(0, i) + c + id.slice(i + 1);
            if (parseCitizenId(changed, { today: TODAY }).valid) accepted.push(changed);
          }
          if (i < 17 && id[i] !== id[i + 1]) {
            const swapped = id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2);
            if (parseCitizenId(swapped, { today: TODAY }).valid) accepted.push(swapped);
          }
        }
        expect(accepted).toEqual([]);
      }),
    );
  });
});

describe('citizenIdCheckChar', () => {
  it('agrees with the reference', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 17, maxLength: 17 }),
        (d) => {
          expect(citizenIdCheckChar(d)).toBe(refCitizenCheck(d));
        },
      ),
    );
  });

  it('throws InvalidIdentifier with a reason on bad input', () => {
    expect(() => citizenIdCheckChar('1101051949123100')).toThrow(
      new InvalidIdentifier('citizen-id', 'check input must be 17 digits, found 16'),
    );
    expect(() => citizenIdCheckChar('1101051949123100X')).toThrow(
      new InvalidIdentifier('citizen-id', "check input contains 'X' at position 17; expected a digit"),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIdentifier } from '#core/identifiers/identifier-check.ts';
import { parseUscc, usccCheckChar } from '#core/identifiers/uscc.ts';
import { refUsccCheck, USCC_CHARS, usccArb } from './reference.ts';

const reasonOf = (code: string): string | undefined => {
  const result = parseUscc(code);
  return result.valid ? undefined : result.reason;
};

describe('parseUscc', () => {
  it.each([
    ['11100000000013338W', 'the defining agency in the STANDARDS.md license id example'],
    ['11220000013544541J', 'the issuer in the STANDARDS.md license id example'],
    ['91350100M000100Y43', 'the worked example of the GB 32100-2015 check computation'],
  ])('accepts %s (%s)', (code) => {
    expect(parseUscc(code).valid).toBe(true);
  });

  it('splits a valid code into its GB 32100 parts', () => {
    expect(parseUscc('91350100M000100Y43')).toEqual({
      valid: true,
      parts: {
        registrationAuthority: '9',
        organisationType: '1',
        areaCode: '350100',
        subjectCode: 'M000100Y4',
        check: '3',
      },
    });
  });

  it('says which check character was expected', () => {
    expect(parseUscc('91350100M000100Y44')).toEqual({
      valid: false,
      reason: "check character is '4' but '3' was expected",
      parts: {
        registrationAuthority: '9',
        organisationType: '1',
        areaCode: '350100',
        subjectCode: 'M000100Y4',
        check: '4',
      },
    });
  });

  it('names a letter GB 32100 leaves out, and where it is', () => {
    expect(reasonOf('9135I100M000100Y43')).toBe(
      "USCC contains 'I' at position 5, which GB 32100 does not use",
    );
    for (const letter of 'OZSV') {
      expect(reasonOf(`91350100M000100Y4${letter}`)).toBe(
        `USCC contains '${letter}' at position 18, which GB 32100 does not use`,
      );
    }
  });

  it('rejects lower case, saying so', () => {
    expect(reasonOf('91350100m000100Y43')).toBe(
      "USCC contains lower-case 'm' at position 9; GB 32100 uses upper-case letters only",
    );
  });

  it('rejects any other character, escaping invisible ones', () => {
    expect(reasonOf('91350100-M000100Y43')).toBe(
      "USCC contains '-' at position 9; expected a digit or one of the letters ABCDEFGHJKLMNPQRTUWXY",
    );
    expect(reasonOf('91350100M000100Y43\n')).toBe(
      "USCC contains '\\n' at position 19; expected a digit or one of the letters ABCDEFGHJKLMNPQRTUWXY",
    );
  });

  it('rejects a wrong length and an empty code', () => {
    expect(reasonOf('91350100M000100Y4')).toBe('USCC must be 18 characters, found 17');
    expect(reasonOf('')).toBe('USCC is empty; expected 18 characters');
  });

  it('accepts every code whose check character the reference computes', () => {
    fc.assert(
      fc.property(usccArb, (code) => {
        const result = parseUscc(code);
        expect(result.valid).toBe(true);
        if (result.valid) {
          const p = result.parts;
          expect(p.registrationAuthority + p.organisationType + p.areaCode + p.subjectCode + p.check).toBe(
            code,
          );
        }
      }),
    );
  });

  // GB 32100 weighs position i by 3^(i−1) mod 31 and the check by 1. Every weight is a unit
  // mod 31 (a prime), so any single substitution changes the sum; neighbours' weights differ
  // (w(i+1) = 3·w(i), and 28 ≠ 1 for position 17 against the check), so any adjacent
  // transposition of different characters changes it by (a − b)(w(i) − w(i+1)) ≠ 0 mod 31.
  it('rejects every single substitution and every adjacent transposition of a valid code', () => {
    fc.assert(
      fc.property(usccArb, (code) => {
        const accepted: string[] = [];
        for (let i = 0; i < 18; i += 1) {
          for (const c of USCC_CHARS) {
            if (c === code[i]) continue;
            const changed = code.slice(0, i) + c + code.slice(i + 1);
            if (parseUscc(changed).valid) accepted.push(changed);
          }
          if (i < 17 && code[i] !== code[i + 1]) {
            const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
            if (parseUscc(swapped).valid) accepted.push(swapped);
          }
        }
        expect(accepted).toEqual([]);
      }),
    );
  });
});

describe('usccCheckChar', () => {
  it('agrees with the reference', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...USCC_CHARS), minLength: 17, maxLength: 17 }), (s) => {
        expect(usccCheckChar(s)).toBe(refUsccCheck(s));
      }),
    );
  });

  it('throws InvalidIdentifier with a reason on bad input', () => {
    expect(() => usccCheckChar('91350100M000100Y')).toThrow(
      new InvalidIdentifier('uscc', 'check input must be 17 characters, found 16'),
    );
    const error = (() => {
      try {
        usccCheckChar('91350100M00O100Y4');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidIdentifier);
    expect(error).toMatchObject({
      code: 'INVALID_IDENTIFIER',
      kind: 'uscc',
      reason: "USCC contains 'O' at position 12, which GB 32100 does not use",
    });
  });
});

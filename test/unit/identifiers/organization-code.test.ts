import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIdentifier } from '#core/identifiers/identifier-check.ts';
import { organizationCodeCheckChar, parseOrganizationCode } from '#core/identifiers/organization-code.ts';
import { ALNUM, organizationCodeArb, refOrganizationCheck } from './reference.ts';

describe('parseOrganizationCode', () => {
  // Positions 9–17 of a USCC are the organization code, so valid USCCs carry real examples.
  it.each(['000013338', '013544541', 'M000100Y4'])(
    'accepts %s, the subject code of a published USCC',
    (code) => {
      expect(parseOrganizationCode(code)).toEqual({
        valid: true,
        parts: { body: code.slice(0, 8), check: code[8] },
      });
    },
  );

  it('gives a precise reason for each failure', () => {
    const reason = (code: string) => {
      const r = parseOrganizationCode(code);
      return r.valid ? undefined : r.reason;
    };
    expect(reason('M000100Y5')).toBe("check character is '5' but '4' was expected");
    expect(reason('M000100Y')).toBe('organization code must be 9 characters, found 8');
    expect(reason('M000100Y-4')).toBe("organization code contains '-' at position 9; expected 0-9 or A-Z");
  });

  it('writes check value 10 as X', () => {
    const body = fc
      .sample(fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 8, maxLength: 8 }), {
        numRuns: 2000,
        seed: 1,
      })
      .find((b) => refOrganizationCheck(b) === 'X')!;
    expect(organizationCodeCheckChar(body)).toBe('X');
    expect(parseOrganizationCode(`${body}X`).valid).toBe(true);
  });

  // GB 11714 works mod 11 over 36 body characters: a substitution between two characters whose
  // values differ by 11, 22 or 33 (0/B/M/X, 1/C/N/Y, ...) keeps the sum, so the standard can
  // only promise to catch a substitution whose value difference is not a multiple of 11.
  it('agrees with the reference and rejects every substitution the mod 11 check can see', () => {
    fc.assert(
      fc.property(organizationCodeArb, (code) => {
        expect(parseOrganizationCode(code).valid).toBe(true);
        const wrong: string[] = [];
        for (let i = 0; i < 9; i += 1) {
          for (const c of i < 8 ? ALNUM : '0123456789X') {
            if (c === code[i]) continue;
            const changed = code.slice(0, i) + c + code.slice(i + 1);
            const visible = i === 8 || (ALNUM.indexOf(c) - ALNUM.indexOf(code[i]!)) % 11 !== 0;
            if (parseOrganizationCode(changed).valid === visible) wrong.push(changed);
          }
        }
        expect(wrong).toEqual([]);
      }),
    );
  });

  it('throws InvalidIdentifier for a body that is not 8 characters of 0-9 A-Z', () => {
    expect(() => organizationCodeCheckChar('M000100')).toThrow(InvalidIdentifier);
    expect(() => organizationCodeCheckChar('m000100Y')).toThrow(InvalidIdentifier);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mod11_2CheckChar, mod37_36CheckChar } from '#core/identifiers/iso7064.ts';
import { ALNUM, hybridState, refCitizenCheck, refMod37_36 } from './reference.ts';

describe('ISO 7064 MOD 37,36', () => {
  it('computes the check character of the GB/T 36904 production example', () => {
    expect(mod37_36CheckChar('11100000000013338W03211220000013544541J2430599001')).toBe('F');
  });

  it('agrees with the reference on any alphanumeric string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALNUM), maxLength: 100 }), (body) => {
        expect(mod37_36CheckChar(body)).toBe(refMod37_36(body));
      }),
    );
  });

  it('refuses a character outside 0-9 A-Z', () => {
    expect(() => mod37_36CheckChar('12a')).toThrow(RangeError);
    expect(() => mod37_36CheckChar('1.2')).toThrow(RangeError);
  });

  // One leading character reaches each of the 36 states P, and every later step is a bijection
  // of P, so these exhaustive loops cover every position of every string.
  const states = [...ALNUM].map((c0) => ({ prefix: c0, p: hybridState(c0) }));

  it('reaches every state with one leading character', () => {
    expect(new Set(states.map((s) => s.p)).size).toBe(36);
  });

  it('detects every single substitution, in every state', () => {
    for (const { prefix } of states) {
      const checks = new Set([...ALNUM].map((a) => mod37_36CheckChar(`${prefix}${a}`)));
      expect(checks.size).toBe(36);
    }
  });

  // The hybrid system's one blind spot for adjacent transpositions: when the running sums
  // (P + a) mod 36 and (P + b) mod 36 are 18 and 19, both orders lead to the same state
  // (2·18 ≡ 36 and 2·19 ≡ 1 mod 37). That is 72 of the 36·36·35 (state, a, b) cases.
  it('detects every adjacent transposition except the 72 cases the standard cannot see', () => {
    let blind = 0;
    const wrong: string[] = [];
    for (const { prefix, p } of states) {
      for (const a of ALNUM) {
        for (const b of ALNUM) {
          if (a === b) continue;
          const same = mod37_36CheckChar(`${prefix}${a}${b}`) === mod37_36CheckChar(`${prefix}${b}${a}`);
          const sums = [(p + ALNUM.indexOf(a)) % 36, (p + ALNUM.indexOf(b)) % 36].sort((x, y) => x - y);
          if (same !== (sums[0] === 18 && sums[1] === 19)) wrong.push(`${prefix}${a}${b}`);
          if (same) blind += 1;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(blind).toBe(72);
  });
});

describe('ISO 7064 MOD 11-2', () => {
  it('computes the check characters of the GB 11643-1999 examples', () => {
    expect(mod11_2CheckChar('11010519491231002')).toBe('X');
    expect(mod11_2CheckChar('44052418800101536')).toBe('8');
  });

  it('agrees with the reference on any 17 digits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 17, maxLength: 17 }),
        (d) => {
          expect(mod11_2CheckChar(d)).toBe(refCitizenCheck(d));
        },
      ),
    );
  });

  it('refuses a non-digit', () => {
    expect(() => mod11_2CheckChar('1234X')).toThrow(RangeError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsIdentityNumber,
  IdentityNumberInText,
  refuseIdentityNumbers,
} from '#core/holders/identity-in-text.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { usccCheckChar } from '#core/identifiers/uscc.ts';
import { licenseIdPartsArb } from '../identifiers/reference.ts';

// GB 11643-1999's own example, with check character X, and a number with check character 0.
const WITH_X = '11010519491231002X';
const CITIZEN = '330102199003071230';

describe('containsIdentityNumber', () => {
  it('finds a citizen identity number inside Chinese text', () => {
    expect(containsIdentityNumber(`持证人身份证号${CITIZEN}，申请挂失`)).toBe(true);
    expect(containsIdentityNumber(`证件作废（${WITH_X}）`)).toBe(true);
  });

  it('finds one however it is spaced, hyphenated, cased or written full width', () => {
    for (const written of [
      '3301 0219 9003 0712 30',
      '330102-19900307-1230',
      '３３０１０２１９９００３０７１２３０',
      '110105 19491231 002x',
      '１１０１０５１９４９１２３１００２ｘ',
      '110105\u300019491231\u3000002X',
    ]) {
      expect(containsIdentityNumber(`核验 ${written} 本人`), written).toBe(true);
    }
  });

  it('finds one inside a longer run of digits', () => {
    expect(containsIdentityNumber(`9${CITIZEN}7`)).toBe(true);
  });

  it('lets through 18-digit numbers that are not identity numbers, and text without one', () => {
    // An order number, even with a fitting check character: no real birth date where one stands.
    expect(containsIdentityNumber('订单号 202403051234567895')).toBe(false);
    // The example number with a wrong check character.
    expect(containsIdentityNumber('工单 110105194912310021')).toBe(false);
    // Area codes start with 1–9.
    expect(containsIdentityNumber('编号 010105194912310026')).toBe(false);
    // A first-generation 15-digit number is not looked for (no check character to tell it).
    expect(containsIdentityNumber('110105491231002')).toBe(false);
    expect(containsIdentityNumber('本人持证到窗口核验，工单 2026-118')).toBe(false);
    expect(containsIdentityNumber('')).toBe(false);
  });

  it('lets through a license identifier quoted in a reason', () => {
    for (const id of [
      // The README's.
      '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F',
      '1.2.156.3005.2.11100000MB0000001T001.11990102MB1234567C.D20240001.001.H',
      // An all-digit issuer USCC and a 12-digit serial: across the dot between them stands
      // 692345 19060628 973 4, a real date and a fitting check character.
      '1.2.156.3005.2.11100000000013338W032.913301006923451906.062897349334.001.9',
      // The demo housing provident fund centre as issuer: a birth year 1700 across its parts.
      '1.2.156.3005.2.11100000000013338W032.12330100D000001448.911700712026.001.S',
    ]) {
      expect(containsIdentityNumber(`依申请注销 ${id}，原件收回`), id).toBe(false);
    }
  });

  it('does not join two separate numbers into one', () => {
    // Joined, each pair holds an identity number: 649931 19160123 512 7 and 399250 19731118 435 6.
    for (const [a, b] of [
      ['5649931191', '6012351273'],
      ['3992501973', '1118435621'],
    ]) {
      for (const separator of [' ', ', ', '/', '、', '；', ' - ', '.']) {
        const text = `工单 ${a}${separator}${b} 已办结`;
        expect(containsIdentityNumber(text), text).toBe(false);
      }
    }
  });

  it('refuses no license identifier of the reference generator (seeded)', () => {
    fc.assert(
      fc.property(licenseIdPartsArb, (parts) => !containsIdentityNumber(`注销 ${buildLicenseId(parts)}`)),
      { seed: 42, numRuns: 10_000 },
    );
  });

  // Where a license identifier is digits from end to end, a window inside one of its parts can
  // be an identity number like any other 18 digits: a rate to state, not zero. Measured on these
  // seeded samples (counts, no timing): 2 in 50,000 all-digit identifiers (was 3,020 — 6% —
  // when every separator was dropped and any birth year counted), 6 in 100,000 random 18-digit
  // numbers (was 301).
  const digits = (min: number, max = min) =>
    fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
  const allDigitUscc = digits(17).map((first17) => first17 + usccCheckChar(first17));
  const allDigitLicenseId = fc
    .record({
      typeCode: fc.tuple(allDigitUscc, digits(3)).map(([uscc, sequence]) => uscc + sequence),
      issuerCode: allDigitUscc,
      serial: digits(1, 32),
      version: fc.integer({ min: 1, max: 999 }).map((n) => String(n).padStart(3, '0')),
    })
    .map(buildLicenseId);

  it('refuses at most 1 in 10,000 license identifiers of nothing but digits', () => {
    const sample = fc.sample(allDigitLicenseId, { seed: 42, numRuns: 50_000 });
    const refused = sample.filter((id) => containsIdentityNumber(`依申请注销 ${id}`));
    expect(refused.length).toBeLessThanOrEqual(5);
  });

  it('refuses at most 1 in 10,000 random 18-digit numbers', () => {
    const sample = fc.sample(digits(18), { seed: 42, numRuns: 100_000 });
    expect(sample.filter((number) => containsIdentityNumber(`订单号 ${number}`)).length).toBeLessThanOrEqual(
      10,
    );
  });

  it('finds a code it is given, of any type, however written', () => {
    const uscc = '91330100MA2D00010B';
    expect(containsIdentityNumber('核验 9133 0100 ma2d 0001 0b 本人', [uscc])).toBe(true);
    expect(containsIdentityNumber('核验 ９１３３０１００ＭＡ２Ｄ０００１０Ｂ 本人', [uscc])).toBe(true);
    expect(containsIdentityNumber('核验本人', [uscc])).toBe(false);
    // A code of nothing but separators names nothing.
    expect(containsIdentityNumber('核验本人', [' - '])).toBe(false);
  });
});

describe('refuseIdentityNumbers', () => {
  it('names every field holding a number, and passes absent and clean ones', () => {
    expect(() => refuseIdentityNumbers({ reason: '挂失', note: undefined })).not.toThrow();
    let thrown: unknown;
    try {
      refuseIdentityNumbers({ reason: `挂失 ${CITIZEN}`, note: '无', purpose: WITH_X });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IdentityNumberInText);
    const refused = thrown as IdentityNumberInText;
    expect(refused.errors.map((e) => e.path)).toEqual(['reason', 'purpose']);
    expect(refused.message).toMatch(/^reason: must not contain an identity number/);
    expect(refused.message).not.toContain(CITIZEN);
  });
});

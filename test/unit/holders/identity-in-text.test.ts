import { describe, expect, it } from 'vitest';
import {
  containsIdentityNumber,
  IdentityNumberInText,
  refuseIdentityNumbers,
} from '#core/holders/identity-in-text.ts';

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

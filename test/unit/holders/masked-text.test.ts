import { describe, expect, it } from 'vitest';
import { containsIdentityNumber } from '#core/holders/identity-in-text.ts';
import { maskIdentityNumbers } from '#core/holders/masked-text.ts';

const WITH_X = '11010519491231002X';
const CITIZEN = '330102199003071230';

describe('maskIdentityNumbers', () => {
  it('masks the digits of a number holding an identity number, however written, and keeps the rest', () => {
    expect(maskIdentityNumbers(`counter-app/2.1 (operator ${CITIZEN})`)).toBe(
      `counter-app/2.1 (operator ${'*'.repeat(18)})`,
    );
    expect(maskIdentityNumbers('app/1 id=110105 19491231 002x;')).toBe(
      `app/1 id=${'*'.repeat(6)} ${'*'.repeat(8)} ${'*'.repeat(4)};`,
    );
    expect(maskIdentityNumbers('ua ３３０１０２１９９００３０７１２３０')).toBe(`ua ${'*'.repeat(18)}`);
    expect(maskIdentityNumbers(`9${WITH_X}`)).toBe('*'.repeat(19));
    for (const text of [
      `a ${CITIZEN} b`,
      `x-${WITH_X.toLowerCase()}`,
      '３３０１０２１９９００３０７１２３０',
    ]) {
      expect(containsIdentityNumber(maskIdentityNumbers(text)), text).toBe(false);
    }
  });

  it('leaves text without an identity number as it was sent', () => {
    for (const text of [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0.0.0',
      'order 123456789012345678',
      'curl/8.5.0',
      '',
    ]) {
      expect(maskIdentityNumbers(text)).toBe(text);
    }
  });
});

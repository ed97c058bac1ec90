import { describe, expect, it } from 'vitest';
import {
  CONTROL_CHARACTER,
  LINES_WITHOUT_CONTROL_CHARACTERS,
  NO_CONTROL_CHARACTERS,
} from '#core/control-characters.ts';
import { LicenseHolderInputSchema } from '#http/schemas/issuer.ts';

const STEERING = [
  '\u0000', // NUL
  '\u001b', // ESC
  '\r',
  '\n',
  '\u0085', // NEL
  '\u2028', // line separator
  '\u2029', // paragraph separator
  '\u202a', // left-to-right embedding
  '\u202e', // right-to-left override
  '\u2066', // left-to-right isolate
  '\u2069', // pop directional isolate
];
const TEXT = ['张伟明', 'Zhang Wei-ming', '北京市\u200d东城区', 'a\u200eb\u200fc', 'O\u2019Brien', '\u00a0'];

describe('control characters', () => {
  it('finds each character that steers display, and none in ordinary text, marks and joiners included', () => {
    for (const c of STEERING) {
      expect(CONTROL_CHARACTER.test(`a${c}b`), JSON.stringify(c)).toBe(true);
      expect(NO_CONTROL_CHARACTERS.test(`a${c}b`), JSON.stringify(c)).toBe(false);
    }
    for (const text of TEXT) {
      expect(CONTROL_CHARACTER.test(text), text).toBe(false);
      expect(NO_CONTROL_CHARACTERS.test(text), text).toBe(true);
    }
  });

  it('lets several lines through LF alone', () => {
    expect(LINES_WITHOUT_CONTROL_CHARACTERS.test('第一行\n第二行')).toBe(true);
    for (const c of STEERING.filter((c) => c !== '\n')) {
      expect(LINES_WITHOUT_CONTROL_CHARACTERS.test(`第一行${c}第二行`), JSON.stringify(c)).toBe(false);
    }
  });

  it('refuses a holder name reordered by a bidi override', () => {
    const holder = { codeType: '111', code: '11010519491231002X', name: '张\u202e伟明' };
    expect(LicenseHolderInputSchema.safeParse(holder).success).toBe(false);
    expect(LicenseHolderInputSchema.safeParse({ ...holder, name: '张伟明' }).success).toBe(true);
  });
});

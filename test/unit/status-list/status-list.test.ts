import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLst,
  encodeLst,
  STATUS_INVALID,
  STATUS_SUSPENDED,
  STATUS_VALID,
  type StatusBits,
  StatusList,
  StatusListError,
} from '#core/status-list.ts';

// draft-ietf-oauth-status-list, "Status List" (1 bit) and "Further Examples" (2 bits).
const DRAFT_1BIT = {
  statuses: [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1],
  bytes: [0xb9, 0xa3],
  lst: 'eNrbuRgAAhcBXQ',
};
const DRAFT_2BIT = {
  statuses: [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3],
  bytes: [0xc9, 0x44, 0xf9],
  lst: 'eNo76fITAAPfAgc',
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StatusListError ? error.code : `not a StatusListError: ${String(error)}`;
  }
  return undefined;
}

describe('the draft worked examples', () => {
  for (const [bits, example] of [
    [1, DRAFT_1BIT],
    [2, DRAFT_2BIT],
  ] as const) {
    it(`decodes the ${bits}-bit lst to the draft bytes and statuses`, () => {
      const list = StatusList.fromLst(example.lst, bits);
      expect([...list.bytes]).toEqual(example.bytes);
      expect(list.size).toBe(example.statuses.length);
      expect(Array.from({ length: list.size }, (_, i) => list.get(i))).toEqual(example.statuses);
    });

    it(`builds the draft bytes from the ${bits}-bit statuses and encodes them to the draft lst`, () => {
      const list = StatusList.create(example.statuses.length, bits);
      example.statuses.forEach((status, i) => {
        list.set(i, status);
      });
      expect([...list.bytes]).toEqual(example.bytes);
      // The draft's strings were made at zlib level 9, which is the level we use: byte for byte.
      expect(list.toLst()).toBe(example.lst);
      expect([...decodeLst(list.toLst())]).toEqual(example.bytes);
    });
  }

  it('decodes a list compressed at another zlib level to the same bytes', () => {
    const lst = Buffer.from(deflateSync(Uint8Array.from(DRAFT_2BIT.bytes), { level: 1 })).toString(
      'base64url',
    );
    expect(lst).not.toBe(DRAFT_2BIT.lst);
    expect([...decodeLst(lst)]).toEqual(DRAFT_2BIT.bytes);
  });

  it('uses the draft values: 0 valid, 1 invalid, 2 suspended', () => {
    const list = StatusList.create(4);
    list.set(1, STATUS_INVALID);
    list.set(2, STATUS_SUSPENDED);
    expect([list.get(0), list.get(1), list.get(2), list.get(3)]).toEqual([STATUS_VALID, 1, 2, 0]);
    expect([...list.bytes]).toEqual([0b00_10_01_00]);
  });
});

describe('layout at 4 and 8 bits', () => {
  it('puts two 4-bit entries per byte, low nibble first', () => {
    const list = StatusList.create(3, 4);
    list.set(0, 0x1);
    list.set(1, 0xa);
    list.set(2, 0xf);
    expect([...list.bytes]).toEqual([0xa1, 0x0f]);
  });

  it('puts one 8-bit entry per byte', () => {
    const list = StatusList.create(3, 8);
    list.set(0, 0xff);
    list.set(2, 0x7e);
    expect([...list.bytes]).toEqual([0xff, 0x00, 0x7e]);
  });
});

const bitsArb = fc.constantFrom<StatusBits>(1, 2, 4, 8);

describe('get and set', () => {
  it('reads back what was written and leaves every other entry alone (model check)', () => {
    fc.assert(
      fc.property(
        bitsArb.chain((bits) =>
          fc.tuple(
            fc.constant(bits),
            fc
              .integer({ min: 1, max: 300 })
              .chain((size) =>
                fc.tuple(
                  fc.constant(size),
                  fc.array(
                    fc.tuple(
                      fc.integer({ min: 0, max: size - 1 }),
                      fc.integer({ min: 0, max: 2 ** bits - 1 }),
                    ),
                    { maxLength: 200 },
                  ),
                ),
              ),
          ),
        ),
        ([bits, [size, writes]]) => {
          const list = StatusList.create(size, bits);
          const model = new Array<number>(size).fill(0);
          for (const [index, value] of writes) {
            list.set(index, value);
            model[index] = value;
          }
          expect(Array.from({ length: size }, (_, i) => list.get(i))).toEqual(model);
          const decoded = StatusList.fromLst(list.toLst(), bits, { size });
          expect(Array.from({ length: size }, (_, i) => decoded.get(i))).toEqual(model);
        },
      ),
    );
  });

  it('sizes the byte array to ⌈size·bits/8⌉', () => {
    expect(StatusList.create(1, 1).bytes.length).toBe(1);
    expect(StatusList.create(9, 1).bytes.length).toBe(2);
    expect(StatusList.create(5, 2).bytes.length).toBe(2);
    expect(StatusList.create(1_000_000, 2).bytes.length).toBe(250_000);
  });
});

describe('refusals', () => {
  const list = StatusList.create(10);

  it('refuses indices outside [0, size) and non-integers', () => {
    for (const index of [-1, 10, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => list.get(index))).toBe('STATUS_LIST_INDEX_OUT_OF_RANGE');
      expect(codeOf(() => list.set(index, 0))).toBe('STATUS_LIST_INDEX_OUT_OF_RANGE');
    }
    expect(() => list.get(10)).toThrow('expected an integer index from 0 to 9, found 10');
  });

  it('refuses a value wider than bits', () => {
    expect(codeOf(() => list.set(0, 4))).toBe('STATUS_LIST_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => list.set(0, -1))).toBe('STATUS_LIST_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => StatusList.create(8, 1).set(0, 2))).toBe('STATUS_LIST_VALUE_OUT_OF_RANGE');
    expect(list.get(0)).toBe(0);
  });

  it('refuses bit widths the draft does not define', () => {
    expect(codeOf(() => StatusList.create(8, 3 as StatusBits))).toBe('STATUS_LIST_BITS_UNSUPPORTED');
    expect(codeOf(() => StatusList.fromLst(DRAFT_1BIT.lst, 16 as StatusBits))).toBe(
      'STATUS_LIST_BITS_UNSUPPORTED',
    );
  });

  it('refuses sizes that do not match the bytes', () => {
    expect(codeOf(() => StatusList.create(0))).toBe('STATUS_LIST_SIZE_INVALID');
    expect(codeOf(() => StatusList.fromBytes(new Uint8Array(2), 2, 9))).toBe('STATUS_LIST_SIZE_INVALID');
    expect(codeOf(() => StatusList.fromBytes(new Uint8Array(2), 2, 4))).toBe('STATUS_LIST_SIZE_INVALID');
    expect(StatusList.fromBytes(new Uint8Array(2), 2, 5).size).toBe(5);
  });

  it('refuses an lst that is not base64url, not zlib, empty, or inflates past the bound', () => {
    expect(codeOf(() => decodeLst('eNrbuRgAAhcBXQ=='))).toBe('STATUS_LIST_MALFORMED');
    expect(codeOf(() => decodeLst('not base64!'))).toBe('STATUS_LIST_MALFORMED');
    expect(codeOf(() => decodeLst(Buffer.from('plain bytes').toString('base64url')))).toBe(
      'STATUS_LIST_MALFORMED',
    );
    expect(codeOf(() => decodeLst(encodeLst(new Uint8Array(0))))).toBe('STATUS_LIST_MALFORMED');
    const big = encodeLst(new Uint8Array(1024));
    expect(decodeLst(big, 1024).length).toBe(1024);
    expect(codeOf(() => decodeLst(big, 1023))).toBe('STATUS_LIST_MALFORMED');
  });
});

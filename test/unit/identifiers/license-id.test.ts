import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildLicenseId,
  InvalidIdentifier,
  LICENSE_ID_ROOT,
  type LicenseIdParts,
  licenseIdCheckChar,
  parseLicenseId,
} from '#core/identifiers/license-id.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import {
  ALNUM,
  hybridState,
  licenseIdPartsArb,
  ROOT,
  readableLicenseIdArb,
  refMod37_36,
} from './reference.ts';

const EXAMPLE = '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F';
const EXAMPLE_PARTS: LicenseIdParts = {
  typeCode: '11100000000013338W032',
  issuerCode: '11220000013544541J',
  serial: '2430599',
  version: '001',
};

/** An identifier from raw parts with a correct check character, whatever its other faults. */
const assemble = (typeCode: string, issuerCode: string, serial: string, version: string): string =>
  [ROOT, typeCode, issuerCode, serial, version, refMod37_36(typeCode + issuerCode + serial + version)].join(
    '.',
  );
const reasonOf = (id: string): string | undefined => {
  const result = parseLicenseId(id);
  return result.valid ? undefined : result.reason;
};
const buildError = (parts: LicenseIdParts): unknown => {
  try {
    buildLicenseId(parts);
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('parseLicenseId', () => {
  it('accepts the production example of STANDARDS.md, whose issuer is a valid USCC', () => {
    expect(parseLicenseId(EXAMPLE)).toEqual({
      valid: true,
      parts: { ...EXAMPLE_PARTS, check: 'F', legacyIssuer: false },
    });
    expect(parseUscc(EXAMPLE_PARTS.issuerCode).valid).toBe(true);
    expect(parseUscc(EXAMPLE_PARTS.typeCode.slice(0, 18)).valid).toBe(true);
  });

  it('says which check character was expected', () => {
    expect(parseLicenseId(EXAMPLE.replace(/F$/, 'G'))).toEqual({
      valid: false,
      reason: "check character is 'G' but 'F' was expected",
      parts: { ...EXAMPLE_PARTS, check: 'G', legacyIssuer: false },
    });
  });

  it('accepts a legacy 6-digit area code or 9-character organization code as issuer, flagged', () => {
    for (const issuer of ['220000', '013544541']) {
      const id = assemble(EXAMPLE_PARTS.typeCode, issuer, '2430599', '001');
      expect(parseLicenseId(id)).toMatchObject({
        valid: true,
        parts: { issuerCode: issuer, legacyIssuer: true },
      });
    }
  });

  it('requires the GB/T 36904 root and five parts after it', () => {
    expect(reasonOf('')).toBe('license id is empty');
    expect(reasonOf('11100000000013338W032.11220000013544541J.2430599.001.F')).toBe(
      "license id must start with the GB/T 36904 root 1.2.156.3005.2, found '11100000000013338W032.11220000013544541J.2430599.001.F'",
    );
    expect(reasonOf(EXAMPLE.replace('3005', '3006'))).toBe(
      "license id must start with the GB/T 36904 root 1.2.156.3005.2, found '1.2.156.3006.2'",
    );
    expect(reasonOf(EXAMPLE.replace('.001.F', '.001'))).toBe(
      'expected 5 dot-separated parts after the root (type code, issuer code, serial, version, check), found 4',
    );
    expect(reasonOf(`${EXAMPLE}.F`)).toBe(
      'expected 5 dot-separated parts after the root (type code, issuer code, serial, version, check), found 6',
    );
  });

  it('names what is wrong with the type code', () => {
    const serial = '2430599';
    expect(reasonOf(assemble('11100000000013338W03', '11220000013544541J', serial, '001'))).toBe(
      "type code 11100000000013338W03 must be 21 characters (the defining agency's USCC and a 3-digit sequence), found 20",
    );
    expect(reasonOf(EXAMPLE.replace('338W032', '338w032'))).toBe(
      "type code contains lower-case 'w' at position 18; identifiers use upper case only",
    );
    expect(reasonOf(assemble('11100000000013338X032', '11220000013544541J', serial, '001'))).toBe(
      "type code 11100000000013338X032 does not start with a valid USCC: check character is 'X' but 'W' was expected",
    );
    expect(reasonOf(assemble('11100000000013338W03A', '11220000013544541J', serial, '001'))).toBe(
      "type code 11100000000013338W03A must end in a 3-digit sequence, found '03A'",
    );
  });

  it('names what is wrong with the issuer code', () => {
    const type = EXAMPLE_PARTS.typeCode;
    expect(reasonOf(assemble(type, '11220000013544541K', '1', '001'))).toBe(
      "issuer code 11220000013544541K is not a valid USCC: check character is 'K' but 'J' was expected",
    );
    expect(reasonOf(assemble(type, '112200000I3544541J', '1', '001'))).toBe(
      "issuer code 112200000I3544541J is not a valid USCC: USCC contains 'I' at position 10, which GB 32100 does not use",
    );
    expect(reasonOf(assemble(type, '013544542', '1', '001'))).toBe(
      "issuer code 013544542 is not a valid organization code: check character is '2' but '1' was expected",
    );
    expect(reasonOf(assemble(type, '02000A', '1', '001'))).toBe(
      'issuer code 02000A is not an area code: expected 6 digits, the first 1–9',
    );
    expect(reasonOf(assemble(type, '2200001', '1', '001'))).toBe(
      'issuer code 2200001 is 7 characters; expected an 18-character USCC (or, in older data, a 6-digit area code or 9-character organization code)',
    );
    expect(reasonOf(EXAMPLE.replace('.11220000013544541J.', '..'))).toBe(
      "issuer code '' is 0 characters; expected an 18-character USCC (or, in older data, a 6-digit area code or 9-character organization code)",
    );
    expect(reasonOf(EXAMPLE.replace('11220000013544541J', '1122000001354454_J'))).toBe(
      "issuer code contains '_' at position 17; expected 0-9 or A-Z",
    );
  });

  it('names what is wrong with the serial, the version and the check', () => {
    const [type, issuer] = [EXAMPLE_PARTS.typeCode, EXAMPLE_PARTS.issuerCode];
    expect(reasonOf(assemble(type, issuer, '', '001'))).toBe(
      'serial is empty; expected 1–32 characters of 0-9 and A-Z',
    );
    expect(reasonOf(assemble(type, issuer, 'A'.repeat(33), '001'))).toBe(
      'serial must be at most 32 characters, found 33',
    );
    expect(reasonOf(EXAMPLE.replace('2430599', '24305 9'))).toBe(
      "serial contains ' ' at position 6; expected 0-9 or A-Z",
    );
    expect(reasonOf(assemble(type, issuer, '2430599', '01'))).toBe("version must be 3 digits, found '01'");
    expect(reasonOf(assemble(type, issuer, '2430599', '000'))).toBe(
      'version 000 is not valid; versions start at 001',
    );
    expect(reasonOf(EXAMPLE.replace(/F$/, 'FF'))).toBe(
      "check must be one character of 0-9 or A-Z, found 'FF'",
    );
    expect(reasonOf(EXAMPLE.replace(/F$/, 'f'))).toBe("check must be one character of 0-9 or A-Z, found 'f'");
  });

  it('returns the parts read before the first failure', () => {
    expect(parseLicenseId(assemble(EXAMPLE_PARTS.typeCode, '220000', '2430599', '0001'))).toMatchObject({
      valid: false,
      parts: {
        typeCode: EXAMPLE_PARTS.typeCode,
        issuerCode: '220000',
        legacyIssuer: true,
        serial: '2430599',
      },
    });
  });

  it('accepts every identifier whose check character the reference computes, legacy issuers included', () => {
    fc.assert(
      fc.property(readableLicenseIdArb, (id) => {
        const result = parseLicenseId(id);
        expect(result.valid).toBe(true);
        if (result.valid) {
          const p = result.parts;
          expect([ROOT, p.typeCode, p.issuerCode, p.serial, p.version, p.check].join('.')).toBe(id);
          expect(p.legacyIssuer).toBe(p.issuerCode.length !== 18);
        }
      }),
    );
  });

  it('rejects every single-character substitution, dots included', () => {
    fc.assert(
      fc.property(readableLicenseIdArb, (id) => {
        const accepted: string[] = [];
        for (let i = 0; i < id.length; i += 1) {
          for (const c of `${ALNUM}.`) {
            if (c === id[i]) continue;
            const changed = id.slice(0, i) + c + id.slice(i + 1);
            if (parseLicenseId(changed).valid) accepted.push(changed);
          }
        }
        expect(accepted).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  // ISO 7064 MOD 37,36 cannot see a transposition of neighbours a, b when the running sums
  // (P + a) mod 36 and (P + b) mod 36 are 18 and 19 (see iso7064.test.ts): the standard itself
  // gives both orders the same check character. Every other adjacent transposition of the checked
  // body is rejected, and so is every one that moves a dot or touches the root or the check.
  const blindSpot = (body: string, j: number): boolean => {
    const p = hybridState(body.slice(0, j));
    const sums = [(p + ALNUM.indexOf(body[j]!)) % 36, (p + ALNUM.indexOf(body[j + 1]!)) % 36].sort(
      (x, y) => x - y,
    );
    return sums[0] === 18 && sums[1] === 19;
  };

  it('rejects every adjacent transposition of the checked body outside the MOD 37,36 blind spot', () => {
    fc.assert(
      fc.property(readableLicenseIdArb, (id) => {
        const [typeCode, issuerCode, serial, version, check] = id.slice(ROOT.length + 1).split('.') as [
          string,
          string,
          string,
          string,
          string,
        ];
        const body = typeCode + issuerCode + serial + version;
        const cuts = [typeCode.length, issuerCode.length, serial.length, version.length];
        const wrong: string[] = [];
        for (let j = 0; j + 1 < body.length; j += 1) {
          if (body[j] === body[j + 1]) continue;
          const swapped = body.slice(0, j) + body[j + 1] + body[j] + body.slice(j + 2);
          if (blindSpot(body, j)) {
            if (refMod37_36(swapped) !== check) wrong.push(`blind spot detected at ${j}`);
            continue;
          }
          const parts: string[] = [];
          let at = 0;
          for (const n of cuts) {
            parts.push(swapped.slice(at, at + n));
            at += n;
          }
          const changed = [ROOT, ...parts, check].join('.');
          if (parseLicenseId(changed).valid) wrong.push(changed);
        }
        expect(wrong).toEqual([]);
      }),
    );
  });

  it('rejects every adjacent transposition that involves a dot, the root or the check character', () => {
    fc.assert(
      fc.property(readableLicenseIdArb, (id) => {
        const bodyStart = ROOT.length + 1;
        const bodyEnd = id.length - 2;
        const accepted: string[] = [];
        for (let i = 0; i + 1 < id.length; i += 1) {
          const bothInBody = i >= bodyStart && i + 1 < bodyEnd && id[i] !== '.' && id[i + 1] !== '.';
          if (bothInBody || id[i] === id[i + 1]) continue;
          const swapped = id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2);
          if (parseLicenseId(swapped).valid) accepted.push(swapped);
        }
        expect(accepted).toEqual([]);
      }),
    );
  });

  it('accepts a transposition in the blind spot: the standard gives versions 001 and 010 one check here', () => {
    const original = '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430649.001.Z';
    const transposed = '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430649.010.Z';
    expect(parseLicenseId(original).valid).toBe(true);
    expect(parseLicenseId(transposed).valid).toBe(true);
  });
});

describe('buildLicenseId', () => {
  it('builds the production example from its parts', () => {
    expect(buildLicenseId(EXAMPLE_PARTS)).toBe(EXAMPLE);
  });

  it('round-trips through parseLicenseId', () => {
    fc.assert(
      fc.property(licenseIdPartsArb, (parts) => {
        const id = buildLicenseId(parts);
        expect(id.startsWith(`${LICENSE_ID_ROOT}.`)).toBe(true);
        const check = refMod37_36(parts.typeCode + parts.issuerCode + parts.serial + parts.version);
        expect(parseLicenseId(id)).toEqual({ valid: true, parts: { ...parts, check, legacyIssuer: false } });
      }),
    );
  });

  it('refuses a legacy issuer code: new identifiers need a USCC', () => {
    const error = buildError({ ...EXAMPLE_PARTS, issuerCode: '220000' });
    expect(error).toBeInstanceOf(InvalidIdentifier);
    expect(error).toMatchObject({
      code: 'INVALID_IDENTIFIER',
      kind: 'license-id',
      reason: "issuer code 220000 is a legacy code; new identifiers need the issuer's 18-character USCC",
    });
  });

  it('refuses each invalid part with its reason', () => {
    const cases: [Partial<LicenseIdParts>, string][] = [
      [
        { typeCode: '11100000000013338X032' },
        "type code 11100000000013338X032 does not start with a valid USCC: check character is 'X' but 'W' was expected",
      ],
      [
        { issuerCode: '11220000013544541K' },
        "issuer code 11220000013544541K is not a valid USCC: check character is 'K' but 'J' was expected",
      ],
      [{ serial: 'abc' }, "serial contains lower-case 'a' at position 1; identifiers use upper case only"],
      [{ serial: '' }, 'serial is empty; expected 1–32 characters of 0-9 and A-Z'],
      [{ version: '000' }, 'version 000 is not valid; versions start at 001'],
      [{ version: '1' }, "version must be 3 digits, found '1'"],
    ];
    for (const [change, reason] of cases) {
      expect(buildError({ ...EXAMPLE_PARTS, ...change })).toMatchObject({ reason });
    }
  });
});

describe('licenseIdCheckChar', () => {
  it('computes the check of the example body and agrees with the reference', () => {
    expect(licenseIdCheckChar('11100000000013338W03211220000013544541J2430599001')).toBe('F');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 80 }), (body) => {
        expect(licenseIdCheckChar(body)).toBe(refMod37_36(body));
      }),
    );
  });

  it('throws InvalidIdentifier for an empty body or one with dots or lower case', () => {
    expect(() => licenseIdCheckChar('')).toThrow(new InvalidIdentifier('license-id', 'check body is empty'));
    expect(() => licenseIdCheckChar('111.222')).toThrow(
      new InvalidIdentifier('license-id', "check body contains '.' at position 4; expected 0-9 or A-Z"),
    );
    expect(() => licenseIdCheckChar('11a')).toThrow(InvalidIdentifier);
  });
});

// Independent reference implementations and generators for the identifier tests. Each check
// system is written from its defining property (what a valid code satisfies), and the check
// character is found by trying every candidate, so it shares no closed form with the core.
import fc from 'fast-check';

export const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
export const ROOT = '1.2.156.3005.2';

/** ISO 7064 hybrid MOD 37,36: the product P after reading `s`, starting from P = M = 36. */
export function hybridState(s: string): number {
  let p = 36;
  for (const c of s) {
    const r = (p + ALNUM.indexOf(c)) % 36;
    p = (2 * (r === 0 ? 36 : r)) % 37;
  }
  return p;
}

/** ISO 7064 hybrid verification: a string with its check character is valid when (P + value) mod 36 = 1. */
export function refMod37_36(body: string): string {
  const p = hybridState(body);
  return [...ALNUM].find((c) => (p + ALNUM.indexOf(c)) % 36 === 1)!;
}

/** GB 32100: weights 3^(i−1) mod 31, the check weighing 1; a valid code sums to 0 mod 31. */
export function refUsccCheck(first17: string): string {
  let sum = 0;
  let weight = 1;
  for (const c of first17) {
    sum += USCC_CHARS.indexOf(c) * weight;
    weight = (weight * 3) % 31;
  }
  return [...USCC_CHARS].find((c) => (sum + USCC_CHARS.indexOf(c)) % 31 === 0)!;
}

/** ISO 7064 MOD 11-2 (GB 11643): weights 2^(17−i) mod 11, the check weighing 1; a valid number sums to 1 mod 11. */
export function refCitizenCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return [...'0123456789X'].find((c) => (sum + (c === 'X' ? 10 : Number(c))) % 11 === 1)!;
}

/** GB 11714: weights 2^(9−i) mod 11, the check weighing 1; a valid code sums to 0 mod 11. */
export function refOrganizationCheck(body8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i += 1) sum += ALNUM.indexOf(body8[i]!) * (2 ** (8 - i) % 11);
  return [...'0123456789X'].find((c) => (sum + (c === 'X' ? 10 : Number(c))) % 11 === 0)!;
}

const charsOf = (alphabet: string, length: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: length, maxLength: length });

export const usccArb = charsOf(USCC_CHARS, 17).map((s) => s + refUsccCheck(s));

export const organizationCodeArb = charsOf(ALNUM, 8).map((s) => s + refOrganizationCheck(s));

export const areaCodeArb = fc
  .tuple(fc.constantFrom(...'123456789'), charsOf('0123456789', 5))
  .map(([first, rest]) => first + rest);

/** Citizen ids born between 1900-01-01 and `today` (inclusive). */
export function citizenIdArb(today: string) {
  return fc
    .tuple(
      areaCodeArb,
      fc.date({
        min: new Date('1900-01-01T00:00:00Z'),
        max: new Date(`${today}T00:00:00Z`),
        noInvalidDate: true,
      }),
      charsOf('0123456789', 3),
    )
    .map(([area, birth, seq]) => {
      const first17 = area + birth.toISOString().slice(0, 10).replaceAll('-', '') + seq;
      return first17 + refCitizenCheck(first17);
    });
}

export const typeCodeArb = fc.tuple(usccArb, charsOf('0123456789', 3)).map(([u, s]) => u + s);

export const serialArb = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 32 });

export const versionArb = fc.integer({ min: 1, max: 999 }).map((n) => String(n).padStart(3, '0'));

/** Parts of a strictly valid identifier (the issuer is a USCC). */
export const licenseIdPartsArb = fc.record({
  typeCode: typeCodeArb,
  issuerCode: usccArb,
  serial: serialArb,
  version: versionArb,
});

/** A valid identifier as read: the issuer is a USCC or, as in older data, an area code or organization code. */
export const readableLicenseIdArb = fc
  .record({
    typeCode: typeCodeArb,
    issuerCode: fc.oneof(usccArb, areaCodeArb, organizationCodeArb),
    serial: serialArb,
    version: versionArb,
  })
  .map((p) => {
    const check = refMod37_36(p.typeCode + p.issuerCode + p.serial + p.version);
    return [ROOT, p.typeCode, p.issuerCode, p.serial, p.version, check].join('.');
  });

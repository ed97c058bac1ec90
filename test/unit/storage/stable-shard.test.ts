import { describe, expect, it } from 'vitest';
import { buildLicenseId, InvalidIdentifier } from '#core/identifiers/license-id.ts';
import { licenseKeyOf, parseLicenseKey } from '#core/license-key.ts';
import { stableShard } from '#core/stable-shard.ts';
import { DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';

const demoKeys = DEMO_LICENSES.map((l) =>
  licenseKeyOf(
    buildLicenseId({ typeCode: l.typeCode, issuerCode: l.issuer, serial: l.serial, version: '001' }),
  ),
);

describe('license key', () => {
  it('is the identifier without version and check, the same for every version', () => {
    const parts = {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      issuerCode: DEMO_USCC.publicSecurityBureau,
    };
    const v1 = buildLicenseId({ ...parts, serial: 'DEMO0000001', version: '001' });
    const v2 = buildLicenseId({ ...parts, serial: 'DEMO0000001', version: '002' });
    expect(licenseKeyOf(v1)).toBe('1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001');
    expect(licenseKeyOf(v2)).toBe(licenseKeyOf(v1));
    expect(parseLicenseKey(licenseKeyOf(v1))).toEqual({ ...parts, serial: 'DEMO0000001' });
  });

  it('refuses a full identifier, a damaged check character and a bad serial where a key is expected', () => {
    const id = demoKeys[0]!;
    expect(() => licenseKeyOf(`${id}.001.0`)).toThrow(InvalidIdentifier);
    expect(() => parseLicenseKey(`${id}.001.M`)).toThrow(/expected a license key/);
    expect(() => parseLicenseKey(`${id.slice(0, -1)}a`)).toThrow(/lower-case/);
  });
});

describe('stableShard', () => {
  it('routes the demo licenses to the same shards on every machine (SHA-256, first 4 bytes, mod N)', () => {
    // Pinned: changing the hash would move every stored license to another table.
    expect(demoKeys.map((k) => stableShard(k, 2))).toEqual([1, 1, 1, 0, 1]);
    expect(demoKeys.map((k) => stableShard(k, 4))).toEqual([3, 1, 1, 2, 3]);
    expect(demoKeys.map((k) => stableShard(k, 16))).toEqual([3, 1, 1, 2, 15]);
    // sha256('…DEMO0000005') starts 806d839f; 0x806d839f mod 1024 = 927.
    expect(stableShard(demoKeys[4]!, 1024)).toBe(0x806d839f % 1024);
  });

  it('spreads 10,000 sequential serials of one issuer evenly over 4 shards (each within 4 % of 2,500)', () => {
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < 10_000; n += 1) {
      const key = `1.2.156.3005.2.${DEMO_TYPE_CODE.residentIdentityCard}.${DEMO_USCC.publicSecurityBureau}.S${String(n).padStart(9, '0')}`;
      counts[stableShard(key, 4)]! += 1;
    }
    for (const count of counts) expect(Math.abs(count - 2_500)).toBeLessThan(100);
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
  });

  it('refuses a shard count outside 1–1024', () => {
    expect(() => stableShard('x', 0)).toThrow(/expected a shard count from 1 to 1024, found 0/);
    expect(() => stableShard('x', 1.5)).toThrow(RangeError);
    expect(stableShard('anything', 1)).toBe(0);
  });
});

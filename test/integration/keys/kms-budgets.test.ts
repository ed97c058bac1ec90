// The KMS call budgets of issue #4, proven by counting every command the key adapters send
// (moto): 1,000 issuances of demo licenses — sensitive fields sealed, holder blind-indexed,
// one JWS signed — and 1,000 retrievals of those distinct licenses in one warm container.
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeCompactJws, verifyEs256 } from '#core/jws.ts';
import {
  coldContainer,
  createSimulatedKeys,
  type IssuedLicense,
  issueAll,
  retrieveAll,
  type SimulatedKeys,
  simulatedLicenses,
} from '#dev/key-budgets.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

useSuiteAwsEnv();
const admin = new KMSClient({});
const LICENSES = 1_000;
let keys: SimulatedKeys;
let issued: IssuedLicense[];

beforeAll(async () => {
  keys = await createSimulatedKeys(admin);
});

afterAll(async () => {
  await keys.delete();
  admin.destroy();
});

describe('KMS call budgets', () => {
  test('1,000 issuances in one container cost ≤ 1,000 Sign and ≤ 2 GenerateDataKey, and every JWS verifies', async () => {
    const container = coldContainer(keys);
    const licenses = simulatedLicenses(LICENSES);

    issued = await issueAll(container, keys, licenses);

    const { counts } = container.counter;
    expect(counts.Sign).toBeLessThanOrEqual(1_000);
    expect(counts.GenerateDataKey).toBeLessThanOrEqual(2);
    // Each seal key's public key once, the blind index key once, and nothing else.
    expect(counts).toEqual({
      Sign: LICENSES,
      GenerateDataKey: 1,
      GetPublicKey: Object.keys(keys.sealKeys).length,
      Decrypt: 1,
    });
    expect(new Set(issued.map((i) => i.license.binding.table)).size).toBeGreaterThanOrEqual(4);
    for (const { jws, license } of issued) {
      const { signingInput, signature } = decodeCompactJws(jws);
      const sealKey = keys.sealKeys[license.issuerUscc] ?? '';
      const { publicJwk } = await container.signingKeys.keyFor(sealKey);
      expect(verifyEs256(signingInput, signature, publicJwk)).toBe(true);
    }
  }, 180_000);

  test('1,000 retrievals of distinct licenses in one warm container cost ≤ 2 Decrypt and give back every field', async () => {
    expect(issued).toHaveLength(LICENSES);
    const container = coldContainer(keys);

    const opened = await retrieveAll(container, issued);

    expect(new Set(issued.map((i) => i.license.binding.licenseId)).size).toBe(LICENSES);
    expect(container.counter.count('Decrypt')).toBeLessThanOrEqual(2);
    expect(container.counter.counts).toEqual({ Decrypt: 1 });
    expect(opened).toEqual(issued.map((i) => i.license.sensitive));
  }, 180_000);
});

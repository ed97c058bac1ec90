import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { DEMO_AGENCIES, DEMO_LICENSE_TYPES, DEMO_SHARING_AGREEMENTS } from '#dev/demo/catalog.ts';

// What `npm start` seeds, read back from the platform's own DynamoDB and data folder.
describe('the demo catalog seeded by npm start', () => {
  const dataDir = inject('platformDataDir');
  const client = new DynamoDBClient({
    endpoint: inject('platformEndpoints').dynamodb!,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const config = new DynamoConfigStore(DynamoDBDocumentClient.from(client), 'elicense-local-config');
  afterAll(() => client.destroy());

  it('registers every demo agency, license type and sharing agreement', async () => {
    for (const agency of DEMO_AGENCIES)
      expect((await config.getAgency(agency.uscc))?.value.name).toBe(agency.name);
    for (const type of DEMO_LICENSE_TYPES)
      expect((await config.getLicenseType(type.code))?.value.code).toBe(type.code);
    for (const agreement of DEMO_SHARING_AGREEMENTS) {
      expect((await config.getSharingAgreement(agreement.id))?.value.serviceItem).toEqual(
        agreement.serviceItem,
      );
    }
  });

  it('publishes each issuer’s seal key under the kid of its key-vault key', async () => {
    const vault = await LocalKeyVault.open({ dir: join(dataDir, 'keys') });
    for (const agency of DEMO_AGENCIES.filter((a) => a.sealKey)) {
      const stored = await config.getAgency(agency.uscc);
      const key = await vault.keyFor(agency.sealKey!.keyRef);
      expect(stored?.value.sealKey?.kid).toBe(key.publicJwk.kid);
    }
  });

  it('writes each agency’s request-signing key file, matching the registered public key', async () => {
    for (const agency of DEMO_AGENCIES) {
      for (const apiKey of agency.apiKeys) {
        const file = JSON.parse(
          await readFile(join(dataDir, 'agency-keys', `${apiKey.keyId}.jwk.json`), 'utf8'),
        );
        const derived = createPublicKey({ key: file.jwk, format: 'jwk' }).export({ format: 'jwk' });
        expect(derived.x).toBe(apiKey.publicJwk.x);
        const registered = await config.findApiKey(apiKey.keyId);
        expect(registered?.agency.uscc).toBe(agency.uscc);
      }
    }
  });
});

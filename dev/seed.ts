import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import type { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { ConfigRecordExists } from '#ports/config-store.ts';
import {
  DEMO_AGENCIES,
  DEMO_LICENSE_TYPES,
  DEMO_SHARING_AGREEMENTS,
  demoPrivateKey,
} from './demo/catalog.ts';
import { sdkConfig } from './provision.ts';
import { seedDemoHolders } from './seed-holders.ts';

// Seeds the local platform with the demo catalog (every record marked demo): agencies with
// their request-signing keys, license types, the sharing agreement — once; a record already
// there is left as it is. Writes each demo agency's private request-signing key as a JWK file
// into the data folder, for the SDK and CLI.

export interface SeedOptions {
  env: Record<string, string>;
  configTable: string;
  vault: LocalKeyVault;
  dataDir: string;
  log: (line: string) => void;
  /** The holders and audit tables: the demo holder accounts are proofed into them when given. */
  holderTables?: { holders: string; audit: string };
}

export async function seedDemo({
  env,
  configTable,
  vault,
  dataDir,
  log,
  holderTables,
}: SeedOptions): Promise<void> {
  const client = new DynamoDBClient(sdkConfig(env, 'DYNAMODB'));
  try {
    const config = new DynamoConfigStore(DynamoDBDocumentClient.from(client), configTable);
    let created = 0;
    for (const agency of DEMO_AGENCIES) {
      // The published kid of a seal key is its vault key's thumbprint.
      const sealKey = agency.sealKey && {
        ...agency.sealKey,
        kid: (await vault.keyFor(agency.sealKey.keyRef)).publicJwk.kid,
      };
      created += await createOnce(() => config.createAgency({ ...agency, ...(sealKey ? { sealKey } : {}) }));
    }
    for (const type of DEMO_LICENSE_TYPES) created += await createOnce(() => config.createLicenseType(type));
    for (const agreement of DEMO_SHARING_AGREEMENTS) {
      created += await createOnce(() => config.createSharingAgreement(agreement));
    }
    const keyDir = await writeAgencyKeyFiles(dataDir);
    log(`demo catalog: ${created} records created; agency request-signing keys in ${keyDir}`);
    if (holderTables !== undefined) {
      await seedDemoHolders({
        env,
        holdersTable: holderTables.holders,
        auditTable: holderTables.audit,
        vault,
        log,
      });
    }
  } finally {
    client.destroy();
  }
}

/** 1 when the record was created, 0 when it was there already. */
async function createOnce(create: () => Promise<unknown>): Promise<number> {
  try {
    await create();
    return 1;
  } catch (error) {
    if (error instanceof ConfigRecordExists) return 0;
    throw error;
  }
}

async function writeAgencyKeyFiles(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'agency-keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const agency of DEMO_AGENCIES) {
    for (const key of agency.apiKeys) {
      const file = join(dir, `${key.keyId}.jwk.json`);
      const jwk = { ...demoPrivateKey(key.keyId, key.algorithm).export({ format: 'jwk' }), kid: key.keyId };
      const content = { demo: true, agency: agency.uscc, name: agency.name, algorithm: key.algorithm, jwk };
      await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
    }
  }
  return dir;
}

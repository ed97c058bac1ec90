import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoHolderStore } from '#adapters/aws/holder-store.ts';
import { LocalBlindIndexer } from '#adapters/local/blind-indexer.ts';
import {
  DEVELOPMENT_ONLY_EVIDENCE_TOKEN,
  DevelopmentOnlyProofingProvider,
} from '#adapters/local/development-only-proofing-provider.ts';
import { localFieldCipher } from '#adapters/local/field-cipher.ts';
import type { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { proofIdentity } from '#app/proof-identity.ts';
import { DEMO_HOLDER_ACCOUNTS } from './demo/holder-accounts.ts';
import { sdkConfig } from './provision.ts';

// Proofs the demo holder accounts that have a demo identity (zhangweiming, lixiaoyan,
// demo-technology) with the development-only provider, as a holder would through
// POST /holder/proofings — once: an account already bound is left as it is. newcomer stays
// unproofed.

export interface SeedHoldersOptions {
  env: Record<string, string>;
  holdersTable: string;
  auditTable: string;
  vault: LocalKeyVault;
  log: (line: string) => void;
}

export async function seedDemoHolders(options: SeedHoldersOptions): Promise<void> {
  const client = new DynamoDBClient(sdkConfig(options.env, 'DYNAMODB'));
  try {
    const store = new DynamoHolderStore(DynamoDBDocumentClient.from(client), {
      table: options.holdersTable,
      auditTable: options.auditTable,
      cipher: await localFieldCipher(options.vault),
    });
    const provider = new DevelopmentOnlyProofingProvider({ local: true });
    const deps = {
      store,
      blindIndex: new LocalBlindIndexer(options.vault),
      providers: new Map([[provider.name, provider]]),
      now: () => new Date(),
    };
    let proofed = 0;
    for (const account of Object.values(DEMO_HOLDER_ACCOUNTS)) {
      if (!('holder' in account) || (await store.bindingOf(account.account)) !== undefined) continue;
      const { holder } = account;
      await proofIdentity(
        {
          account: account.account,
          provider: provider.name,
          identity: { codeType: holder.codeType, code: holder.code, name: holder.name },
          evidence: { token: DEVELOPMENT_ONLY_EVIDENCE_TOKEN },
        },
        deps,
      );
      proofed += 1;
    }
    options.log(`demo holders: ${proofed} accounts proofed (development-only provider)`);
  } finally {
    client.destroy();
  }
}

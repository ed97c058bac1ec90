import { createSecretKey, type KeyObject } from 'node:crypto';
import { blindIndexToken } from '#core/keys/blind-index.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { LocalKeyVault } from './key-vault.ts';

/** The holder blind index under the local key vault's HMAC key, read from the vault once. */
export class LocalBlindIndexer implements BlindIndexer {
  readonly #vault: Pick<LocalKeyVault, 'blindIndexKey'>;
  #key: Promise<KeyObject> | undefined;

  constructor(vault: Pick<LocalKeyVault, 'blindIndexKey'>) {
    this.#vault = vault;
  }

  async tokenFor(holderCodeType: string, holderCode: string): Promise<string> {
    this.#key ??= this.#vault.blindIndexKey().then((bytes) => createSecretKey(bytes));
    return blindIndexToken(await this.#key, holderCodeType, holderCode);
  }
}

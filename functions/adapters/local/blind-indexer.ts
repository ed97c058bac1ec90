import { blindIndexToken } from '#core/keys/blind-index.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { LocalKeyVault } from './key-vault.ts';

/** The holder blind index under the local key vault's HMAC key. */
export class LocalBlindIndexer implements BlindIndexer {
  readonly #vault: Pick<LocalKeyVault, 'blindIndexKey'>;

  constructor(vault: Pick<LocalKeyVault, 'blindIndexKey'>) {
    this.#vault = vault;
  }

  async tokenFor(holderCodeType: string, holderCode: string): Promise<string> {
    return blindIndexToken(await this.#vault.blindIndexKey(), holderCodeType, holderCode);
  }
}

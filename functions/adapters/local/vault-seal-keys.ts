// SealKeyProvisioner over the local key vault: the seal key of generation n of agency <USCC> is
// the vault key `local:seal/<USCC>-<n>`, which the vault creates on first use. The name is
// fixed by agency and generation, so provisioning again (after a refused registration) yields
// the same key, and no other agency ever names it.
import type { SealKeyRef } from '#core/catalog/agency.ts';
import type { SealKeyProvisioner, SealKeyRequest } from '#ports/seal-key-provisioner.ts';
import type { SigningKeys } from '#ports/signer.ts';

/** What the provisioner needs of the local key vault. */
export interface SealKeyVault extends Pick<SigningKeys, 'keyFor'> {
  withdraw(keyRef: string): Promise<void>;
}

/** The vault's reference of an agency's seal key of one generation. */
export function localSealKeyRef({ agency, generation }: SealKeyRequest): string {
  if (!/^[0-9A-Za-z]{1,50}$/.test(agency) || !Number.isInteger(generation) || generation < 1) {
    throw new RangeError(
      `expected an agency code of letters and digits and a generation from 1, found ${JSON.stringify(agency)} and ${generation}`,
    );
  }
  return `local:seal/${agency}-${generation}`;
}

export class VaultSealKeyProvisioner implements SealKeyProvisioner {
  readonly #vault: SealKeyVault;

  constructor(vault: SealKeyVault) {
    this.#vault = vault;
  }

  async provision(request: SealKeyRequest): Promise<SealKeyRef> {
    const keyRef = localSealKeyRef(request);
    const { publicJwk } = await this.#vault.keyFor(keyRef);
    return { keyRef, kid: publicJwk.kid };
  }

  /** The vault deletes no key; an unnamed key file is harmless and is what the next attempt reuses. */
  async discard(_key: SealKeyRef): Promise<void> {}

  /** Marks the key withdrawn in the vault, which then refuses it to every process sharing the folder. */
  withdraw(key: SealKeyRef): Promise<void> {
    return this.#vault.withdraw(key.keyRef);
  }
}

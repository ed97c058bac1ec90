import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { localSealKeyRef, VaultSealKeyProvisioner } from '#adapters/local/vault-seal-keys.ts';
import type { SigningKey } from '#ports/signer.ts';

// Seal keys in the local key vault: named by agency and generation, published under the kid
// of the key the vault holds under that name.
const AGENCY = '11330100D0000011XM';

function fakeVault() {
  const keys = new Map<string, SigningKey>();
  const withdrawn: string[] = [];
  return {
    keys,
    withdrawn,
    async withdraw(keyRef: string): Promise<void> {
      withdrawn.push(keyRef);
    },
    async keyFor(keyRef: string): Promise<SigningKey> {
      let key = keys.get(keyRef);
      if (key === undefined) {
        const signer = new SoftwareEs256Signer(`kid-of-${keyRef}`);
        key = { keyRef, signer, publicJwk: signer.publicJwk };
        keys.set(keyRef, key);
      }
      return key;
    },
  };
}

describe('VaultSealKeyProvisioner', () => {
  it('names the key of each generation local:seal/<USCC>-<n> and returns the kid the vault publishes', async () => {
    const vault = fakeVault();
    const provisioner = new VaultSealKeyProvisioner(vault);
    const first = await provisioner.provision({ agency: AGENCY, generation: 1 });
    const second = await provisioner.provision({ agency: AGENCY, generation: 2 });
    expect(first).toEqual({ keyRef: `local:seal/${AGENCY}-1`, kid: `kid-of-local:seal/${AGENCY}-1` });
    expect(second.keyRef).toBe(`local:seal/${AGENCY}-2`);
    expect([...vault.keys.keys()]).toEqual([first.keyRef, second.keyRef]);
  });

  it('withdraws a seal key in the vault by its reference', async () => {
    const vault = fakeVault();
    const provisioner = new VaultSealKeyProvisioner(vault);
    const key = await provisioner.provision({ agency: AGENCY, generation: 1 });
    await provisioner.withdraw(key);
    expect(vault.withdrawn).toEqual([`local:seal/${AGENCY}-1`]);
  });

  it('keeps the reference within the vault’s seal reference syntax', () => {
    expect(localSealKeyRef({ agency: AGENCY, generation: 12 })).toMatch(/^local:seal\/[0-9A-Za-z_-]{1,64}$/);
  });

  it('refuses an agency code or generation that would make another reference', () => {
    expect(() => localSealKeyRef({ agency: '../platform', generation: 1 })).toThrow(RangeError);
    expect(() => localSealKeyRef({ agency: AGENCY, generation: 0 })).toThrow(/generation from 1/);
    expect(() => localSealKeyRef({ agency: AGENCY, generation: 1.5 })).toThrow(RangeError);
  });
});

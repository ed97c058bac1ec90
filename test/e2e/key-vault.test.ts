import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { DEMO_AGENCIES } from '#dev/demo/catalog.ts';

describe('the local platform key vault', () => {
  const dir = join(inject('platformDataDir'), 'keys');

  it('is created on first start under the data folder, readable by its owner only', async () => {
    expect((await stat(join(dir, 'master.key'))).mode & 0o077).toBe(0);
    expect((await stat(join(dir, 'signing', 'platform.json'))).isFile()).toBe(true);
  });

  it('holds a seal key for every demo issuing agency, the same on every open', async () => {
    const vault = await LocalKeyVault.open({ dir });
    const again = await LocalKeyVault.open({ dir });
    for (const agency of DEMO_AGENCIES.filter((a) => a.sealKey)) {
      const first = await vault.keyFor(agency.sealKey!.keyRef);
      const second = await again.keyFor(agency.sealKey!.keyRef);
      expect(second.publicJwk).toEqual(first.publicJwk);
      expect((await stat(join(dir, 'signing', `seal-${agency.uscc}.json`))).isFile()).toBe(true);
    }
  });
});

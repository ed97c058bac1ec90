// The issuer group's storage wiring that needs no I/O: license shards from the table bindings,
// and status-list allocation keys sealed with the field cipher.

import { describe, expect, it } from 'vitest';
import { fieldCipherSecretSealer } from '#adapters/aws/field-cipher-secret-sealer.ts';
import { shardsFromTableBindings } from '#adapters/aws/license-shards.ts';
import { licenseTables, tableEnvVar } from '#adapters/aws/tables.ts';
import { bindingCipher } from '../app/issuer-fakes.ts';

describe('shardsFromTableBindings', () => {
  it('reads every data domain and its shard count back from the bindings tables.ts names', () => {
    const shards = { person: 3, 'legal-entity': 2, 'vehicle-2024': 1 };
    const env = Object.fromEntries(
      licenseTables(shards).map((t) => [tableEnvVar(t), `elicense-x-${t.name}`]),
    );
    expect(shardsFromTableBindings({ ...env, TABLE_CONFIG: 'elicense-x-config', PATH: '/bin' })).toEqual(
      shards,
    );
  });

  it('refuses bindings with a gap and an environment without license tables', () => {
    expect(() =>
      shardsFromTableBindings({ TABLE_LICENSE_PERSON_0: 'a', TABLE_LICENSE_PERSON_2: 'c' }),
    ).toThrow(/person license tables to be bound as shards 0 to 1, found 0, 2/);
    expect(() => shardsFromTableBindings({ TABLE_CONFIG: 'c' })).toThrow(/found none/);
  });
});

describe('fieldCipherSecretSealer', () => {
  const sealer = fieldCipherSecretSealer(bindingCipher);
  const secret = new Uint8Array([1, 2, 3, 250, 251, 252]);

  it('opens what it sealed for the same list', async () => {
    const sealed = await sealer.seal(secret, { listId: 'L-1' });
    expect(sealed).toMatch(/^field-cipher:v1:/);
    expect(await sealer.open(sealed, { listId: 'L-1' })).toEqual(secret);
  });

  it('does not open a key sealed for another list, nor one stored unprotected', async () => {
    const sealed = await sealer.seal(secret, { listId: 'L-1' });
    await expect(sealer.open(sealed, { listId: 'L-2' })).rejects.toThrow();
    await expect(sealer.open('unprotected:AQID', { listId: 'L-1' })).rejects.toThrow(/another format/);
  });
});

// The local key vault on disk: keys made on first use survive a restart, stay sealed under the
// master key, and serve the same ports as KMS (signing, field encryption, blind index).
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LocalBlindIndexer } from '#adapters/local/blind-indexer.ts';
import { localFieldCipher } from '#adapters/local/field-cipher.ts';
import {
  KeyVaultCorrupt,
  KeyVaultMasterKeyExposed,
  KeyVaultMasterKeyMismatch,
  LocalKeyVault,
} from '#adapters/local/key-vault.ts';
import { decodeCompactJws, signCompactJws, verifyEs256 } from '#core/jws.ts';
import { FieldDecryptionFailed, SigningKeyWithdrawn, UnsupportedKeyRef } from '#core/keys/errors.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';

const folders: string[] = [];
async function vaultDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'elicense-key-vault-'));
  folders.push(dir);
  return join(dir, 'keys');
}
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

const SEAL = 'local:seal/11330100D0000011XM';

describe('LocalKeyVault', () => {
  test('gives the same public keys after a restart on the same folder, and a JWS signed before verifies after', async () => {
    const dir = await vaultDir();
    const before = await LocalKeyVault.open({ dir });
    const seal = await before.keyFor(SEAL);
    const platform = await before.platformKey();
    const jws = await signCompactJws({}, { jti: 'L-1' }, seal.signer);

    const after = await LocalKeyVault.open({ dir });

    expect((await after.keyFor(SEAL)).publicJwk).toEqual(seal.publicJwk);
    expect((await after.platformKey()).publicJwk).toEqual(platform.publicJwk);
    expect(platform.publicJwk.kid).not.toBe(seal.publicJwk.kid);
    const { signingInput, signature } = decodeCompactJws(jws);
    expect(verifyEs256(signingInput, signature, (await after.keyFor(SEAL)).publicJwk)).toBe(true);
    expect(await after.fieldWrappingKey()).toEqual(await before.fieldWrappingKey());
    expect(await after.blindIndexKey()).toEqual(await before.blindIndexKey());
  });

  test('names every signing key by its RFC 7638 thumbprint and signs what verifyEs256 accepts', async () => {
    const vault = await LocalKeyVault.open({ dir: await vaultDir() });
    const key = await vault.keyFor('local:seal/11330100D00000128M');

    const { signingInput, signature, header } = decodeCompactJws(
      await signCompactJws({}, { n: 1 }, key.signer),
    );

    const { kty, crv, x, y } = key.publicJwk;
    expect(key.publicJwk.kid).toBe(jwkThumbprint({ kty, crv, x, y }));
    expect(header.kid).toBe(key.publicJwk.kid);
    expect(verifyEs256(signingInput, signature, key.publicJwk)).toBe(true);
    expect(key.publicJwk).not.toHaveProperty('d');
  });

  test('refuses a wrong master key, given or put in place of master.key', async () => {
    const dir = await vaultDir();
    await (await LocalKeyVault.open({ dir })).keyFor(SEAL);

    await expect(LocalKeyVault.open({ dir, masterKey: randomBytes(32) })).rejects.toBeInstanceOf(
      KeyVaultMasterKeyMismatch,
    );
    await writeFile(join(dir, 'master.key'), `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    await expect(LocalKeyVault.open({ dir })).rejects.toBeInstanceOf(KeyVaultMasterKeyMismatch);
  });

  test('keeps the master key readable by its owner only and no key in the clear', async () => {
    const dir = await vaultDir();
    const vault = await LocalKeyVault.open({ dir });
    const key = await vault.keyFor(SEAL);
    const hmacKey = Buffer.from(await vault.blindIndexKey());
    const wrappingKey = Buffer.from(await vault.fieldWrappingKey());

    expect((await stat(join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
    const files = [
      ...(await readdir(dir)),
      ...(await readdir(join(dir, 'signing'))).map((f) => `signing/${f}`),
    ];
    expect(files.sort()).toEqual([
      'blind-index.json',
      'field-wrapping.json',
      'master.key',
      'signing',
      'signing/seal-11330100D0000011XM.json',
      'vault.json',
    ]);
    const everything = Buffer.concat(
      await Promise.all(files.filter((f) => f.endsWith('.json')).map((f) => readFile(join(dir, f)))),
    );
    for (const secret of [hmacKey, wrappingKey]) {
      expect(everything.includes(secret)).toBe(false);
      expect(everything.includes(Buffer.from(secret.toString('base64url')))).toBe(false);
    }
    expect(everything.includes(Buffer.from(key.publicJwk.x as string))).toBe(false);
  });

  test('refuses to use a master key others can read', async () => {
    const dir = await vaultDir();
    await LocalKeyVault.open({ dir });
    await chmod(join(dir, 'master.key'), 0o644);

    await expect(LocalKeyVault.open({ dir })).rejects.toBeInstanceOf(KeyVaultMasterKeyExposed);
  });

  test('refuses a key file copied over another', async () => {
    const dir = await vaultDir();
    const vault = await LocalKeyVault.open({ dir });
    await vault.keyFor(SEAL);
    await vault.platformKey();
    await writeFile(
      join(dir, 'signing', 'platform.json'),
      await readFile(join(dir, 'signing', 'seal-11330100D0000011XM.json')),
    );

    await expect((await LocalKeyVault.open({ dir })).platformKey()).rejects.toBeInstanceOf(KeyVaultCorrupt);
  });

  test('agrees on one key when several processes open an empty folder at once', async () => {
    const dir = await vaultDir();

    const vaults = await Promise.all(Array.from({ length: 8 }, () => LocalKeyVault.open({ dir })));
    const jwks = await Promise.all(vaults.map(async (vault) => (await vault.keyFor(SEAL)).publicJwk));

    expect(new Set(jwks.map((jwk) => jwk.kid)).size).toBe(1);
    expect((await readdir(join(dir, 'signing'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('refuses a withdrawn seal key to every vault on the folder, a key it had cached included, and keeps the others', async () => {
    const dir = await vaultDir();
    const vault = await LocalKeyVault.open({ dir });
    const other = await LocalKeyVault.open({ dir });
    await other.keyFor(SEAL); // cached in that vault before the withdrawal
    const kept = await vault.keyFor('local:seal/11330100D00000128M');

    await vault.withdraw(SEAL, new Date('2026-03-01T08:00:00.000Z'));
    await vault.withdraw(SEAL); // again: nothing changes

    for (const v of [vault, other, await LocalKeyVault.open({ dir })]) {
      const refused = await v.keyFor(SEAL).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SigningKeyWithdrawn);
      expect((refused as Error).message).toContain(
        'withdrawn in the local key vault at 2026-03-01T08:00:00.000Z',
      );
    }
    expect((await other.keyFor('local:seal/11330100D00000128M')).publicJwk).toEqual(kept.publicJwk);
    await expect(vault.withdraw('local:platform')).rejects.toBeInstanceOf(UnsupportedKeyRef);
    expect((await vault.platformKey()).publicJwk.kid).toBeTruthy();
  });

  test('refuses key references that are not local ones', async () => {
    const vault = await LocalKeyVault.open({ dir: await vaultDir() });

    await expect(vault.keyFor('alias/elicense-seal')).rejects.toBeInstanceOf(UnsupportedKeyRef);
    await expect(vault.keyFor('local:seal/../platform')).rejects.toBeInstanceOf(UnsupportedKeyRef);
  });
});

describe('local field encryption and blind index over the key vault', () => {
  const binding = { table: 'elicense-local-license-person-0', licenseId: 'L-1' };
  const fields = { 姓名: '李晓燕', 公民身份号码: '330106198511202461' };

  test('opens after a restart what was sealed before it, and only for the same license', async () => {
    const dir = await vaultDir();
    const sealed = await (await localFieldCipher(await LocalKeyVault.open({ dir }))).encryptFields(
      binding,
      fields,
    );

    const cipher = await localFieldCipher(await LocalKeyVault.open({ dir }));

    expect(await cipher.decryptFields(binding, sealed)).toEqual(fields);
    await expect(cipher.decryptFields({ ...binding, licenseId: 'L-2' }, sealed)).rejects.toBeInstanceOf(
      FieldDecryptionFailed,
    );
    const flipped = Uint8Array.from(sealed);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 0x10;
    await expect(cipher.decryptFields(binding, flipped)).rejects.toBeInstanceOf(FieldDecryptionFailed);
  });

  test('does not open fields sealed by another vault', async () => {
    const sealed = await (
      await localFieldCipher(await LocalKeyVault.open({ dir: await vaultDir() }))
    ).encryptFields(binding, fields);
    const other = await localFieldCipher(await LocalKeyVault.open({ dir: await vaultDir() }));

    await expect(other.decryptFields(binding, sealed)).rejects.toBeInstanceOf(FieldDecryptionFailed);
  });

  test('gives the same blind index token after a restart and another under another vault', async () => {
    const dir = await vaultDir();
    const token = await new LocalBlindIndexer(await LocalKeyVault.open({ dir })).tokenFor(
      '111',
      '330106198511202461',
    );

    expect(
      await new LocalBlindIndexer(await LocalKeyVault.open({ dir })).tokenFor('111', ' 330106198511202461'),
    ).toBe(token);
    expect(
      await new LocalBlindIndexer(await LocalKeyVault.open({ dir: await vaultDir() })).tokenFor(
        '111',
        '330106198511202461',
      ),
    ).not.toBe(token);
  });
});

// The CLI tests' signing key: a demo agency's private key in a key file of the form `npm start`
// writes (and `elicense call --key` reads), in a temporary folder of its own.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoPrivateKey } from '#dev/demo/catalog.ts';

/** A new folder holding `<keyId>.jwk.json`; the caller removes the folder. */
export async function demoKeyFile(
  keyId: string,
  folderPrefix: string,
): Promise<{ dir: string; keyFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), folderPrefix));
  const keyFile = join(dir, `${keyId}.jwk.json`);
  const jwk = demoPrivateKey(keyId, 'ecdsa-p256-sha256').export({ format: 'jwk' });
  await writeFile(keyFile, JSON.stringify({ algorithm: 'ecdsa-p256-sha256', jwk: { ...jwk, kid: keyId } }));
  return { dir, keyFile };
}

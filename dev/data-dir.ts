import { chmod, mkdir, stat } from 'node:fs/promises';

/**
 * Creates a folder of the local platform's data readable by its owner only (0700), or takes
 * the group's and others' permissions off one that exists. The data folder holds the DynamoDB
 * file, s3rver's objects (layout documents, unencrypted) and the key vault; the emulators write
 * their files with the umask's modes (0644 under the usual 022), so the folders must shut others
 * out. An owner's own bits are left as they are.
 */
export async function privateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dir);
  if ((mode & 0o077) !== 0) await chmod(dir, mode & 0o700);
}

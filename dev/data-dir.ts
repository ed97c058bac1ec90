import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { StartRefused } from './start-refused.ts';

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

/** What the local platform keeps at the top of its data folder (`--data-dir`), and nothing else. */
const PLATFORM_ENTRIES = new Set([
  'agency-keys',
  'base-url.json',
  'bundles',
  'dynamodb',
  'endpoints.json',
  'keys',
  'oidc',
  's3',
]);

/** A data folder the platform will not change: it holds what the platform did not put there. */
export class DataDirectoryRefused extends StartRefused {
  constructor(dir: string, foreign: readonly string[], what: string) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', …' : '');
    super(
      `${dir} holds files the local platform did not put there (${shown}), so it will not ${what}: ` +
        'give --data-dir a new or empty folder',
    );
    this.name = 'DataDirectoryRefused';
  }
}

/**
 * The top data folder (`--data-dir`), made private as `privateDirectory` does — but a folder
 * open to others that holds anything besides the platform's own entries is refused, not
 * narrowed: `--data-dir .` must not take the permissions of a project folder away from its group.
 */
export async function privateDataDirectory(dir: string): Promise<void> {
  const existing = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing && (existing.mode & 0o077) !== 0) {
    const foreign = await foreignEntries(dir);
    if (foreign.length > 0) throw new DataDirectoryRefused(dir, foreign, 'make it readable by you alone');
  }
  await privateDirectory(dir);
}

/**
 * `--reset`: deletes the platform's entries of the data folder, and the folder itself when
 * nothing else is in it. A folder holding anything else is refused whole, before anything is
 * deleted: `--data-dir . --reset` must never delete a project.
 */
export async function resetDataDirectory(dir: string): Promise<void> {
  const foreign = await foreignEntries(dir);
  if (foreign.length > 0) throw new DataDirectoryRefused(dir, foreign, 'delete it');
  await rm(dir, { recursive: true, force: true });
}

async function foreignEntries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !PLATFORM_ENTRIES.has(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

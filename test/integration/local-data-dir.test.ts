// The local platform's data folders are its owner's alone, whatever the umask: they hold the
// DynamoDB file, s3rver's objects (layout documents, unencrypted) and the key vault.

import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { privateDirectory } from '#dev/data-dir.ts';
import { startS3rver } from '#dev/emulators/s3rver.ts';

let root: string;
let umask: number;

beforeAll(async () => {
  // The usual umask, under which plain mkdir makes folders every user may read.
  umask = process.umask(0o022);
  root = await mkdtemp(join(tmpdir(), 'elicense-data-dir-'));
});

afterAll(async () => {
  process.umask(umask);
  await rm(root, { recursive: true, force: true });
});

const permissions = async (path: string) => (await stat(path)).mode & 0o777;

describe('a private data folder', () => {
  test('is created, with the folders above it, readable by its owner only', async () => {
    const dir = join(root, 'new', '.elicense');
    await privateDirectory(dir);
    expect(await permissions(dir)).toBe(0o700);
    expect(await permissions(join(root, 'new'))).toBe(0o700);
  });

  test('that existed open to others is closed to them on start, its files left as they are', async () => {
    const dir = join(root, 'old');
    await mkdir(dir, { mode: 0o755 });
    await writeFile(join(dir, 'shared-local-instance.db'), 'x', { mode: 0o644 });
    await chmod(dir, 0o775);
    await privateDirectory(dir);
    expect(await permissions(dir)).toBe(0o700);
    expect(await permissions(join(dir, 'shared-local-instance.db'))).toBe(0o644);
  });

  test('keeps an owner’s narrower permissions', async () => {
    const dir = join(root, 'narrow');
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o500);
    await privateDirectory(dir);
    expect(await permissions(dir)).toBe(0o500);
    await chmod(dir, 0o700);
  });
});

test('s3rver keeps its objects in a folder readable by its owner only', async () => {
  const directory = join(root, 's3');
  const s3 = await startS3rver({ directory });
  try {
    expect(await permissions(directory)).toBe(0o700);
  } finally {
    await s3.stop();
  }
});

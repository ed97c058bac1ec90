// The local platform's data folders are its owner's alone, whatever the umask: they hold the
// DynamoDB file, s3rver's objects (layout documents, unencrypted) and the key vault.

import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordBaseUrl, recordedBaseUrl } from '#dev/base-url.ts';
import {
  DataDirectoryRefused,
  privateDataDirectory,
  privateDirectory,
  resetDataDirectory,
} from '#dev/data-dir.ts';
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

describe('the --data-dir folder', () => {
  /** A project folder: open to its group, holding what the platform never writes. */
  async function projectFolder(name: string): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir);
    await chmod(dir, 0o775);
    await writeFile(join(dir, 'package.json'), '{}');
    await mkdir(join(dir, 'dynamodb'));
    return dir;
  }

  test('open to others and holding anything but the platform’s own entries is refused, unchanged', async () => {
    const dir = await projectFolder('project');
    await expect(privateDataDirectory(dir)).rejects.toThrow(DataDirectoryRefused);
    await expect(privateDataDirectory(dir)).rejects.toThrow(/package\.json/);
    expect(await permissions(dir)).toBe(0o775);
  });

  test('open to others and holding only the platform’s entries is made private', async () => {
    const dir = join(root, 'ours');
    await mkdir(join(dir, 'dynamodb'), { recursive: true });
    await writeFile(join(dir, 'endpoints.json'), '{}');
    await chmod(dir, 0o755);
    await privateDataDirectory(dir);
    expect(await permissions(dir)).toBe(0o700);
    const created = join(root, 'fresh', 'data');
    await privateDataDirectory(created);
    expect(await permissions(created)).toBe(0o700);
  });

  test('is reset only when it holds nothing but the platform’s entries, and never in part', async () => {
    const dir = await projectFolder('project-reset');
    await expect(resetDataDirectory(dir)).rejects.toThrow(DataDirectoryRefused);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{}');
    expect((await stat(join(dir, 'dynamodb'))).isDirectory()).toBe(true);

    const ours = join(root, 'ours-reset');
    await mkdir(join(ours, 's3', 'bucket'), { recursive: true });
    await writeFile(join(ours, 'endpoints.json'), '{}');
    await resetDataDirectory(ours);
    await expect(stat(ours)).rejects.toMatchObject({ code: 'ENOENT' });
    await resetDataDirectory(ours); // nothing there: nothing to do
  });

  test('npm start --reset on a project folder exits 2 with the reason and deletes nothing', async () => {
    const dir = await projectFolder('project-start');
    const start = resolve(import.meta.dirname, '../../dev/start.ts');
    const run = promisify(execFile)(process.execPath, [start, '--data-dir', dir, '--reset', '--port', '0']);
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('package.json') });
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{}');
  });

  test('first started on one port, is refused on another or on a free one (exit 2), nothing started', async () => {
    // What a first `npm start` left: licenses naming port 3000.
    const dir = join(root, 'started-on-3000');
    await privateDataDirectory(dir);
    await recordBaseUrl(dir, 'http://127.0.0.1:3000');
    const start = resolve(import.meta.dirname, '../../dev/start.ts');
    for (const port of ['0', '3001']) {
      // Were the start not refused, the platform would run until this timeout kills it.
      const run = promisify(execFile)(process.execPath, [start, '--data-dir', dir, '--port', port], {
        timeout: 20_000,
      });
      await expect(run).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          "this data folder's licenses name http://127.0.0.1:3000, which " +
            (port === '0' ? 'a free port (--port 0)' : 'port 3001') +
            ' would not serve; start with --port 3000, or --reset',
        ),
      });
    }
    await expect(stat(join(dir, 'dynamodb'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await recordedBaseUrl(dir)).toBe('http://127.0.0.1:3000');
  }, 60_000);

  test('npm start on a taken port exits 2 naming it, before starting the emulators', async () => {
    const holder = createServer();
    await new Promise<void>((listening) => holder.listen(0, '127.0.0.1', listening));
    const { port } = holder.address() as AddressInfo;
    const dir = join(root, 'port-taken');
    const start = resolve(import.meta.dirname, '../../dev/start.ts');
    try {
      const run = promisify(execFile)(process.execPath, [start, '--data-dir', dir, '--port', String(port)], {
        timeout: 60_000,
      });
      await expect(run).rejects.toMatchObject({
        code: 2,
        stderr: `[elicense] port ${port} is taken (another npm start?): start with --port 8080, or --port 0 for a free one\n`,
      });
    } finally {
      holder.close();
    }
    await expect(stat(join(dir, 'dynamodb'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await recordedBaseUrl(dir)).toBeUndefined();
  }, 90_000);

  test('npm start of a folder whose licenses name a taken port says another port is no way out', async () => {
    const holder = createServer();
    await new Promise<void>((listening) => holder.listen(0, '127.0.0.1', listening));
    const { port } = holder.address() as AddressInfo;
    const dir = join(root, 'pinned-port-taken');
    await privateDataDirectory(dir);
    await recordBaseUrl(dir, `http://127.0.0.1:${port}`);
    const start = resolve(import.meta.dirname, '../../dev/start.ts');
    try {
      const run = promisify(execFile)(process.execPath, [start, '--data-dir', dir, '--port', String(port)], {
        timeout: 20_000,
      });
      await expect(run).rejects.toMatchObject({
        code: 2,
        stderr: `[elicense] port ${port} is taken (another npm start?), and ${dir}'s licenses name it: stop what holds it, or start another --data-dir\n`,
      });
    } finally {
      holder.close();
    }
  });
});

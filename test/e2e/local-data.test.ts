import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { recordedBaseUrl } from '#dev/base-url.ts';

// The local platform's data folder holds the DynamoDB file, s3rver's objects (layout documents,
// unencrypted) and the key vault, written with the umask's modes: the folders shut others out.
describe('the local platform’s data folder', () => {
  const dataDir = inject('platformDataDir');

  it('and every folder the platform made in it are readable by their owner only', async () => {
    const folders = (await readdir(dataDir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    expect(folders.map((folder) => folder.name)).toEqual(expect.arrayContaining(['dynamodb', 's3', 'keys']));
    for (const path of [dataDir, ...folders.map((folder) => join(dataDir, folder.name))]) {
      expect((await stat(path)).mode & 0o077, path).toBe(0);
    }
  });

  it('records the base URL its licenses name, which a start on another port must keep', async () => {
    expect(await recordedBaseUrl(dataDir)).toBe(inject('platformUrl'));
  });
});

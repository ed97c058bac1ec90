import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalPlatform, startPlatform } from '#dev/platform.ts';

// The artifact that ships is the artifact tested: a second local platform, on the same
// emulators, serves the esbuild bundles that the CDK stack deploys.
describe('the bundled handlers (npm start -- --bundled)', () => {
  let platform: LocalPlatform;
  let dataDir: string;

  beforeAll(async () => {
    Object.assign(process.env, inject('serviceEnv'));
    dataDir = await mkdtemp(join(tmpdir(), 'elicense-bundled-'));
    platform = await startPlatform({ port: 0, dataDir, bundled: true, stage: 'e2e' });
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /health from the bundle with every dependency up', async () => {
    const response = await fetch(`${platform.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { dynamodb: { status: 'up' }, s3: { status: 'up' } },
    });
  });

  it('starts no emulator of its own when endpoints are given', () => {
    expect(platform.services.pids).toEqual([]);
  });
});

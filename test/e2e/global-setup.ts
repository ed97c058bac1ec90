import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPlatform } from '#dev/platform.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the local platform the e2e tests call over HTTP. */
    platformUrl: string;
    /** Endpoint variables of the emulators behind it, for tests that start a second platform. */
    serviceEnv: Record<string, string>;
  }
}

// Starts one local platform, as `npm start` would but on a free port and a throw-away data
// folder, for the whole e2e project; endpoints given in the environment are used instead of
// emulators (so the suite can run against LocalStack).
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'elicense-e2e-'));
  const platform = await startPlatform({ port: 0, dataDir, stage: 'e2e' });
  project.provide('platformUrl', platform.url);
  project.provide('serviceEnv', platform.services.env);
  return async () => {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

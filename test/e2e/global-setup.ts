import type { TestProject } from 'vitest/node';
import { startPlatformProcess } from './support/platform-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the local platform the e2e tests call over HTTP. */
    platformUrl: string;
    /** Endpoints of the services behind it, for tests that start a second platform on them. */
    platformEndpoints: Record<string, string | undefined>;
    /** The platform's data folder (DynamoDB, S3 objects, key vault). */
    platformDataDir: string;
  }
}

// Starts one local platform, as `npm start` does but on a free port and a throw-away data
// folder, for the whole e2e project. Endpoints given in the environment (AWS_ENDPOINT_URL…)
// are used instead of emulators, so the suite can run against LocalStack.
export default async function setup(project: TestProject) {
  const platform = await startPlatformProcess();
  project.provide('platformUrl', platform.url);
  project.provide('platformEndpoints', platform.endpoints);
  project.provide('platformDataDir', platform.dataDir);
  return () => platform.stop();
}

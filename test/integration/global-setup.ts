// Starts the emulators the integration tests talk to over the wire (or takes the endpoints
// given in the environment) once for the whole run, and stops them afterwards.

import type { TestProject } from 'vitest/node';
import { startLocalServices } from '#dev/emulators/index.ts';
import type { AwsEnv } from './aws-env.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startLocalServices({
    services: ['dynamodb', 's3', 'kms'],
    mode: 'test',
    // Our own progress lines only; the emulators' chatter goes into start-up errors.
    log: (line) => {
      if (line.startsWith('[emulators]')) console.log(line);
    },
  });
  // provide/inject is vitest's documented channel to the test workers. (In vitest 5.1 the
  // workers, forks or threads, are created after this runs and so would also inherit
  // process.env, but nothing promises that.)
  const env: AwsEnv = services.env;
  project.provide('awsEnv', env);
  return () => services.stop();
}

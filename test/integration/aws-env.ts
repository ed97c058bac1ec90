// What the integration global setup hands to the tests, and how a test file takes it up.

import { inject } from 'vitest';

/** LocalServices.env of the emulators the global setup started (or the endpoints it was given). */
export type AwsEnv = Record<string, string>;

declare module 'vitest' {
  export interface ProvidedContext {
    awsEnv: AwsEnv;
  }
}

/**
 * Points the AWS SDK at the suite's services by copying their variables into process.env,
 * where the SDK reads them when a client is created. Call it before creating clients.
 */
export function useSuiteAwsEnv(): AwsEnv {
  const env = inject('awsEnv');
  Object.assign(process.env, env);
  return env;
}

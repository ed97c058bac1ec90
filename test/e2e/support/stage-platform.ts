import { join } from 'node:path';
import { inject } from 'vitest';
import { launchPlatform } from './platform-process.ts';

// A second local platform for tests that change what the suite's platform is assumed to hold
// (the agencies, types and seal keys of the demo catalog): the same emulators, but a stage —
// tables, key vault, seeded catalog — of its own, so nothing it does is seen by other tests.

const main = join(import.meta.dirname, 'stage-platform-main.ts');

export interface StagePlatform {
  url: string;
  stage: string;
  dataDir: string;
  /** Where the suite's DynamoDB answers, for tests that write a table directly. */
  dynamodbEndpoint: string;
  stop(): Promise<void>;
}

/** Starts the platform as `stage` on the suite's emulators, with a throw-away data folder. */
export async function startStagePlatform(stage: string): Promise<StagePlatform> {
  const endpoints = inject('platformEndpoints');
  const launched = await launchPlatform({
    name: stage,
    dataDirPrefix: `elicense-${stage}-`,
    args: (dataDir) => [main, stage, dataDir],
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb!,
      AWS_ENDPOINT_URL_S3: endpoints.s3!,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ELICENSE_S3_FORCE_PATH_STYLE: 'true',
    },
  });
  const { url } = JSON.parse(launched.ready) as { url: string };
  return {
    url,
    stage,
    dataDir: launched.dataDir,
    dynamodbEndpoint: endpoints.dynamodb!,
    stop: launched.stop,
  };
}

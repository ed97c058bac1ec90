import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { spawnTethered } from '#dev/emulators/process.ts';

// A second local platform for tests that change what the suite's platform is assumed to hold
// (the agencies, types and seal keys of the demo catalog): the same emulators, but a stage —
// tables, key vault, seeded catalog — of its own, so nothing it does is seen by other tests.

const repositoryRoot = resolve(import.meta.dirname, '../../..');
const READY = /^\[elicense\] ready (\{.*\})$/;
const START_TIMEOUT_MS = 120_000;

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
  const dataDir = await mkdtemp(join(tmpdir(), `elicense-${stage}-`));
  let onReady: (json: string) => void = () => {};
  const ready = new Promise<string>((done) => {
    onReady = done;
  });
  const child = await spawnTethered({
    name: stage,
    command: process.execPath,
    args: [join(repositoryRoot, 'test/e2e/support/stage-platform-main.ts'), stage, dataDir],
    cwd: repositoryRoot,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb!,
      AWS_ENDPOINT_URL_S3: endpoints.s3!,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ELICENSE_S3_FORCE_PATH_STYLE: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    log: (line) => {
      const match = READY.exec(line.replace(/^\[[^\]]+\] /, ''));
      if (match) onReady(match[1]!);
    },
  });
  const outcome = await Promise.race([
    ready,
    child.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), START_TIMEOUT_MS).unref()),
  ]);
  if (outcome === 'exited' || outcome === 'timeout') {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`the ${stage} platform did not start (${outcome}); last output:\n${child.outputTail()}`);
  }
  const { url } = JSON.parse(outcome) as { url: string };
  return {
    url,
    stage,
    dataDir,
    dynamodbEndpoint: endpoints.dynamodb!,
    async stop() {
      await child.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// `elicense audit verify --local` reads the tables of the platform `npm start` runs, at the
// endpoints its data folder names. With the platform stopped, the answer says so and names the
// port it last answered on, rather than a bare ECONNREFUSED of an emulator's port.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeLocalEndpoints } from '#dev/local-endpoints.ts';
import { runCli } from '../../bin/cli.ts';
import { closedPort } from '../fixtures/closed-port.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elicense-audit-local-'));
  const dynamodb = `http://127.0.0.1:${await closedPort()}`;
  const s3 = `http://127.0.0.1:${await closedPort()}`;
  await writeLocalEndpoints(dir, {
    stage: 'local',
    url: 'http://127.0.0.1:3000',
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
      AWS_ENDPOINT_URL_S3: s3,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ELICENSE_S3_FORCE_PATH_STYLE: 'true',
    },
    keyVaultDir: join(dir, 'keys'),
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));

it('with the local platform stopped, asks whether npm start runs, naming the port it answered on', async () => {
  let err = '';
  const code = await runCli(
    ['audit', 'verify', '--local', dir, '--from', '2025-03-01T00:00:00Z', '--to', '2025-03-02T00:00:00Z'],
    {
      out: () => {},
      err: (s) => {
        err += s;
      },
    },
  );
  expect(code).toBe(3);
  expect(err).toMatch(/^elicense: [^\n]+\n$/);
  expect(err).toContain(
    `the local platform of ${dir} does not answer: is npm start running? it answered on port 3000 last time`,
  );
}, 20_000);

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type PlatformProcess, startPlatformProcess } from './support/platform-process.ts';

// The artifact that ships is the artifact tested: `npm start -- --bundled` serves the esbuild
// bundles that the CDK stack deploys. It runs on the services of the suite's platform, given
// as endpoints, and with its key vault, which also shows that no emulator is started for a
// service with an endpoint.
describe('the bundled handlers (npm start -- --bundled)', () => {
  let platform: PlatformProcess;

  beforeAll(async () => {
    const endpoints = inject('platformEndpoints');
    platform = await startPlatformProcess(
      ['--bundled'],
      {
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb!,
        AWS_ENDPOINT_URL_S3: endpoints.s3!,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        ELICENSE_S3_FORCE_PATH_STYLE: 'true',
      },
      inject('platformDataDir'),
    );
  });

  afterAll(() => platform?.stop());

  it('serves /health from the bundle with every dependency up', async () => {
    const response = await fetch(`${platform.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { dynamodb: { status: 'up' }, s3: { status: 'up' } },
    });
  });

  it('starts no emulator of its own when endpoints are given', () => {
    expect(platform.emulatorPids).toEqual([]);
    expect(platform.endpoints).toMatchObject(inject('platformEndpoints'));
  });
});

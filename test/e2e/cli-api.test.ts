import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const launcher = fileURLToPath(new URL('../../bin/elicense', import.meta.url));
const endpoint = inject('platformUrl');
const keys = join(inject('platformDataDir'), 'agency-keys');

function elicense(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(launcher, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('elicense verify and call, against the local platform', () => {
  it('verify exits 1 and prints the failed checks of something that is no license', async () => {
    const { code, stdout } = await elicense('verify', 'not-a-license~', '--endpoint', endpoint);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      valid: false,
      checks: { format: expect.stringMatching(/^failed/) },
    });
  });

  it('call signs a request with an agency key file written by npm start', async () => {
    const { code, stdout } = await elicense(
      'call',
      'GET',
      '/license-types',
      '--key',
      join(keys, 'demo-operator-1.jwk.json'),
      '--endpoint',
      endpoint,
    );
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { items: unknown[] }).items.length).toBeGreaterThan(0);
  });

  it('exits 3 when the platform cannot be reached', async () => {
    const { code, stderr } = await elicense('verify', 'x~', '--endpoint', 'http://127.0.0.1:9');
    expect(code).toBe(3);
    expect(stderr).toMatch(/could not be reached/);
  });
});

// `elicense call` reaches the operator's updates too: a PUT (and a seal-key rotation) names the
// version it was made against as If-Match, the way the operator SDK sends it.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';
import { demoKeyFile } from './cli-key-file.ts';

let dir: string;
let keyFile: string;

beforeAll(async () => {
  ({ dir, keyFile } = await demoKeyFile('demo-operator-1', 'elicense-cli-if-match-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function sent(...args: string[]): Promise<{ code: number; method: string; headers: Headers }> {
  const requests: RequestInit[] = [];
  const code = await runCli([...args, '--key', keyFile, '--endpoint', 'http://platform.test'], {
    out: () => {},
    err: () => {},
    fetch: async (_url, init) => {
      requests.push(init ?? {});
      return Response.json({ version: 4 });
    },
  });
  expect(requests).toHaveLength(1);
  return { code, method: requests[0]!.method ?? 'GET', headers: new Headers(requests[0]!.headers) };
}

describe('elicense call --if-match', () => {
  it('sends a version as the quoted ETag the platform answered with', async () => {
    const { code, method, headers } = await sent(
      'call',
      'PUT',
      '/agencies/11100000000013338W',
      '--json',
      '{"name":"x","roles":["operator"],"areaCode":"110000"}',
      '--if-match',
      '3',
    );
    expect(code).toBe(0);
    expect(method).toBe('PUT');
    expect(headers.get('if-match')).toBe('"3"');
    expect(headers.get('signature')).toMatch(/^agency=:/);
  });

  it('sends an ETag as given, and no If-Match without the option', async () => {
    expect(
      (
        await sent('call', 'POST', '/agencies/11100000000013338W/seal-key/rotate', '--if-match', '"7"')
      ).headers.get('if-match'),
    ).toBe('"7"');
    expect((await sent('call', 'GET', '/agencies')).headers.has('if-match')).toBe(false);
  });
});

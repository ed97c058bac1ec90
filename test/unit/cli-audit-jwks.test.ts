// `elicense audit verify --jwks`: a JWKS that cannot be used (an error page, a file that is not
// JSON or holds no keys) is a usage error naming where it came from, not "could not read the
// audit log" and exit 3 as if the stage's storage were unreachable. Nothing of the stage is read
// before the keys are, so these runs touch no storage.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';

const ANSWERS: Record<string, { status: number; type: string; body: string }> = {
  '/missing': { status: 404, type: 'text/html', body: '<html><body>Not Found</body></html>' },
  '/html': { status: 200, type: 'text/html', body: '<!doctype html><p>a sign-in page</p>' },
  '/no-keys': { status: 200, type: 'application/json', body: '{"issuer":"x"}' },
  '/down': { status: 503, type: 'text/plain', body: 'upstream unavailable' },
  '/busy': { status: 429, type: 'text/plain', body: 'slow down' },
};

let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const answer = ANSWERS[request.url ?? ''] ?? ANSWERS['/missing']!;
    response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'elicense-audit-jwks-'));
  await writeFile(join(dir, 'not-json.json'), 'kid=platform-1\n');
  await writeFile(
    join(dir, 'agency-only.json'),
    JSON.stringify({ keys: [{ kty: 'EC', kid: 'seal-1', owner: 'agency' }] }),
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function auditVerify(jwks: string): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(
    [
      'audit',
      'verify',
      '--from',
      '2025-03-01T00:00:00Z',
      '--to',
      '2025-03-02T00:00:00Z',
      '--stage',
      'unit',
      '--archive-bucket',
      'unit-audit-archive',
      '--jwks',
      jwks,
    ],
    {
      out: () => {},
      err: (s) => {
        err += s;
      },
    },
  );
  return { code, err };
}

describe('elicense audit verify --jwks', () => {
  it.each([
    ['/missing', '404'],
    ['/html', 'not JSON'],
    ['/no-keys', 'no keys'],
  ])('exits 2 naming the URL when %s cannot be used', async (path, said) => {
    const { code, err } = await auditVerify(`${base}${path}`);
    expect(code).toBe(2);
    expect(err).toMatch(/^elicense: [^\n]+\n$/);
    expect(err).toContain(`${base}${path}`);
    expect(err).toContain(said);
  });

  it.each([
    ['not-json.json', 'not JSON'],
    ['agency-only.json', 'no platform key'],
    ['absent.json', 'cannot read'],
  ])('exits 2 naming the file when %s cannot be used', async (file, said) => {
    const { code, err } = await auditVerify(join(dir, file));
    expect(code).toBe(2);
    expect(err).toMatch(/^elicense: [^\n]+\n$/);
    expect(err).toContain(join(dir, file));
    expect(err).toContain(said);
  });

  it.each([
    ['/down', '503'],
    ['/busy', '429'],
  ])('exits 3 naming the URL when %s could not answer now (5xx, 429)', async (path, said) => {
    const { code, err } = await auditVerify(`${base}${path}`);
    expect(code).toBe(3);
    expect(err).toContain(`${base}${path}`);
    expect(err).toContain(said);
  });

  it('takes an upper-case scheme as a URL, not a file name', async () => {
    const { code, err } = await auditVerify(`${base.replace('http', 'HTTP')}/missing`);
    expect(code).toBe(2);
    expect(err).toContain('404');
  });
});

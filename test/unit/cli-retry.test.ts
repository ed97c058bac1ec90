// An agency POST that did not succeed — a problem answer such as a 503, or no answer at all — is
// retried as the same operation only under the same Idempotency-Key, so the CLI prints the key it
// sent and the flag that sends it again: on the routes that honour the key. On the others (a
// retrieval, the operator's routes) running it again is a second operation, and the CLI says so.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';
import { demoKeyFile } from './cli-key-file.ts';

let dir: string;
let keyFile: string;

beforeAll(async () => {
  ({ dir, keyFile } = await demoKeyFile('demo-psb-1', 'elicense-cli-retry-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the command against a fetch that answers with `answer`; returns the keys sent and the output. */
async function run(answer: () => Promise<Response>, ...args: string[]) {
  const keys: (string | null)[] = [];
  let out = '';
  let err = '';
  const code = await runCli([...args, '--endpoint', 'http://platform.test'], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    fetch: async (_url, init) => {
      keys.push(new Headers(init?.headers).get('idempotency-key'));
      return answer();
    },
  });
  return { code, keys, out, err };
}

const answering = (status: number, body: object) => () =>
  Promise.resolve(
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/problem+json' },
    }),
  );
const unavailable = answering(503, { type: 'urn:elicense:problem:dependency-unavailable', status: 503 });

describe('the Idempotency-Key of a POST that did not succeed', () => {
  it('is printed with the flag to retry after a 503', async () => {
    const { code, keys, err } = await run(unavailable, 'issue', '{}', '--key', keyFile);
    expect(code).toBe(1);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(err).toContain(`--idempotency-key ${keys[0]}`);
  });

  it('is printed when the platform could not be reached', async () => {
    const { code, keys, err } = await run(
      () => Promise.reject(new TypeError('fetch failed')),
      'call',
      'POST',
      '/licenses/x/revoke',
      '--json',
      '{"reason":"r"}',
      '--key',
      keyFile,
    );
    expect(code).toBe(3);
    expect(err).toContain('could not be reached');
    expect(err).toContain(`--idempotency-key ${keys[0]}`);
  });

  it('is printed when the answer broke off, which counts as no answer (exit 3)', async () => {
    const brokenOff = () =>
      Promise.resolve(
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"licenseId":'));
              controller.error(new TypeError('terminated'));
            },
          }),
          { status: 201, headers: { 'content-type': 'application/json' } },
        ),
      );
    const { code, keys, err } = await run(brokenOff, 'issue', '{}', '--key', keyFile);
    expect(code).toBe(3);
    expect(err).toContain('the answer broke off');
    expect(err).toContain(`--idempotency-key ${keys[0]}`);
  });

  it('is the one given, printed again', async () => {
    const { keys, err } = await run(
      answering(409, { type: 'urn:elicense:problem:conflict', status: 409 }),
      'status',
      'license-1',
      'revoke',
      '--reason',
      'r',
      '--key',
      keyFile,
      '--idempotency-key',
      'revoke-once',
    );
    expect(keys).toEqual(['revoke-once']);
    expect(err).toContain('--idempotency-key revoke-once');
  });

  it('is sent with a holder POST when given, and printed when it fails', async () => {
    const { keys, err } = await run(
      unavailable,
      'call',
      'POST',
      '/holder/applications',
      '--json',
      '{}',
      '--token',
      't',
      '--idempotency-key',
      'apply-once',
    );
    expect(keys).toEqual(['apply-once']);
    expect(err).toContain('--idempotency-key apply-once');
  });

  it('is not printed on success, nor for a GET', async () => {
    const ok = await run(
      () => Promise.resolve(Response.json({ licenseId: 'x' })),
      'issue',
      '{}',
      '--key',
      keyFile,
    );
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
    const get = await run(unavailable, 'call', 'GET', '/agencies', '--key', keyFile);
    expect(get.keys).toEqual([null]);
    expect(get.err).not.toContain('idempotency');
  });
});

describe('a POST whose route takes no Idempotency-Key', () => {
  const retrieval = '{"licenseId":"L","basis":{"grant":{"code":"G"}}}';

  it('retrieve draws none, and says running it again is a second retrieval', async () => {
    const { code, keys, err } = await run(unavailable, 'retrieve', retrieval, '--key', keyFile);
    expect(code).toBe(1);
    expect(keys).toEqual([null]);
    expect(err).toContain('POST /retrievals takes no Idempotency-Key');
    expect(err).toContain('a second retrieval, another use of its grant');
    expect(err).not.toContain('--idempotency-key');
  });

  it('retrieve does not offer --idempotency-key', async () => {
    const { code, keys } = await run(
      unavailable,
      'retrieve',
      retrieval,
      '--key',
      keyFile,
      '--idempotency-key',
      'k-1',
    );
    expect(code).toBe(2);
    expect(keys).toEqual([]);
  });

  it('an operator POST whose answer was lost is not promised a safe retry', async () => {
    const { code, keys, err } = await run(
      () => Promise.reject(new TypeError('fetch failed')),
      'call',
      'POST',
      '/agencies/11100000000013338W/seal-key/rotate',
      '--key',
      keyFile,
    );
    expect(code).toBe(3);
    expect(keys).toEqual([null]);
    expect(err).toContain('running it again is not a retry of this one but a second operation');
    expect(err).not.toContain('--idempotency-key');
  });

  it('a holder grant that failed says the same', async () => {
    const { keys, err } = await run(unavailable, 'grant', '{}', '--token', 't');
    expect(keys).toEqual([null]);
    expect(err).toContain('POST /holder/grants takes no Idempotency-Key');
  });
});

describe('header values the platform would not take', () => {
  it.each([
    ['a non-ASCII character', '键'],
    ['a space', 'issue 1'],
    ['256 characters', 'k'.repeat(256)],
  ])('an --idempotency-key with %s is a usage error, nothing sent', async (_, key) => {
    const { code, keys, err } = await run(
      unavailable,
      'issue',
      '{}',
      '--key',
      keyFile,
      '--idempotency-key',
      key,
    );
    expect(code).toBe(2);
    expect(keys).toEqual([]);
    expect(err).toContain('--idempotency-key must be 1–255 printable ASCII characters');
    expect(err).not.toContain('could not be reached');
  });

  it('so is a holder key with a space', async () => {
    const { code, keys } = await run(
      unavailable,
      'call',
      'POST',
      '/holder/applications',
      '--json',
      '{}',
      '--token',
      't',
      '--idempotency-key',
      'apply 1',
    );
    expect(code).toBe(2);
    expect(keys).toEqual([]);
  });

  it.each([
    ['a line break', 'eyJ\nevil: 1'],
    ['a non-Latin-1 character', 'token-令牌'],
  ])('a token with %s is a usage error, nothing sent', async (_, token) => {
    const { code, keys, err } = await run(unavailable, 'call', 'GET', '/holder/licenses', '--token', token);
    expect(code).toBe(2);
    expect(keys).toEqual([]);
    expect(err).toContain('the access token');
  });

  it('so is a usage key with a space', async () => {
    const { code, keys } = await run(
      unavailable,
      'call',
      'GET',
      '/agencies',
      '--key',
      keyFile,
      '--api-key',
      'a b',
    );
    expect(code).toBe(2);
    expect(keys).toEqual([]);
  });
});

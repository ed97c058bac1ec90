// The CLI's signed commands with a usage key: --api-key, else ELICENSE_API_KEY, else the key
// file's apiKey (as `bootstrap operator --usage-plan` writes it) puts it in x-api-key; without
// any no such header is sent.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';
import { demoKeyFile } from './cli-key-file.ts';

let dir: string;
let keyFile: string;
const savedEnv = process.env.ELICENSE_API_KEY;

beforeAll(async () => {
  ({ dir, keyFile } = await demoKeyFile('demo-psb-1', 'elicense-cli-api-key-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  if (savedEnv === undefined) delete process.env.ELICENSE_API_KEY;
  else process.env.ELICENSE_API_KEY = savedEnv;
});

/** Runs a signed `call` and returns the headers it sent. */
async function sentHeaders(...extra: string[]): Promise<Headers> {
  return sentHeadersWith(keyFile, ...extra);
}

async function sentHeadersWith(file: string, ...extra: string[]): Promise<Headers> {
  const seen: RequestInit[] = [];
  const code = await runCli(
    ['call', 'GET', '/agencies', '--key', file, '--endpoint', 'http://platform.test', ...extra],
    {
      out: () => {},
      err: () => {},
      fetch: async (_url, init) => {
        seen.push(init ?? {});
        return new Response('{"items":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
      },
    },
  );
  expect(code).toBe(0);
  expect(seen).toHaveLength(1);
  const headers = new Headers(seen[0]!.headers);
  expect(headers.get('signature')).toMatch(/^agency=:/);
  return headers;
}

describe('elicense call with a usage key', () => {
  it('sends --api-key as x-api-key', async () => {
    delete process.env.ELICENSE_API_KEY;
    expect((await sentHeaders('--api-key', 'key-from-option-0123456789')).get('x-api-key')).toBe(
      'key-from-option-0123456789',
    );
  });

  it('takes ELICENSE_API_KEY when no option is given, and the option over it', async () => {
    process.env.ELICENSE_API_KEY = 'key-from-env-0123456789';
    expect((await sentHeaders()).get('x-api-key')).toBe('key-from-env-0123456789');
    expect((await sentHeaders('--api-key', 'key-from-option-0123456789')).get('x-api-key')).toBe(
      'key-from-option-0123456789',
    );
  });

  it('sends no x-api-key without either', async () => {
    delete process.env.ELICENSE_API_KEY;
    expect((await sentHeaders()).has('x-api-key')).toBe(false);
  });

  it('takes the key file’s apiKey when neither option nor ELICENSE_API_KEY is given', async () => {
    delete process.env.ELICENSE_API_KEY;
    const withApiKey = join(dir, 'with-api-key.jwk.json');
    const content = JSON.parse(await readFile(keyFile, 'utf8'));
    await writeFile(withApiKey, JSON.stringify({ ...content, apiKey: 'key-from-file-0123456789' }));
    expect((await sentHeadersWith(withApiKey)).get('x-api-key')).toBe('key-from-file-0123456789');
    process.env.ELICENSE_API_KEY = 'key-from-env-0123456789';
    expect((await sentHeadersWith(withApiKey)).get('x-api-key')).toBe('key-from-env-0123456789');
    expect(
      (await sentHeadersWith(withApiKey, '--api-key', 'key-from-option-0123456789')).get('x-api-key'),
    ).toBe('key-from-option-0123456789');
  });
});

// `elicense document` reports each way the presigned upload can end with its own exit code: an
// answer that is not what the route answers is the platform's (1), not an unreachable one (3).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';
import { demoKeyFile } from './cli-key-file.ts';

let dir: string;
let keyFile: string;
let pdf: string;

beforeAll(async () => {
  ({ dir, keyFile } = await demoKeyFile('demo-psb-1', 'elicense-cli-document-'));
  pdf = join(dir, 'card.pdf');
  await writeFile(pdf, '%PDF-1.4\n%%EOF\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function document(fetch: typeof globalThis.fetch) {
  let err = '';
  const code = await runCli(
    ['document', 'license-1', pdf, '--key', keyFile, '--endpoint', 'http://platform.test'],
    {
      out: () => {},
      err: (s) => {
        err += s;
      },
      fetch,
    },
  );
  return { code, err };
}

describe('elicense document', () => {
  it('exits 1 naming the answer when the platform answers 200 with an empty body', async () => {
    const { code, err } = await document(async () => new Response('', { status: 200 }));
    expect(code).toBe(1);
    expect(err).toContain('200 without a JSON body');
    expect(err).not.toContain('could not be reached');
  });

  it('exits 1 with the status of an API Gateway error', async () => {
    const { code, err } = await document(async () =>
      Response.json({ message: 'Too Many Requests' }, { status: 429 }),
    );
    expect(code).toBe(1);
    expect(err).toContain('429');
  });

  it('exits 3 when the platform cannot be reached', async () => {
    const { code, err } = await document(async () => {
      throw new TypeError('fetch failed');
    });
    expect(code).toBe(3);
    expect(err).toBe('elicense: the platform could not be reached: fetch failed\n');
  });
});

describe('a request body that is not a JSON object', () => {
  it.each([
    [['issue', 'null', '--document', 'PDF'], 'found null'],
    [['issue', '[]'], 'found an array'],
    [['retrieve', '"str"'], 'found a string'],
    [['grant', '7', '--token', 't'], 'found a number'],
    [['call', 'POST', '/licenses', '--json', '[1]'], 'found an array'],
  ])('%j exits 2 before anything is sent, naming what it found', async (args, found) => {
    let sent = 0;
    let err = '';
    const code = await runCli(
      [
        ...args.map((a) => (a === 'PDF' ? pdf : a)),
        ...(args[0] === 'grant' ? [] : ['--key', keyFile]),
        '--endpoint',
        'http://platform.test',
      ],
      {
        out: () => {},
        err: (s) => {
          err += s;
        },
        fetch: async () => {
          sent += 1;
          return new Response('{}', { status: 200 });
        },
      },
    );
    expect(code).toBe(2);
    expect(sent).toBe(0);
    expect(err).toContain(`the body must be a JSON object, ${found}`);
  });
});

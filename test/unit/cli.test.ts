import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';
import { demoKeyFile } from './cli-key-file.ts';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    today: new Date('2025-06-30T04:00:00Z'),
  });
  return { code, out, err };
}

describe('elicense validate', () => {
  it('prints the parts of a valid license id as JSON and exits 0', async () => {
    const { code, out, err } = await run(
      'validate',
      'license-id',
      '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F',
    );
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(JSON.parse(out)).toEqual({
      valid: true,
      parts: {
        typeCode: '11100000000013338W032',
        issuerCode: '11220000013544541J',
        serial: '2430599',
        version: '001',
        check: 'F',
        legacyIssuer: false,
      },
    });
  });

  it('prints the reason for an invalid USCC and exits 1', async () => {
    const { code, out, err } = await run('validate', 'uscc', '11100000000013338X');
    expect(code).toBe(1);
    expect(err).toBe('');
    expect(JSON.parse(out)).toMatchObject({
      valid: false,
      reason: "check character is 'X' but 'W' was expected",
    });
  });

  it('prints a reason without parts when nothing could be read', async () => {
    const { code, out } = await run('validate', 'uscc', '9135I100M000100Y43');
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({
      valid: false,
      reason: "USCC contains 'I' at position 5, which GB 32100 does not use",
    });
  });

  it('checks a citizen id birth date against the given today', async () => {
    const valid = await run('validate', 'citizen-id', '11010519491231002X');
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.out)).toMatchObject({
      valid: true,
      parts: { birthDate: '1949-12-31', sex: 'female' },
    });
    // Born 2025-07-01: tomorrow, seen from 2025-06-30 12:00 in Beijing.
    const future = await run('validate', 'citizen-id', '110105202507010021');
    expect(future.code).toBe(1);
    expect(JSON.parse(future.out).reason).toMatch(/^birth date 20250701 is in the future/);
  });

  it.each([
    [['validate', 'passport', 'E12345678'], "argument 'kind'"],
    [['validate', 'uscc'], "missing required argument 'value'"],
    [['validate', '--strict', 'uscc', '11100000000013338W'], "unknown option '--strict'"],
    [['validate', 'uscc', '11100000000013338W', 'extra'], 'too many arguments'],
    [['frobnicate', 'uscc'], "unknown command 'frobnicate'"],
    [[], 'Usage: elicense'],
  ])('exits 2 on a usage error, with the message on stderr: %j', async (args, message) => {
    const { code, out, err } = await run(...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
  });

  it('prints help on stdout and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('validate <kind> <value>');
  });
});

describe('elicense verify', () => {
  const verifyAnswering = (status: number, body: object) =>
    runCli(['verify', 'x~', '--endpoint', 'http://platform.test'], {
      out: () => {},
      err: () => {},
      fetch: async () =>
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
    });

  it('exits 0 for a valid answer, 1 for an invalid one or a refused request', async () => {
    expect(await verifyAnswering(200, { valid: true, checks: {} })).toBe(0);
    expect(await verifyAnswering(200, { valid: false, checks: {} })).toBe(1);
    expect(await verifyAnswering(400, { type: 'urn:elicense:problem:validation-failed' })).toBe(1);
  });

  it('exits 3, as for an unreachable platform, when the platform gave no verdict (503, 429, 408, 504, 500)', async () => {
    expect(await verifyAnswering(503, { type: 'urn:elicense:problem:dependency-unavailable' })).toBe(3);
    for (const status of [429, 408, 504, 500]) {
      expect(await verifyAnswering(status, { message: 'no verdict' })).toBe(3);
    }
  });

  it('exits 3, not 1 ("invalid"), for a 2xx that is no verification answer (a proxy’s page)', async () => {
    const answering = (body: string) =>
      runCli(['verify', 'x~', '--endpoint', 'http://platform.test'], {
        out: () => {},
        err: () => {},
        fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/html' } }),
      });
    expect(await answering('<html>Sign in to the network</html>')).toBe(3);
    expect(await answering('{"status":"ok"}')).toBe(3);
  });

  it('exits 2 before sending for --audience without --nonce, or the reverse', async () => {
    for (const given of [
      ['--audience', 'https://rp.test'],
      ['--nonce', 'n-1'],
    ]) {
      let sent = 0;
      let err = '';
      const code = await runCli(['verify', 'x~', '--endpoint', 'http://platform.test', ...given], {
        out: () => {},
        err: (text) => {
          err += text;
        },
        fetch: async () => {
          sent += 1;
          return new Response('{}', { status: 200 });
        },
      });
      expect(code).toBe(2);
      expect(sent).toBe(0);
      expect(err).toContain('--audience and --nonce go together');
    }
  });

  it('exits 3, not 1 ("invalid"), when the answer breaks off mid-body', async () => {
    let err = '';
    const code = await runCli(['verify', 'x~', '--endpoint', 'http://platform.test'], {
      out: () => {},
      err: (s) => {
        err += s;
      },
      fetch: async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"valid":'));
              controller.error(new Error('socket hang up'));
            },
          }),
          { status: 200, headers: { 'content-type': 'application/json' } },
        ),
    });
    expect(code).toBe(3);
    expect(err).toBe('elicense: the answer broke off: socket hang up\n');
  });
});

describe('elicense call', () => {
  it('sends a holder request with the token as a Bearer credential and prints the answer', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    let out = '';
    const code = await runCli(
      ['call', 'GET', '/holder/licenses', '--token', 'tok-123', '--endpoint', 'http://platform.test'],
      {
        out: (s) => {
          out += s;
        },
        err: () => {},
        fetch: async (url, init) => {
          seen.push({ url: String(url), init: init ?? {} });
          return new Response('{"licenses":[]}', {
            status: 200,
            headers: { 'content-type': 'application/json' },
          });
        },
      },
    );
    expect(code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('http://platform.test/holder/licenses');
    expect(new Headers(seen[0]!.init.headers).get('authorization')).toBe('Bearer tok-123');
    expect(JSON.parse(out)).toEqual({ licenses: [] });
  });

  it('keeps the path of an endpoint such as an API Gateway stage URL', async () => {
    const seen: string[] = [];
    const code = await runCli(
      ['call', 'GET', '/holder/me', '--token', 't', '--endpoint', 'https://api.test/prod'],
      {
        out: () => {},
        err: () => {},
        fetch: async (url) => {
          seen.push(String(url));
          return Response.json({});
        },
      },
    );
    expect(code).toBe(0);
    expect(seen).toEqual(['https://api.test/prod/holder/me']);
  });

  it('is a usage error without an agency key or a holder token', async () => {
    const saved = process.env.ELICENSE_HOLDER_TOKEN;
    delete process.env.ELICENSE_HOLDER_TOKEN;
    try {
      const { code, err } = await run(
        'call',
        'GET',
        '/holder/licenses',
        '--endpoint',
        'http://platform.test',
      );
      expect(code).toBe(2);
      expect(err).toMatch(/--key .* or --token/);
    } finally {
      if (saved !== undefined) process.env.ELICENSE_HOLDER_TOKEN = saved;
    }
  });
});

describe('the help of the API commands', () => {
  it.each(['grant', 'call', 'issue', 'document'])(
    'never shows the holder token or the usage key the environment holds: %s --help',
    async (command) => {
      const saved = { token: process.env.ELICENSE_HOLDER_TOKEN, apiKey: process.env.ELICENSE_API_KEY };
      process.env.ELICENSE_HOLDER_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-token';
      process.env.ELICENSE_API_KEY = 'usage-key-secret-0123456789';
      try {
        const { code, out } = await run(command, '--help');
        expect(code).toBe(0);
        expect(out).toContain('Usage: elicense');
        expect(out).not.toContain('secret');
      } finally {
        for (const [name, value] of [
          ['ELICENSE_HOLDER_TOKEN', saved.token],
          ['ELICENSE_API_KEY', saved.apiKey],
        ] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    },
  );
});

describe('usage errors of the API commands', () => {
  const saved = process.env.ELICENSE_HOLDER_TOKEN;
  const missing = join(tmpdir(), 'elicense-cli-test-missing', 'none.json');
  let notJson: string;
  let pdf: string;
  let agencyKey: { dir: string; keyFile: string };
  beforeAll(async () => {
    agencyKey = await demoKeyFile('demo-psb-1', 'elicense-cli-test-key-');
    const dir = await mkdtemp(join(tmpdir(), 'elicense-cli-test-'));
    notJson = join(dir, 'key.jwk.json');
    await writeFile(notJson, 'not json');
    pdf = join(dir, 'card.pdf');
    await writeFile(pdf, '%PDF-1.4\n%%EOF\n');
    delete process.env.ELICENSE_HOLDER_TOKEN;
  });
  afterAll(async () => {
    await rm(dirname(notJson), { recursive: true, force: true });
    await rm(agencyKey.dir, { recursive: true, force: true });
    if (saved !== undefined) process.env.ELICENSE_HOLDER_TOKEN = saved;
  });

  it.each([
    [['call', 'POST', '/holder/grants', '--json', '{bad', '--token', 't'], '--json'],
    [['call', 'POST', '/holder/grants', '--json', `@${missing}`, '--token', 't'], missing],
    [['issue', '{"typeCode":', '--key', missing], 'body'],
    [['issue', `@${missing}`, '--key', missing], missing],
    [['grant', 'nope', '--token', 't'], 'body'],
    [['verify', `@${missing}`], missing],
    [['call', 'GET', '/agencies', '--key', missing], missing],
    [['call', 'GET', '/agencies', '--key', 'KEY_NOT_JSON'], 'key file'],
    [['status', 'license-1', 'revoke', '--reason', 'r', '--key', missing], missing],
    // The platform refuses these without a reason (400): say so before signing and sending.
    [['status', 'license-1', 'revoke', '--key', 'AGENCY_KEY'], '--reason'],
    [['status', 'license-1', 'suspend', '--reason', ' ', '--key', 'AGENCY_KEY'], '--reason'],
    [['document', 'license-1', 'A_PDF', '--key', missing], missing],
    [['call', 'GET', '/holder/licenses', '--json', '{}', '--token', 't'], 'GET'],
    [['call', 'HEAD', '/health', '--json', '{}', '--token', 't'], 'HEAD'],
    [['call', 'GET', 'holder/licenses', '--token', 't'], 'holder/licenses'],
    [['call', 'GET', '//evil.test/x', '--token', 't'], '//evil.test/x'],
    // URL parsers read `\` as `/` and drop tabs and newlines: each would send the credential to evil.test.
    [['call', 'GET', '/\\evil.test/holder/licenses', '--token', 't'], 'evil.test/holder/licenses'],
    [['call', 'GET', '/\t/evil.test/x', '--token', 't'], 'evil.test/x'],
    [['call', 'GET', '/\n/evil.test/x', '--token', 't'], 'evil.test/x'],
    [['call', 'POST', '/\\evil.test/licenses', '--json', '{}', '--key', 'AGENCY_KEY'], 'evil.test/licenses'],
    [['call', 'GET', '/../admin', '--token', 't', '--endpoint', 'https://api.test/prod'], '/../admin'],
    [['call', 'GET', '/../admin', '--key', 'AGENCY_KEY', '--endpoint', 'https://api.test/prod'], '/../admin'],
    [['call', 'G ET', '/holder/licenses', '--token', 't'], 'G ET'],
    [['grant', '{}'], 'ELICENSE_HOLDER_TOKEN'],
  ])('exits 2 with one line naming the problem, sending nothing: %j', async (args, named) => {
    let sent = 0;
    let err = '';
    const code = await runCli(
      args.map((arg) => ({ KEY_NOT_JSON: notJson, A_PDF: pdf, AGENCY_KEY: agencyKey.keyFile })[arg] ?? arg),
      {
        out: () => {},
        err: (s) => {
          err += s;
        },
        fetch: async () => {
          sent += 1;
          return Response.json({});
        },
      },
    );
    expect(code).toBe(2);
    expect(sent).toBe(0);
    expect(err).toMatch(/^elicense: [^\n]+\n$/);
    expect(err).toContain(named);
  });
});

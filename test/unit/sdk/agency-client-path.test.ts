// The agency SDK sends a request under its endpoint and nowhere else: a path the WHATWG URL
// parser would read as another host (`/\host`, a tab or newline inside `//`) or as a path
// outside the endpoint's base path (`/..`) is refused before anything is signed or sent — the
// request, its body and the usage key must not reach another server.

import { describe, expect, test } from 'vitest';
import { demoPrivateKey } from '#dev/demo/catalog.ts';
import { createAgencyClient } from '../../../sdk/agency-client.ts';

function client(sent: string[], endpoint = 'https://api.test/prod') {
  return createAgencyClient({
    endpoint,
    keyId: 'demo-psb-1',
    algorithm: 'ecdsa-p256-sha256',
    privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256').export({ format: 'jwk' }),
    apiKey: 'usage-key-value-0123456789',
    fetch: async (input) => {
      sent.push(String(input));
      return new Response('{}', { status: 200 });
    },
  });
}

describe('AgencyClient request path', () => {
  test.each(
    ['https://api.test', 'https://api.test/prod']
      .flatMap((endpoint) =>
        [
          '/\\evil.test/licenses',
          '/\\\\evil.test/licenses',
          '/\t/evil.test/licenses',
          '/\n/evil.test/licenses',
          '/\r/evil.test/licenses',
          '/licenses\u0000',
          '//evil.test/licenses',
          'licenses',
        ].map((path) => [endpoint, path]),
      )
      .concat(
        // Outside the stage's base path, on the same host.
        // `%2e%2e` is `..` once the signed canonical form decodes it: checked again after that.
        ['/../admin', '/licenses/%2e%2e/%2e%2e/admin'].map((path) => ['https://api.test/prod', path]),
      ),
  )('under %s refuses %j and sends nothing', async (endpoint, path) => {
    const sent: string[] = [];
    await expect(client(sent, endpoint).request('POST', path, { json: { holder: 'x' } })).rejects.toThrow(
      TypeError,
    );
    expect(sent).toEqual([]);
  });

  test('sends an encoded slash as it is, one segment under the endpoint, as it signs it', async () => {
    const sent: string[] = [];
    await client(sent).request('POST', '/x%2F..%2F..%2Fadmin', { json: { holder: 'x' } });
    expect(sent).toEqual(['https://api.test/prod/x%2F..%2F..%2Fadmin']);
  });

  test('sends a path with a query under the endpoint', async () => {
    const sent: string[] = [];
    await client(sent).request('GET', '/licenses/a-1/history?limit=5');
    expect(sent).toEqual(['https://api.test/prod/licenses/a-1/history?limit=5']);
  });
});

// The agency SDK with a usage key: `x-api-key` on every request when configured, nothing
// when not, and the signature the same either way (the key is outside it), so the platform
// authenticates the request as before.

import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { lambdaContext } from '#dev/api-gateway-event.ts';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { agencyAuthentication, authenticatedAgency } from '#http/agency-auth.ts';
import { createAgencyClient } from '../../../sdk/agency-client.ts';
import { apiGatewayEvent, MemoryKeyRegistry, MemoryNonceStore } from '../http-signatures/fakes.ts';

const NOW = new Date('2025-03-01T08:00:00.000Z');
const ENDPOINT = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod';

interface Sent {
  url: string;
  init: RequestInit;
}

/** A fetch that only records what it is asked to send. */
function recordingFetch(sent: Sent[]): typeof fetch {
  return async (input, init) => {
    sent.push({ url: String(input), init: init ?? {} });
    return new Response('{}', { status: 200 });
  };
}

function client(sent: Sent[], apiKey?: string) {
  return createAgencyClient({
    endpoint: ENDPOINT,
    keyId: 'demo-psb-1',
    algorithm: 'ecdsa-p256-sha256',
    privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256').export({ format: 'jwk' }),
    fetch: recordingFetch(sent),
    now: () => NOW,
    ...(apiKey === undefined ? {} : { apiKey }),
  });
}

const headersOf = (sent: Sent) => sent.init.headers as Record<string, string>;

describe('AgencyClient apiKey', () => {
  test('sends x-api-key with every request when configured', async () => {
    const sent: Sent[] = [];
    const agency = client(sent, 'usage-key-value-0123456789');
    await agency.request('GET', '/agencies');
    await agency.request('POST', '/grants', { json: { a: 1 } });
    expect(sent.map((s) => headersOf(s)['x-api-key'])).toEqual([
      'usage-key-value-0123456789',
      'usage-key-value-0123456789',
    ]);
  });

  test('sends no x-api-key without one', async () => {
    const sent: Sent[] = [];
    await client(sent).request('GET', '/agencies');
    expect(Object.keys(headersOf(sent[0]!)).map((name) => name.toLowerCase())).not.toContain('x-api-key');
  });

  test('leaves the key outside the signature, which the platform still verifies', async () => {
    const sent: Sent[] = [];
    await client(sent, 'usage-key-value-0123456789').request('POST', '/grants', { json: { a: 1 } });
    const headers = headersOf(sent[0]!);
    expect(headers['signature-input']).not.toContain('x-api-key');

    const handler = middy(
      async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => ({
        statusCode: 200,
        body: JSON.stringify(authenticatedAgency(event) ?? null),
      }),
    ).use(
      agencyAuthentication({
        config: new MemoryKeyRegistry(DEMO_AGENCIES),
        nonces: new MemoryNonceStore(() => NOW.getTime()),
        now: () => NOW,
        demoData: 'allowed',
        onDependencyError: () => {},
      }),
    );
    const event = apiGatewayEvent({
      method: 'POST',
      url: sent[0]!.url,
      headers: Object.entries(headers),
      body: sent[0]!.init.body as Uint8Array,
    });
    const result = await handler(event, lambdaContext('test', 'req-1'));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      agency: DEMO_USCC.publicSecurityBureau,
      keyId: 'demo-psb-1',
    });
  });
});

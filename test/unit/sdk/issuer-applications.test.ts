// The issuer SDK's application review: each call goes to the route's method and path with its
// JSON body, signed so the platform's verifier accepts it (the query of a listing included), and
// every POST carries an Idempotency-Key — a fresh one per call unless the caller gives its own.

import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { lambdaContext } from '#dev/api-gateway-event.ts';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { agencyAuthentication, authenticatedAgency } from '#http/agency-auth.ts';
import { createAgencyClient } from '../../../sdk/agency-client.ts';
import { createIssuerClient, PlatformProblemError } from '../../../sdk/issuer.ts';
import { apiGatewayEvent, MemoryKeyRegistry, MemoryNonceStore } from '../http-signatures/fakes.ts';

const NOW = new Date('2025-03-01T08:00:00.000Z');
const ENDPOINT = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod';
const ID = '0b9f3c1e-6a52-4f0e-9d3b-2c7e8f1a4b5d';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  bytes: Uint8Array | undefined;
}

/** A fetch that records each request and answers with the next of `answers` (200 `{}` when none are left). */
function recordingFetch(sent: Sent[], answers: Response[] = []): typeof fetch {
  return async (input, init = {}) => {
    sent.push({
      method: init.method ?? 'GET',
      url: String(input),
      headers: init.headers as Record<string, string>,
      bytes: init.body as Uint8Array | undefined,
    });
    return answers.shift() ?? Response.json({});
  };
}

function issuer(sent: Sent[], answers?: Response[]) {
  return createIssuerClient(
    createAgencyClient({
      endpoint: ENDPOINT,
      keyId: 'demo-psb-1',
      algorithm: 'ecdsa-p256-sha256',
      privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256'),
      fetch: recordingFetch(sent, answers),
      now: () => NOW,
    }),
  );
}

const bodyOf = (sent: Sent) =>
  sent.bytes === undefined ? undefined : JSON.parse(new TextDecoder().decode(sent.bytes));

/** Who the platform's signature check takes the sender of `sent` for (null when it refuses). */
async function authenticatedAs(sent: Sent): Promise<unknown> {
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
    method: sent.method,
    url: sent.url,
    headers: Object.entries(sent.headers),
    ...(sent.bytes === undefined ? {} : { body: sent.bytes }),
  });
  const result = await handler(event, lambdaContext('test', 'req-1'));
  return result.statusCode === 200 ? JSON.parse(result.body) : null;
}

describe('issuer application review', () => {
  test('reads the queue and one application with signed GETs, no body and no Idempotency-Key', async () => {
    const sent: Sent[] = [];
    const client = issuer(sent);
    await client.applications();
    await client.applications({ state: 'info-requested', limit: 5, cursor: 'next page' });
    await client.application(ID);
    expect(sent.map((s) => [s.method, s.url, s.bytes])).toEqual([
      ['GET', `${ENDPOINT}/applications`, undefined],
      // The canonical target URI: parameters sorted by name, encoded with encodeURIComponent.
      ['GET', `${ENDPOINT}/applications?cursor=next%20page&limit=5&state=info-requested`, undefined],
      ['GET', `${ENDPOINT}/applications/${ID}`, undefined],
    ]);
    for (const request of sent) {
      expect(request.headers).not.toHaveProperty('idempotency-key');
      expect(await authenticatedAs(request)).toMatchObject({
        agency: DEMO_USCC.publicSecurityBureau,
        keyId: 'demo-psb-1',
      });
    }
  });

  test('request-info, approve and reject post their bodies, signed, each with a fresh Idempotency-Key', async () => {
    const sent: Sent[] = [];
    const client = issuer(sent);
    await client.requestInformation(ID, '请补充户口簿首页');
    await client.approve(ID);
    await client.approve(ID, {
      data: { 签发机关: '演示市公安局示例分局' },
      validity: { from: '2025-03-01', until: '2045-03-01' },
      note: '准予颁发',
    });
    await client.reject(ID, '照片不符合要求');
    expect(sent.map((s) => [s.method, s.url, bodyOf(s)])).toEqual([
      ['POST', `${ENDPOINT}/applications/${ID}/request-info`, { note: '请补充户口簿首页' }],
      ['POST', `${ENDPOINT}/applications/${ID}/approve`, {}],
      [
        'POST',
        `${ENDPOINT}/applications/${ID}/approve`,
        {
          data: { 签发机关: '演示市公安局示例分局' },
          validity: { from: '2025-03-01', until: '2045-03-01' },
          note: '准予颁发',
        },
      ],
      ['POST', `${ENDPOINT}/applications/${ID}/reject`, { reason: '照片不符合要求' }],
    ]);
    const keys = sent.map((s) => s.headers['idempotency-key']);
    for (const key of keys) expect(key).toMatch(UUID);
    expect(new Set(keys).size).toBe(4);
    for (const request of sent) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['signature-input']).toContain('"content-digest"');
      expect(await authenticatedAs(request)).toMatchObject({ agency: DEMO_USCC.publicSecurityBureau });
    }
  });

  test('sends the caller’s Idempotency-Key when given, so a retry is the same operation', async () => {
    const sent: Sent[] = [];
    const client = issuer(sent);
    await client.approve(ID, {}, { idempotencyKey: 'approve-once' });
    await client.approve(ID, {}, { idempotencyKey: 'approve-once' });
    await client.requestInformation(ID, '补正', { idempotencyKey: 'ask-1' });
    await client.reject(ID, '不符合条件', { idempotencyKey: 'reject-1' });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual([
      'approve-once',
      'approve-once',
      'ask-1',
      'reject-1',
    ]);
  });

  test('resolves with the approval’s answer and rejects a refusal with the platform’s problem', async () => {
    const approved = {
      application: { id: ID, state: 'approved', licenseId: 'license-1' },
      license: { licenseId: 'license-1', version: '001' },
    };
    const problem = {
      type: 'urn:elicense:problem:conflict',
      title: 'The request conflicts with the current state',
      status: 409,
      detail: 'approve is not allowed from approved',
    };
    const client = issuer(
      [],
      [
        Response.json(approved),
        new Response(JSON.stringify(problem), {
          status: 409,
          headers: { 'content-type': 'application/problem+json' },
        }),
      ],
    );
    expect(await client.approve(ID)).toEqual(approved);
    const refusal = await client.approve(ID).catch((e) => e);
    expect(refusal).toBeInstanceOf(PlatformProblemError);
    expect(refusal).toMatchObject({ status: 409, problem });
  });
});

// The holder SDK's account, proofing and application calls: each sends the route's method, path
// and JSON body with the caller's current access token, and hands back the platform's answer —
// or its problem+json as a PlatformProblemError.

import { describe, expect, test } from 'vitest';
import {
  createHolderClient,
  PlatformProblemError,
  PlatformUnreachableError,
  resolvePresentation,
} from '../../../sdk/holder.ts';

const ENDPOINT = 'http://127.0.0.1:3000';
const ID = '0b9f3c1e-6a52-4f0e-9d3b-2c7e8f1a4b5d';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers with the next of `answers` (200 `{}` when none are left). */
function recordingFetch(sent: Sent[], answers: Response[] = []): typeof fetch {
  return async (input, init = {}) => {
    sent.push({
      method: init.method ?? 'GET',
      url: String(input),
      headers: init.headers as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(init.body as string),
    });
    return answers.shift() ?? Response.json({});
  };
}

function holder(sent: Sent[], answers?: Response[], token: string | (() => string) = 'token-1') {
  return createHolderClient({ endpoint: ENDPOINT, token, fetch: recordingFetch(sent, answers) });
}

const application = {
  id: ID,
  typeCode: '11100000000013338W001',
  agency: '11100000000013338W',
  holderAccount: 'account-1',
  holderCodeType: '111',
  state: 'submitted',
  created: '2025-03-01T08:00:00.000Z',
  updated: '2025-03-01T08:00:00.000Z',
  version: 1,
  data: { 姓名: '赵申请' },
  attachments: [],
  history: [],
};

describe('holder applications', () => {
  test('apply posts the request as JSON with the bearer token and resolves with the application', async () => {
    const sent: Sent[] = [];
    const request = {
      typeCode: '11100000000013338W001',
      data: { 姓名: '赵申请', 住址: '演示市示例区新路1号' },
      note: '首次申领',
      attachments: [{ mediaType: 'application/pdf' as const, content: 'JVBERi0xLjQ=' }],
    };
    const answer = await holder(sent, [Response.json(application, { status: 201 })]).apply(request);
    expect(answer).toEqual(application);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: `${ENDPOINT}/holder/applications`,
        headers: { authorization: 'Bearer token-1', 'content-type': 'application/json' },
        body: request,
      },
    ]);
  });

  test('lists, reads and pages with GETs that carry no body', async () => {
    const sent: Sent[] = [];
    const client = holder(sent);
    await client.applications();
    await client.applications({ limit: 5, cursor: 'next page' });
    await client.application('a/b');
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ['GET', `${ENDPOINT}/holder/applications`, undefined],
      ['GET', `${ENDPOINT}/holder/applications?limit=5&cursor=next+page`, undefined],
      ['GET', `${ENDPOINT}/holder/applications/a%2Fb`, undefined],
    ]);
    expect(sent.map((s) => s.headers)).toEqual(Array(3).fill({ authorization: 'Bearer token-1' }));
  });

  test('respond and withdraw post to the application’s action with the answer', async () => {
    const sent: Sent[] = [];
    const client = holder(sent);
    await client.respond(ID, { note: '已更正', data: { 住址: '新址', 曾用名: null } });
    await client.withdraw(ID);
    await client.withdraw(ID, '不再需要');
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      [
        'POST',
        `${ENDPOINT}/holder/applications/${ID}/respond`,
        { note: '已更正', data: { 住址: '新址', 曾用名: null } },
      ],
      ['POST', `${ENDPOINT}/holder/applications/${ID}/withdraw`, {}],
      ['POST', `${ENDPOINT}/holder/applications/${ID}/withdraw`, { note: '不再需要' }],
    ]);
  });

  test('a refusal rejects with the platform’s problem', async () => {
    const problem = {
      type: 'urn:elicense:problem:identity-not-proofed',
      title: 'The holder account is not bound to a proofed identity; complete an identity proofing first',
      status: 403,
    };
    const client = holder(
      [],
      [
        new Response(JSON.stringify(problem), {
          status: 403,
          headers: { 'content-type': 'application/problem+json' },
        }),
      ],
    );
    const refusal = await client.apply({ typeCode: '11100000000013338W001', data: {} }).catch((e) => e);
    expect(refusal).toBeInstanceOf(PlatformProblemError);
    expect(refusal).toMatchObject({ status: 403, problem });
  });
});

describe('an application under an Idempotency-Key', () => {
  const request = { typeCode: '11100000000013338W001', data: { 姓名: '赵申请' } };

  test('apply sends the key given, and none unless given', async () => {
    const sent: Sent[] = [];
    const client = holder(sent);
    await client.apply(request, { idempotencyKey: 'apply-0b9f3c1e' });
    await client.apply(request);
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['apply-0b9f3c1e', undefined]);
  });

  test('a refusal and a lost answer carry the key to retry under', async () => {
    const unavailable = new Response(
      JSON.stringify({ type: 'urn:elicense:problem:dependency-unavailable', title: 'busy', status: 503 }),
      { status: 503 },
    );
    const refusal = await holder([], [unavailable])
      .apply(request, { idempotencyKey: 'apply-1' })
      .catch((e) => e);
    expect(refusal).toBeInstanceOf(PlatformProblemError);
    expect(refusal).toMatchObject({ status: 503, idempotencyKey: 'apply-1' });
    const lost = createHolderClient({
      endpoint: ENDPOINT,
      token: 't',
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    const unreachable = await lost.apply(request, { idempotencyKey: 'apply-1' }).catch((e) => e);
    expect(unreachable).toBeInstanceOf(PlatformUnreachableError);
    expect(unreachable).toMatchObject({ idempotencyKey: 'apply-1', cause: { message: 'fetch failed' } });
  });

  test.each([
    ['a space', 'apply 1'],
    ['a non-ASCII character', '申请-1'],
    ['nothing', ''],
    ['256 characters', 'k'.repeat(256)],
  ])('a key with %s is refused before anything is sent', async (_, key) => {
    const sent: Sent[] = [];
    const refusal = await holder(sent)
      .apply(request, { idempotencyKey: key })
      .catch((e) => e);
    expect(refusal).toBeInstanceOf(TypeError);
    expect((refusal as Error).message).toContain('printable ASCII');
    expect(sent).toEqual([]);
  });
});

describe('holder account and proofing', () => {
  test('me reads the account; proof posts the claimed identity and evidence', async () => {
    const sent: Sent[] = [];
    const account = { account: 'account-1' };
    const client = holder(sent, [Response.json(account)]);
    expect(await client.me()).toEqual(account);
    const request = {
      provider: 'development-only',
      identity: { codeType: '111' as const, code: '11010519491231002X', name: '赵申请' },
      evidence: { token: 'development-only-not-a-real-proof' },
    };
    await client.proof(request);
    await client.proofings();
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ['GET', `${ENDPOINT}/holder/me`, undefined],
      ['POST', `${ENDPOINT}/holder/proofings`, request],
      ['GET', `${ENDPOINT}/holder/proofings`, undefined],
    ]);
  });

  test('a token function is asked for a current token on every request', async () => {
    const sent: Sent[] = [];
    let issued = 0;
    const client = holder(sent, [], () => `token-${++issued}`);
    await client.me();
    await client.applications();
    expect(sent.map((s) => s.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });
});

describe('an endpoint with a path of its own', () => {
  test('keeps it: an API Gateway stage URL such as …/prod', async () => {
    const sent: Sent[] = [];
    const client = createHolderClient({
      endpoint: 'https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod/',
      token: 't',
      fetch: recordingFetch(sent),
    });
    await client.me();
    await resolvePresentation(
      'https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod',
      'ref-1',
      recordingFetch(sent),
    );
    expect(sent.map((s) => s.url)).toEqual([
      'https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod/holder/me',
      'https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod/presentations/ref-1',
    ]);
  });
});

import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { problemResponse } from '#http/problem.ts';
import type { RouteSpec } from '#http/route-spec.ts';
import { createRouter } from '#http/router.ts';
import { matchRoute } from '#http/routes.ts';

const table: RouteSpec[] = [
  {
    method: 'GET',
    path: '/open',
    group: 'issuer',
    operationId: 'open',
    summary: '',
    auth: { kind: 'none' },
    responses: {},
  },
  {
    method: 'POST',
    path: '/licenses',
    group: 'issuer',
    operationId: 'issue',
    summary: '',
    auth: { kind: 'agency', roles: ['issuer'] },
    responses: {},
  },
];
const context = { awsRequestId: 'r-1' } as Context;
const event = (httpMethod: string, resource: string) =>
  ({ httpMethod, resource, requestContext: {} }) as unknown as APIGatewayProxyEvent;
const ok = async () => ({ statusCode: 200, body: 'done' });

describe('createRouter', () => {
  it('refuses to build a group with agency routes and no authenticator', () => {
    expect(() => createRouter('issuer', { open: ok, issue: ok }, {}, table)).toThrow(/no authenticator/);
  });

  it('answers with the authenticator’s problem and never runs the route', async () => {
    let ran = false;
    const roles: (readonly string[])[] = [];
    const router = createRouter(
      'issuer',
      {
        open: ok,
        issue: async () => {
          ran = true;
          return { statusCode: 201, body: '' };
        },
      },
      {
        authenticate: async (_event, required) => {
          roles.push(required);
          return problemResponse('unauthorized', 'signature: no Signature field', {
            check: 'missing-signature',
          });
        },
      },
      table,
    );
    const response = await router(event('POST', '/licenses'), context);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ check: 'missing-signature' });
    expect(ran).toBe(false);
    expect(roles).toEqual([['issuer']]);
  });

  it('runs an agency route once authenticated, and a public route without asking', async () => {
    let asked = 0;
    const router = createRouter(
      'issuer',
      { open: ok, issue: async () => ({ statusCode: 201, body: 'issued' }) },
      {
        authenticate: async () => {
          asked += 1;
          return undefined;
        },
      },
      table,
    );
    expect((await router(event('POST', '/licenses'), context)).statusCode).toBe(201);
    expect((await router(event('GET', '/open'), context)).statusCode).toBe(200);
    expect(asked).toBe(1);
  });

  it('refuses any query parameter on a route that declares none, and leaves a declared query to its route', async () => {
    let ran = 0;
    const run = async () => {
      ran += 1;
      return { statusCode: 200, body: 'done' };
    };
    const listed: RouteSpec = {
      ...table[0]!,
      path: '/list',
      operationId: 'list',
      query: { limit: 'page size' },
    };
    const router = createRouter(
      'issuer',
      { open: run, issue: ok, list: run },
      { authenticate: async () => undefined },
      [...table, listed],
    );
    const withQuery = (resource: string, query: Record<string, string>) =>
      ({
        ...event('GET', resource),
        queryStringParameters: query,
        multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
      }) as APIGatewayProxyEvent;

    const refused = await router(withQuery('/open', { version: '002' }), context);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({
      type: expect.stringContaining('validation-failed'),
      errors: [{ path: '(query)', message: expect.stringContaining('version') }],
    });
    expect(ran).toBe(0);

    expect((await router(withQuery('/list', { limit: '5' }), context)).statusCode).toBe(200);
    expect((await router(event('GET', '/open'), context)).statusCode).toBe(200);
    expect(ran).toBe(2);

    // A public document a CDN serves without its query is answered with the query ignored.
    const cached: RouteSpec = { ...table[0]!, path: '/cached', operationId: 'cached', queryIgnored: true };
    const documents = createRouter(
      'issuer',
      { open: run, issue: ok, cached: run },
      { authenticate: async () => undefined },
      [...table, cached],
    );
    expect((await documents(withQuery('/cached', { _: '1700000000' }), context)).statusCode).toBe(200);
    expect(ran).toBe(3);
  });
});

describe('domain errors', () => {
  it('become their documented problem, with the error’s own words and code', async () => {
    const { LicenseNotFound } = await import('#core/storage-errors.ts');
    const router = createRouter(
      'issuer',
      {
        open: async () => {
          throw new LicenseNotFound('1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F');
        },
        issue: ok,
      },
      { authenticate: async () => undefined },
      table,
    );
    const response = await router(event('GET', '/open'), context);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({
      type: 'urn:elicense:problem:not-found',
      code: 'LICENSE_NOT_FOUND',
    });
  });

  it('keep their RFC 9457 members whatever the error’s own members are called', () => {
    // An error's members (`problemMembers`) are its own affair; none may stand in for these.
    const response = problemResponse('conflict', 'changed', { status: 'revoked', title: 'x', type: 'y' });
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toEqual({
      type: 'urn:elicense:problem:conflict',
      title: 'The request conflicts with the current state',
      status: 409,
      detail: 'changed',
    });
  });

  it('leave anything unknown an internal error that tells nothing', async () => {
    const router = createRouter(
      'issuer',
      {
        open: async () => {
          throw new Error('secret detail');
        },
        issue: ok,
      },
      { authenticate: async () => undefined },
      table,
    );
    const response = await router(event('GET', '/open'), context);
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret detail');
  });

  it('answer a verification that could not read its dependencies with 503, its cause only logged', async () => {
    const { VerificationUnavailable } = await import('#app/verification-errors.ts');
    const logged: unknown[] = [];
    const router = createRouter(
      'issuer',
      {
        open: async () => {
          throw new VerificationUnavailable(
            'the issuer key could not be read',
            new Error('AccessDenied: arn:aws:kms:…:key/abcd'),
          );
        },
        issue: ok,
      },
      { authenticate: async () => undefined, onUnexpectedError: (error) => logged.push(error) },
      table,
    );
    const response = await router(event('GET', '/open'), context);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({
      type: 'urn:elicense:problem:dependency-unavailable',
      code: 'VERIFICATION_UNAVAILABLE',
    });
    expect(response.body).not.toContain('arn:');
    expect(((logged[0] as Error).cause as Error).message).toContain('arn:aws:kms');
  });
});

describe('AWS SDK errors', () => {
  const answerTo = async (thrown: unknown) => {
    const logged: unknown[] = [];
    const router = createRouter(
      'issuer',
      {
        open: async () => {
          throw thrown;
        },
        issue: ok,
      },
      { authenticate: async () => undefined, onUnexpectedError: (error) => logged.push(error) },
      table,
    );
    const response = await router(event('GET', '/open'), context);
    return { response, logged };
  };

  it('answer a store that is throttled, unreachable or failing on its side with 503, the cause logged', async () => {
    const { InternalServerError, ProvisionedThroughputExceededException } = await import(
      '@aws-sdk/client-dynamodb'
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    for (const thrown of [
      new ProvisionedThroughputExceededException({ message: 'rate', $metadata: { httpStatusCode: 400 } }),
      new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
      refused,
    ]) {
      const { response, logged } = await answerTo(thrown);
      expect(response.statusCode, (thrown as Error).name).toBe(503);
      expect(JSON.parse(response.body)).toMatchObject({
        type: 'urn:elicense:problem:dependency-unavailable',
      });
      expect(response.body).not.toContain((thrown as Error).message);
      expect(logged).toEqual([thrown]);
    }
  });

  it('leave a request the service refused as malformed, unauthorised or over a quota an internal error', async () => {
    const { ResourceNotFoundException } = await import('@aws-sdk/client-dynamodb');
    const denied = Object.assign(new Error('User is not authorized to perform: kms:Sign'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    // A quota no retry meets: KMS's key count, which the SDK counts among throttling errors.
    const quota = Object.assign(new Error('too many keys in this account'), {
      name: 'LimitExceededException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    for (const thrown of [
      new ResourceNotFoundException({ message: 'no table', $metadata: { httpStatusCode: 400 } }),
      denied,
      quota,
    ]) {
      const { response } = await answerTo(thrown);
      expect(response.statusCode, (thrown as Error).name).toBe(500);
      expect(response.body).not.toContain((thrown as Error).message);
    }
  });
});

describe('matchRoute', () => {
  it('hands over path parameters percent-decoded', () => {
    const match = matchRoute('GET', '/license-types/%E4%B8%AD-1');
    expect(match.route?.operationId).toBeDefined();
    expect(match.route && match.pathParameters).toEqual({ code: '中-1' });
  });

  // A segment that is not percent-encoded UTF-8 can be no identifier of ours: no such resource.
  it.each([
    ['GET', '/license-types/%ZZ'],
    ['GET', '/presentations/%E4%B8'],
    ['GET', '/holder/licenses/%'],
    ['GET', '/status-lists/%C0'],
  ])('matches no route for %s %s, whose parameter does not decode, instead of throwing', (method, path) => {
    expect(matchRoute(method, path)).toEqual({ route: undefined, methods: [] });
  });
});

describe('asBatchItemProblem', () => {
  it('tells the issuer to send the batch again with the same key for an item the store failed on, never the item in a new request', async () => {
    const { asBatchItemProblem, unsettledBatchItem } = await import('#http/domain-problems.ts');
    const { HttpProblem } = await import('#http/problem.ts');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const unreachable = asBatchItemProblem(refused) as InstanceType<typeof HttpProblem>;
    expect(unreachable.problemType).toBe('dependency-unavailable');
    expect(unreachable.message).toMatch(
      /may have been issued .*send the batch again with the same Idempotency-Key.* not remembered .*Not the item in a new request/,
    );
    // Its answer is then not remembered, so that same key runs the batch again.
    expect(unsettledBatchItem(refused)).toBe(true);
  });

  it('tells the issuer to send the same body again, every item in its place, since a moved item names another license', async () => {
    const { asBatchItemProblem } = await import('#http/domain-problems.ts');
    const { StoreBusy } = await import('#core/storage-errors.ts');
    // With no answer remembered the key no longer refuses a changed body: a batch resent without
    // an item refused 400 moves the items after it, and their derived serials with them.
    const unsettled = [
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      new StoreBusy('issue-license', ['ThrottlingError']),
    ];
    for (const error of unsettled) {
      expect(asBatchItemProblem(error)).toMatchObject({
        message: expect.stringMatching(
          /same Idempotency-Key and the same body, every item in its place \(the refused ones too: an item’s serial follows its position/,
        ),
      });
    }
  });

  it('tells the issuer to send the batch again with the same key for an item refused with nothing written for a passing reason', async () => {
    const { asBatchItemProblem, unsettledBatchItem } = await import('#http/domain-problems.ts');
    const { DeviceKeyChangedMeanwhile, StoreBusy } = await import('#core/storage-errors.ts');
    const { SealKeyUnusable } = await import('#app/issuer-errors.ts');
    const busyError = new StoreBusy('issue-license', ['ThrottlingError']);
    const busy = asBatchItemProblem(busyError);
    expect(busy).toMatchObject({
      status: 503,
      problemType: 'dependency-unavailable',
      extensions: { code: 'STORE_BUSY' },
      message: expect.stringMatching(/not written .*send the batch again with the same Idempotency-Key/),
    });
    const unusableError = new SealKeyUnusable('11330100D0000011XM', 'seal-kid-1');
    const unusable = asBatchItemProblem(unusableError);
    expect(unusable).toMatchObject({
      status: 409,
      problemType: 'conflict',
      extensions: { code: 'SEAL_KEY_UNUSABLE' },
      message: expect.stringMatching(
        /seal-kid-1 .*nothing was written .*send the batch again with the same Idempotency-Key/,
      ),
    });
    const deviceKeyError = new DeviceKeyChangedMeanwhile('dk-1');
    expect((asBatchItemProblem(deviceKeyError) as Error).message).toMatch(
      /a batch item: the batch, with the same Idempotency-Key/,
    );
    for (const problem of [busy, unusable]) {
      expect((problem as Error).message).not.toMatch(/send the request again|in a new request/);
    }
    for (const error of [busyError, unusableError, deviceKeyError])
      expect(unsettledBatchItem(error)).toBe(true);
  });

  it('lets a batch answer be remembered when its items were issued or refused for what they asked', async () => {
    const { unsettledBatchItem } = await import('#http/domain-problems.ts');
    const { LicenseAlreadyExists } = await import('#core/storage-errors.ts');
    const { LicenseDataInvalid } = await import('#app/issuer-errors.ts');
    expect(unsettledBatchItem(new LicenseAlreadyExists('1.2.156.3005.2.x'))).toBe(false);
    expect(
      unsettledBatchItem(new LicenseDataInvalid([{ path: 'data.性别', code: 'enum', message: 'bad' }])),
    ).toBe(false);
    // Anything unexpected is a 500 whose write may have happened: not remembered either.
    expect(unsettledBatchItem(new Error('a bug'))).toBe(true);
  });
});

// Idempotency-Key inside a route: Powertools' function wrapper over an in-memory persistence
// layer with the platform's settings — what is remembered, what is keyed apart, what is refused.

import { createHash, createHmac } from 'node:crypto';
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_CONFIG } from '#adapters/aws/idempotency.ts';
import { lambdaContext } from '#dev/api-gateway-event.ts';
import { AnswerNotRemembered, idempotentRequests } from '#http/idempotency.ts';
import { HttpProblem } from '#http/problem.ts';

/** Records in a Map, with DynamoDB's put condition: absent, or expired; a put fails while `failure` is set, a delete while `deleteFailure` is. */
class MemoryPersistence extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();
  failure: Error | undefined;
  deleteFailure: Error | undefined;

  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    if (this.failure) throw this.failure;
    const existing = this.records.get(record.idempotencyKey);
    if (existing && !existing.isExpired()) {
      throw new IdempotencyItemAlreadyExistsError('exists', existing);
    }
    this.records.set(record.idempotencyKey, record);
  }
  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }
  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    if (this.deleteFailure) throw this.deleteFailure;
    this.records.delete(record.idempotencyKey);
  }
}

function event(
  overrides: { key?: string | null; agency?: string; path?: string; body?: string; headerName?: string } = {},
): APIGatewayProxyEvent {
  const { key = 'key-1', agency = '11330100D0000011XM', path = '/licenses', body = '{"a":1}' } = overrides;
  const headerName = overrides.headerName ?? 'Idempotency-Key';
  return {
    httpMethod: 'POST',
    path,
    resource: path,
    body,
    isBase64Encoded: false,
    headers: { 'Content-Type': 'application/json', ...(key === null ? {} : { [headerName]: key }) },
    requestContext: {
      authorizer: { agency, keyId: 'k', keyThumbprint: 'thumbprint-of-k', roles: ['issuer'] },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** The body's digest keyed as the handler keys it (the blind index's HMAC), under `secret`. */
const keyedDigest = (secret: string) => async (body: string) =>
  createHmac('sha256', secret).update(body).digest('base64url');

function setup(secret = 'blind-index-key') {
  const persistenceStore = new MemoryPersistence();
  const idempotent = idempotentRequests({
    persistenceStore,
    config: IDEMPOTENCY_CONFIG,
    keyPrefix: 'issuer',
    bodyDigest: keyedDigest(secret),
  });
  let runs = 0;
  const work = async () => {
    runs += 1;
    return { statusCode: 201, headers: {}, body: JSON.stringify({ run: runs }) };
  };
  const context: Context = lambdaContext('test', 'req');
  return { persistenceStore, idempotent, work, context, runs: () => runs };
}

describe('idempotentRequests', () => {
  it('runs the work once and answers a repeat with the first response, whatever the header’s case', async () => {
    const s = setup();
    const first = await s.idempotent(event(), s.context, s.work);
    const again = await s.idempotent(event({ headerName: 'idempotency-key' }), s.context, s.work);
    expect(first.body).toBe('{"run":1}');
    expect(again).toEqual(first);
    expect(s.runs()).toBe(1);
    const [key] = [...s.persistenceStore.records.keys()];
    // SHA-256, base64: the key itself and the agency are not readable from the record.
    expect(key).toMatch(/^issuer#[A-Za-z0-9+/]{43}=$/);
  });

  it('keys apart other agencies, other paths and other keys', async () => {
    const s = setup();
    await s.idempotent(event(), s.context, s.work);
    await s.idempotent(event({ agency: '11330100D00000128M' }), s.context, s.work);
    await s.idempotent(event({ path: '/licenses/batch' }), s.context, s.work);
    await s.idempotent(event({ key: 'key-2' }), s.context, s.work);
    expect(s.runs()).toBe(4);
  });

  it('refuses the same key with another body as idempotency-key-reused, running nothing', async () => {
    const s = setup();
    await s.idempotent(event(), s.context, s.work);
    const reused = s.idempotent(event({ body: '{"a":2}' }), s.context, s.work);
    await expect(reused).rejects.toBeInstanceOf(HttpProblem);
    await expect(reused).rejects.toMatchObject({ problemType: 'idempotency-key-reused' });
    expect(s.runs()).toBe(1);
  });

  it('keeps no bare hash of the body: what it keeps depends on a secret, so a guessed body cannot be tested', async () => {
    // An approval's body with one correction (a birth date) is small enough to guess.
    const body = '{"data":{"出生":"1987-03-14"}}';
    const kept = [];
    for (const secret of ['one key', 'another key']) {
      const s = setup(secret);
      await s.idempotent(event({ body }), s.context, s.work);
      const [record] = [...s.persistenceStore.records.values()];
      kept.push(record!.payloadHash);
    }
    const bare = (data: string) => createHash('sha256').update(data).digest('base64');
    expect(kept[0]).toBeDefined();
    expect(kept[0]).not.toBe(kept[1]);
    expect(kept).not.toContain(bare(JSON.stringify(body)));
    expect(kept).not.toContain(bare(body));
  });

  it('requires the header, in a printable form', async () => {
    const s = setup();
    await expect(s.idempotent(event({ key: null }), s.context, s.work)).rejects.toMatchObject({
      problemType: 'bad-request',
      message: expect.stringMatching(/Idempotency-Key header is required/),
    });
    await expect(s.idempotent(event({ key: 'with space' }), s.context, s.work)).rejects.toMatchObject({
      problemType: 'bad-request',
    });
    expect(s.runs()).toBe(0);
  });

  it('forgets a request whose work failed, so it can be sent again', async () => {
    const s = setup();
    const failing = async () => {
      throw new HttpProblem('validation-failed', 'bad');
    };
    await expect(s.idempotent(event(), s.context, failing)).rejects.toMatchObject({
      problemType: 'validation-failed',
    });
    expect(s.persistenceStore.records.size).toBe(0);
    expect((await s.idempotent(event(), s.context, s.work)).statusCode).toBe(201);
  });

  it('answers an answer it is told not to remember, and runs the work again for the same key', async () => {
    const s = setup();
    const unremembered = async () => {
      const response = await s.work();
      throw new AnswerNotRemembered(response);
    };
    const first = await s.idempotent(event(), s.context, unremembered);
    expect(first).toMatchObject({ statusCode: 201, body: '{"run":1}' });
    expect(s.persistenceStore.records.size).toBe(0);
    const again = await s.idempotent(event(), s.context, s.work);
    expect(again.body).toBe('{"run":2}');
    expect(s.runs()).toBe(2);
  });

  it('still answers an answer not to remember when its record cannot be released', async () => {
    const s = setup();
    s.persistenceStore.deleteFailure = new Error('ProvisionedThroughputExceededException');
    const answer = await s.idempotent(event(), s.context, async () => {
      throw new AnswerNotRemembered(await s.work());
    });
    expect(answer).toMatchObject({ statusCode: 201, body: '{"run":1}' });
    // The record stays in progress until the function's deadline; the same key runs again after it.
    const [record] = [...s.persistenceStore.records.values()];
    expect(record?.getStatus()).toBe('INPROGRESS');
    expect(record?.inProgressExpiryTimestamp).toBeGreaterThan(Date.now());
  });

  it('answers 503 dependency-unavailable, running nothing, when its records cannot be reached', async () => {
    const s = setup();
    s.persistenceStore.failure = new Error('ProvisionedThroughputExceededException');
    await expect(s.idempotent(event(), s.context, s.work)).rejects.toMatchObject({
      problemType: 'dependency-unavailable',
      status: 503,
      message: expect.stringMatching(/same Idempotency-Key/),
    });
    expect(s.runs()).toBe(0);
  });

  it('answers 503 saying nothing was done, running nothing, when the key of its digest cannot be read', async () => {
    const persistenceStore = new MemoryPersistence();
    // As KMS answers a Decrypt of the blind-index key blob it throttles (after the SDK's retries).
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const idempotent = idempotentRequests({
      persistenceStore,
      config: IDEMPOTENCY_CONFIG,
      keyPrefix: 'issuer',
      bodyDigest: async () => {
        throw throttled;
      },
    });
    let runs = 0;
    const work = async () => {
      runs += 1;
      return { statusCode: 201, headers: {}, body: '{}' };
    };
    await expect(idempotent(event(), lambdaContext('test', 'req'), work)).rejects.toMatchObject({
      problemType: 'dependency-unavailable',
      status: 503,
      message: expect.stringMatching(/nothing was done/),
    });
    expect(runs).toBe(0);
    expect(persistenceStore.records.size).toBe(0);
  });

  it('answers a copy arriving while the first still runs with a conflict', async () => {
    const s = setup();
    let release: () => void = () => {};
    const slow = async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return s.work();
    };
    const first = s.idempotent(event(), s.context, slow);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(s.idempotent(event(), s.context, s.work)).rejects.toMatchObject({ problemType: 'conflict' });
    release();
    expect((await first).statusCode).toBe(201);
    expect(s.runs()).toBe(1);
  });
});

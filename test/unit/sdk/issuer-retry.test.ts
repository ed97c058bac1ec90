// A POST the platform refused, failed (503) or never answered can be retried as the same
// operation only under the same Idempotency-Key: the issuer client's errors carry the key it sent,
// the one it drew as well as one the caller gave.
import { describe, expect, test } from 'vitest';
import { demoPrivateKey } from '#dev/demo/catalog.ts';
import { createAgencyClient } from '../../../sdk/agency-client.ts';
import { createIssuerClient, PlatformProblemError, PlatformUnreachableError } from '../../../sdk/issuer.ts';

const ENDPOINT = 'https://platform.test/prod';
const REQUEST = {
  typeCode: '11100000000013338W032',
  holder: { name: '张三', codeType: '111', code: '11010519491231002X' },
  data: {},
};

/** An issuer client whose fetch records each Idempotency-Key sent and then calls `answer`. */
function issuer(sentKeys: string[], answer: () => Promise<Response>) {
  return createIssuerClient(
    createAgencyClient({
      endpoint: ENDPOINT,
      keyId: 'demo-psb-1',
      algorithm: 'ecdsa-p256-sha256',
      privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256'),
      fetch: async (_url, init = {}) => {
        sentKeys.push((init.headers as Record<string, string>)['idempotency-key'] ?? '');
        return answer();
      },
    }),
  );
}

const unavailable = () =>
  Promise.resolve(
    new Response(
      JSON.stringify({
        type: 'urn:elicense:problem:dependency-unavailable',
        title: 'A dependency is unavailable',
        status: 503,
      }),
      { status: 503, headers: { 'content-type': 'application/problem+json' } },
    ),
  );

/** A 201 whose body breaks off after its first bytes, as a dropped connection leaves it. */
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

describe('retrying an issuer POST', () => {
  test('an answer whose body breaks off rejects with PlatformUnreachableError carrying the key', async () => {
    const sent: string[] = [];
    const error = await issuer(sent, brokenOff)
      .issueLicense(REQUEST)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as PlatformUnreachableError).idempotencyKey).toBe(sent[0]);
  });

  test('a problem answer carries the Idempotency-Key the client drew', async () => {
    const sent: string[] = [];
    const error = await issuer(sent, unavailable)
      .issueLicense(REQUEST)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformProblemError);
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toBe('');
    expect((error as PlatformProblemError).idempotencyKey).toBe(sent[0]);
  });

  test('an unreachable platform rejects with PlatformUnreachableError carrying the key and the cause', async () => {
    const sent: string[] = [];
    const cause = new TypeError('fetch failed');
    const error = await issuer(sent, () => Promise.reject(cause))
      .revoke('license-1', '错误颁发')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect(error).toMatchObject({ idempotencyKey: sent[0], cause });
    expect((error as Error).message).toContain(sent[0]);
  });

  test('a retry with the key from the error sends the same key', async () => {
    const sent: string[] = [];
    const client = issuer(sent, unavailable);
    const error = (await client.issueBatch([REQUEST]).catch((e: unknown) => e)) as PlatformProblemError;
    await client.issueBatch([REQUEST], { idempotencyKey: error.idempotencyKey }).catch(() => {});
    expect(sent).toEqual([error.idempotencyKey, error.idempotencyKey]);
  });

  test('a key the caller gave is the one the error carries', async () => {
    const error = await issuer([], unavailable)
      .approve('0b9f3c1e-6a52-4f0e-9d3b-2c7e8f1a4b5d', {}, { idempotencyKey: 'approve-once' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ idempotencyKey: 'approve-once', status: 503 });
  });

  test('a GET’s problem carries no key', async () => {
    const error = await issuer([], unavailable)
      .applications()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformProblemError);
    expect((error as PlatformProblemError).idempotencyKey).toBeUndefined();
  });
});

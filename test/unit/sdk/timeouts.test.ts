// Every client of the SDK can give up on a platform that does not answer: a timeout or the
// caller's AbortSignal aborts the fetch, and the call rejects instead of waiting for ever.
import { describe, expect, test } from 'vitest';
import { demoPrivateKey } from '#dev/demo/catalog.ts';
import { createAgencyClient } from '../../../sdk/agency-client.ts';
import { createHolderClient, resolvePresentation } from '../../../sdk/holder.ts';
import { createIssuerClient, PlatformUnreachableError } from '../../../sdk/issuer.ts';

const ENDPOINT = 'https://platform.test';

/** A fetch that never answers; like the real one, it rejects with the reason its signal aborts with. */
const silent: typeof fetch = (_input, init = {}) =>
  new Promise((_, reject) => {
    const signal = init.signal;
    signal?.addEventListener('abort', () => reject(signal.reason));
  });

/** Answers `begin` (the declaration of an upload) and never anything after it. */
function answeringOnlyTheUploadDeclaration(): typeof fetch {
  return async (input, init = {}) => {
    if (String(input).endsWith('/document-uploads')) {
      return Response.json({
        licenseId: 'license-1',
        upload: 'upload-1',
        url: 'https://bucket.test/upload-1',
        method: 'PUT',
        headers: {},
        expiresAt: '2025-03-01T08:15:00Z',
        sha256: 'x',
        size: 4,
        mediaType: 'application/pdf',
      });
    }
    return silent(input, init);
  };
}

const agency = (fetch: typeof globalThis.fetch, timeoutMs?: number) =>
  createAgencyClient({
    endpoint: ENDPOINT,
    keyId: 'demo-psb-1',
    algorithm: 'ecdsa-p256-sha256',
    privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256'),
    fetch,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (e: unknown) => e,
  );

describe('timeouts and cancellation', () => {
  test('the agency client aborts a request past the client’s or the request’s timeoutMs', async () => {
    expect(await reasonOf(agency(silent, 20).request('GET', '/agencies'))).toMatchObject({
      name: 'TimeoutError',
    });
    expect(await reasonOf(agency(silent).request('GET', '/agencies', { timeoutMs: 20 }))).toMatchObject({
      name: 'TimeoutError',
    });
  });

  test('an issuer POST past its timeout rejects as unreachable, with the key to retry under', async () => {
    const error = await reasonOf(
      createIssuerClient(agency(silent)).revoke('license-1', '错误颁发', {
        timeoutMs: 20,
        idempotencyKey: 'revoke-once',
      }),
    );
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect(error).toMatchObject({ idempotencyKey: 'revoke-once', cause: { name: 'TimeoutError' } });
  });

  test('the caller’s signal aborts an issuer call', async () => {
    const controller = new AbortController();
    const pending = reasonOf(
      createIssuerClient(agency(silent)).application('0b9f3c1e-6a52-4f0e-9d3b-2c7e8f1a4b5d', {
        signal: controller.signal,
      }),
    );
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
  });

  test('uploadDocument gives up on a PUT the document store never answers', async () => {
    const error = await reasonOf(
      createIssuerClient(agency(answeringOnlyTheUploadDeclaration())).uploadDocument(
        'license-1',
        new TextEncoder().encode('%PDF'),
        'application/pdf',
        { fetch: answeringOnlyTheUploadDeclaration(), timeoutMs: 20 },
      ),
    );
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  test('uploadDocument keeps to the client’s timeoutMs, and PUTs through the client’s fetch', async () => {
    const calls: string[] = [];
    const fetch = answeringOnlyTheUploadDeclaration();
    const recording: typeof globalThis.fetch = (input, init) => {
      calls.push(`${init?.method} ${String(input)}`);
      return fetch(input, init);
    };
    const error = await reasonOf(
      createIssuerClient(agency(recording, 20)).uploadDocument(
        'license-1',
        new TextEncoder().encode('%PDF'),
        'application/pdf',
      ),
    );
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(calls).toEqual([
      `POST ${ENDPOINT}/licenses/license-1/document-uploads`,
      'PUT https://bucket.test/upload-1',
    ]);
  });

  test('the holder client and resolvePresentation take a timeout and a signal', async () => {
    const holder = createHolderClient({ endpoint: ENDPOINT, token: 't', fetch: silent, timeoutMs: 20 });
    expect(await reasonOf(holder.licenses())).toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const cancelled = createHolderClient({
      endpoint: ENDPOINT,
      token: 't',
      fetch: silent,
      signal: controller.signal,
    });
    const pending = reasonOf(cancelled.me());
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    expect(
      await reasonOf(resolvePresentation(ENDPOINT, 'ABC123', { fetch: silent, timeoutMs: 20 })),
    ).toMatchObject({ name: 'TimeoutError' });
  });
});

// A signature naming a key id no active key answers to costs the platform the same verification
// as one naming a registered key: a made-up key id must not be told apart by how fast it fails.
// Asserted on the work done (a signature verification, whatever the key), not on time.

import { beforeEach, describe, expect, test, vi } from 'vitest';
import { authenticateAgencyRequest, type SignedRequest } from '#core/http-signatures/index.ts';
import { DEMO_AGENCIES, demoPrivateKey } from '#dev/demo/catalog.ts';
import { signAgencyRequest } from '../../../sdk/agency-client.ts';
import { MemoryKeyRegistry, MemoryNonceStore } from './fakes.ts';

const verifications = vi.hoisted(() => ({ count: 0 }));

vi.mock('#core/http-signatures/algorithms.ts', async (original) => {
  const actual = await original<typeof import('#core/http-signatures/algorithms.ts')>();
  return {
    ...actual,
    verifySignatureBase: (...args: Parameters<typeof actual.verifySignatureBase>) => {
      verifications.count += 1;
      return actual.verifySignatureBase(...args);
    },
  };
});

const NOW = new Date('2025-03-01T08:00:00.000Z');

function signedAs(keyId: string, alg: 'ecdsa-p256-sha256' | 'ed25519', privateKeyOf = keyId): SignedRequest {
  const signed = signAgencyRequest(
    { method: 'GET', url: 'https://api.elicense.example/prod/licenses', created: NOW },
    { keyId, algorithm: alg, privateKey: demoPrivateKey(privateKeyOf, alg) },
  );
  return { method: signed.method, targetUri: signed.url, headers: signed.headers, body: new Uint8Array() };
}

let registry: MemoryKeyRegistry;

beforeEach(() => {
  registry = new MemoryKeyRegistry(DEMO_AGENCIES);
  verifications.count = 0;
});

const authenticate = (request: SignedRequest) =>
  authenticateAgencyRequest(
    request,
    { now: NOW },
    {
      findKey: (keyId) => registry.findApiKey(keyId),
      claimNonce: (keyId, nonce, expiresAt) =>
        new MemoryNonceStore(() => NOW.getTime()).claim(keyId, nonce, expiresAt),
    },
  );

describe('a signature no registered key verifies', () => {
  test.each([
    ['an unknown key id', signedAs('no-such-key-1', 'ecdsa-p256-sha256', 'demo-psb-1')],
    ['an unknown key id, ed25519', signedAs('no-such-key-2', 'ed25519', 'demo-vehicle-1')],
    ['a key id of another algorithm', signedAs('demo-psb-1', 'ed25519', 'demo-vehicle-1')],
  ])('with %s still costs one verification, and fails as any other', async (_, request) => {
    expect(await authenticate(request)).toMatchObject({ ok: false, check: 'signature' });
    expect(verifications.count).toBe(1);
  });

  test('a registered key’s bad signature costs the same one', async () => {
    const request = signedAs('demo-psb-1', 'ecdsa-p256-sha256', 'demo-hpf-1');
    expect(await authenticate(request)).toMatchObject({ ok: false, check: 'signature' });
    expect(verifications.count).toBe(1);
  });
});

// A signature naming a key id no active key answers to costs the platform the same verification
// as one naming a registered key: a made-up key id must not be told apart by how fast it fails,
// nor a registered key's algorithm by how fast its signature is checked. Asserted on the work done
// (signature verifications, counted per algorithm, whatever the key), not on time: with `alg`
// given, one verification of that algorithm on every path; with `alg` omitted, one of each.

import { beforeEach, describe, expect, test, vi } from 'vitest';
import {
  AGENCY_SIGNATURE_LABEL,
  authenticateAgencyRequest,
  type HttpSignatureAlgorithm,
  type SignedRequest,
  signMessage,
} from '#core/http-signatures/index.ts';
import { DEMO_AGENCIES, demoPrivateKey } from '#dev/demo/catalog.ts';
import { signAgencyRequest } from '../../../sdk/agency-client.ts';
import { MemoryKeyRegistry, MemoryNonceStore } from './fakes.ts';

const verifications = vi.hoisted(() => ({ 'ecdsa-p256-sha256': 0, ed25519: 0 }));

vi.mock('#core/http-signatures/algorithms.ts', async (original) => {
  const actual = await original<typeof import('#core/http-signatures/algorithms.ts')>();
  return {
    ...actual,
    verifySignatureBase: (...args: Parameters<typeof actual.verifySignatureBase>) => {
      verifications[args[3]] += 1;
      return actual.verifySignatureBase(...args);
    },
  };
});

const NOW = new Date('2025-03-01T08:00:00.000Z');
const URL_ = 'https://api.elicense.example/prod/licenses';

/** Signed by the SDK, which always names `alg`: the private key of `privateKeyOf` under `keyId`. */
function signedAs(keyId: string, alg: HttpSignatureAlgorithm, privateKeyOf = keyId): SignedRequest {
  const signed = signAgencyRequest(
    { method: 'GET', url: URL_, created: NOW },
    { keyId, algorithm: alg, privateKey: demoPrivateKey(privateKeyOf, alg) },
  );
  return { method: signed.method, targetUri: signed.url, headers: signed.headers, body: new Uint8Array() };
}

/** As signedAs, without `alg` (RFC 9421 §2.3: optional; the key's registered algorithm applies). */
function signedWithoutAlg(keyId: string, alg: HttpSignatureAlgorithm, privateKeyOf = keyId): SignedRequest {
  const signed = signMessage(
    { method: 'GET', targetUri: URL_, headers: {} },
    {
      label: AGENCY_SIGNATURE_LABEL,
      components: ['@method', '@target-uri'],
      parameters: {
        created: Math.floor(NOW.getTime() / 1000),
        nonce: `nonce-of-${keyId}-0123456789`,
        keyid: keyId,
      },
      algorithm: alg,
      privateKey: demoPrivateKey(privateKeyOf, alg),
    },
  );
  return {
    method: 'GET',
    targetUri: URL_,
    headers: { 'signature-input': signed.signatureInput, signature: signed.signature },
    body: new Uint8Array(),
  };
}

let registry: MemoryKeyRegistry;

beforeEach(() => {
  registry = new MemoryKeyRegistry(DEMO_AGENCIES);
  verifications['ecdsa-p256-sha256'] = 0;
  verifications.ed25519 = 0;
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

/** demo-psb-1 registered as revoked. */
function revokePsbKey(): void {
  const agency = DEMO_AGENCIES.find((a) => a.apiKeys.some((k) => k.keyId === 'demo-psb-1'))!;
  const key = { ...agency.apiKeys[0]!, status: 'revoked' as const };
  registry.put({ agency: { ...agency, apiKeys: [key] }, key, agencyVersion: 2 });
}

const FAILED = { ok: false, check: 'signature' };
const ACCEPTED = { ok: true };

describe('with alg given, every path verifies once with that algorithm', () => {
  test.each([
    ['an unknown key id', signedAs('no-such-key-1', 'ecdsa-p256-sha256', 'demo-psb-1'), FAILED],
    ['an unknown key id, ed25519', signedAs('no-such-key-2', 'ed25519', 'demo-vehicle-1'), FAILED],
    ['a P-256 key id with alg ed25519', signedAs('demo-psb-1', 'ed25519', 'demo-vehicle-1'), FAILED],
    [
      'an Ed25519 key id with alg ecdsa-p256-sha256',
      signedAs('demo-vehicle-1', 'ecdsa-p256-sha256', 'demo-psb-1'),
      FAILED,
    ],
    [
      'a registered P-256 key, bad signature',
      signedAs('demo-psb-1', 'ecdsa-p256-sha256', 'demo-hpf-1'),
      FAILED,
    ],
    ['a registered P-256 key', signedAs('demo-psb-1', 'ecdsa-p256-sha256'), ACCEPTED],
    ['a registered Ed25519 key', signedAs('demo-vehicle-1', 'ed25519'), ACCEPTED],
  ] as const)('%s', async (_, request, outcome) => {
    const alg = request.headers['signature-input']!.includes('alg="ed25519"')
      ? 'ed25519'
      : 'ecdsa-p256-sha256';
    expect(await authenticate(request)).toMatchObject(outcome);
    expect(verifications).toEqual({ 'ecdsa-p256-sha256': 0, ed25519: 0, [alg]: 1 });
  });

  test('a revoked key id', async () => {
    revokePsbKey();
    expect(await authenticate(signedAs('demo-psb-1', 'ecdsa-p256-sha256'))).toMatchObject(FAILED);
    expect(verifications).toEqual({ 'ecdsa-p256-sha256': 1, ed25519: 0 });
  });
});

describe('with alg omitted, every path verifies once with each algorithm', () => {
  test.each([
    ['an unknown key id', signedWithoutAlg('no-such-key-1', 'ecdsa-p256-sha256', 'demo-psb-1'), FAILED],
    [
      'an unknown key id, signed with Ed25519',
      signedWithoutAlg('no-such-key-2', 'ed25519', 'demo-vehicle-1'),
      FAILED,
    ],
    [
      'a registered P-256 key, bad signature',
      signedWithoutAlg('demo-psb-1', 'ecdsa-p256-sha256', 'demo-hpf-1'),
      FAILED,
    ],
    [
      'a registered Ed25519 key, bad signature',
      signedWithoutAlg('demo-vehicle-1', 'ed25519', 'demo-operator-1'),
      FAILED,
    ],
    ['a registered P-256 key', signedWithoutAlg('demo-psb-1', 'ecdsa-p256-sha256'), ACCEPTED],
    ['a registered Ed25519 key', signedWithoutAlg('demo-vehicle-1', 'ed25519'), ACCEPTED],
  ] as const)('%s', async (_, request, outcome) => {
    expect(await authenticate(request)).toMatchObject(outcome);
    expect(verifications).toEqual({ 'ecdsa-p256-sha256': 1, ed25519: 1 });
  });

  test('a revoked key id', async () => {
    revokePsbKey();
    expect(await authenticate(signedWithoutAlg('demo-psb-1', 'ecdsa-p256-sha256'))).toMatchObject(FAILED);
    expect(verifications).toEqual({ 'ecdsa-p256-sha256': 1, ed25519: 1 });
  });
});

// Cost of agency request authentication in the function, stores aside (in-memory lookups):
// the whole profile per request — parse, base, Content-Digest of a 2 KiB body, signature
// check — for each algorithm, and the SDK's cost of signing one request.
import type { KeyObject } from 'node:crypto';
import { authenticateAgencyRequest, type SignedRequest } from '#core/http-signatures/index.ts';
import { DEMO_AGENCIES, demoPrivateKey } from '#dev/demo/catalog.ts';
import { signAgencyRequest } from '../sdk/agency-client.ts';
import type { Figure } from './run.ts';

const ITERATIONS = 3_000;
const WARM_UP = 300;
const URL_ = 'https://api.elicense.example/prod/licenses';
const BODY = new TextEncoder().encode(JSON.stringify({ data: 'x'.repeat(2_030) }));

const records = new Map(
  DEMO_AGENCIES.flatMap((agency) => agency.apiKeys.map((key) => [key.keyId, { agency, key }])),
);

function sign(keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519', privateKey: KeyObject, now: Date) {
  return signAgencyRequest(
    { method: 'POST', url: URL_, headers: { 'content-type': 'application/json' }, body: BODY, created: now },
    { keyId, algorithm, privateKey },
  );
}

async function verificationsPerSecond(
  keyId: string,
  algorithm: 'ecdsa-p256-sha256' | 'ed25519',
): Promise<number> {
  const now = new Date();
  const privateKey = demoPrivateKey(keyId, algorithm);
  const requests: SignedRequest[] = Array.from({ length: WARM_UP + ITERATIONS }, () => {
    const signed = sign(keyId, algorithm, privateKey, now);
    return { method: signed.method, targetUri: signed.url, headers: signed.headers, body: signed.body! };
  });
  const lookups = {
    findKey: async (id: string) => records.get(id),
    claimNonce: async () => true,
  };
  let accepted = 0;
  const verify = async (request: SignedRequest) => {
    const result = await authenticateAgencyRequest(request, { now }, lookups);
    if (result.ok) accepted += 1;
  };
  for (const request of requests.slice(0, WARM_UP)) await verify(request);
  const start = process.hrtime.bigint();
  for (const request of requests.slice(WARM_UP)) await verify(request);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (accepted !== requests.length) throw new Error(`expected every request accepted, found ${accepted}`);
  return Math.round(ITERATIONS / seconds);
}

function signaturesPerSecond(keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519'): number {
  const privateKey = demoPrivateKey(keyId, algorithm);
  const now = new Date();
  for (let i = 0; i < WARM_UP; i += 1) sign(keyId, algorithm, privateKey, now);
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) sign(keyId, algorithm, privateKey, now);
  return Math.round(ITERATIONS / (Number(process.hrtime.bigint() - start) / 1e9));
}

export async function run(): Promise<Record<string, Figure>> {
  const target = '≥ 2000 per core (well under one DynamoDB round trip per request)';
  return {
    'agencyAuth.verify.ecdsa-p256-sha256': {
      value: await verificationsPerSecond('demo-psb-1', 'ecdsa-p256-sha256'),
      unit: 'requests/s',
      target,
    },
    'agencyAuth.verify.ed25519': {
      value: await verificationsPerSecond('demo-vehicle-1', 'ed25519'),
      unit: 'requests/s',
      target,
    },
    'agencyAuth.sdkSign.ecdsa-p256-sha256': {
      value: signaturesPerSecond('demo-psb-1', 'ecdsa-p256-sha256'),
      unit: 'requests/s',
    },
    'agencyAuth.sdkSign.ed25519': {
      value: signaturesPerSecond('demo-vehicle-1', 'ed25519'),
      unit: 'requests/s',
    },
  };
}

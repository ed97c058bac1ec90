// Holder identity over HTTP: proofing with the development-only provider binds an account (one
// identity, one account), GET /holder/me shows the binding, device keys need a proofed account
// and a proof of possession, and a license issued afterwards carries the key as cnf, so a
// key-bound presentation verifies through POST /verify. Binding tests use fresh accounts (new
// `sub`s) and fresh identity numbers, so no other test file sees their state.

import { generateKeyPairSync, type KeyObject, randomInt, randomUUID, sign } from 'node:crypto';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEVELOPMENT_ONLY_EVIDENCE_TOKEN } from '#adapters/local/development-only-proofing-provider.ts';
import { citizenIdCheckChar } from '#core/identifiers/citizen-id.ts';
import { decodeCompactJws } from '#core/jws.ts';
import { presentSdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { createOperatorClient } from '../../sdk/operator.ts';
import { agencyClient, idCardRequest, psb } from './issuer-support.ts';
import { asHolder, mintHolderToken } from './support/holder-tokens.ts';
import { PlatformStorage } from './support/stored-licenses.ts';

const base = inject('platformUrl');
const PROBLEM = 'urn:elicense:problem:';

let storage: PlatformStorage;
beforeAll(async () => {
  storage = await PlatformStorage.open({
    url: base,
    dataDir: inject('platformDataDir'),
    endpoints: inject('platformEndpoints'),
  });
});
afterAll(() => storage.close());

/** A new account: a valid token of the dev issuer for a `sub` it never listed. */
async function freshAccount() {
  const account = randomUUID();
  return { account, headers: { authorization: `Bearer ${await mintHolderToken({ sub: account })}` } };
}

/** Hangzhou district codes: the area part of the numbers below. */
const AREAS = ['330102', '330105', '330106', '330108', '330109', '330110', '330111', '330112'];
const issuedCodes = new Set<string>();

/**
 * A citizen number of 张伟明's birth date and sex (so the demo ID-card data fits it), never used
 * before in this file: 4,000 possible, drawn without repeats (the seeded demo holders use none).
 */
function freshCitizenCode(): string {
  for (;;) {
    const area = AREAS[randomInt(0, AREAS.length)]!;
    const first17 = `${area}19900307${String(randomInt(0, 500) * 2 + 1).padStart(3, '0')}`;
    const code = first17 + citizenIdCheckChar(first17);
    if (code === '330102199003071230' || issuedCodes.has(code)) continue;
    issuedCodes.add(code);
    return code;
  }
}

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    json: text ? JSON.parse(text) : undefined,
  };
}

const proofing = (code: string, token = DEVELOPMENT_ONLY_EVIDENCE_TOKEN) => ({
  provider: 'development-only',
  identity: { codeType: '111', code, name: '张伟明' },
  evidence: { token },
});

async function proofed() {
  const holder = await freshAccount();
  const code = freshCitizenCode();
  const answer = await call('POST', '/holder/proofings', holder.headers, proofing(code));
  expect(answer.status).toBe(201);
  return { ...holder, code };
}

function deviceKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return { jwk: { kty, crv, x, y }, privateKey };
}

function proofOf(privateKey: KeyObject, claims: Record<string, unknown>, typ = 'device-key-proof+jwt') {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', typ })
    .sign(privateKey);
}

async function registeredKey(headers: Record<string, string>) {
  const key = deviceKey();
  const challenge = await call('POST', '/holder/device-key-challenges', headers);
  expect(challenge.status).toBe(201);
  const { nonce, audience } = challenge.json as { nonce: string; audience: string };
  const registered = await call('POST', '/holder/device-keys', headers, {
    jwk: key.jwk,
    proof: await proofOf(key.privateKey, { nonce, aud: audience }),
    label: 'test phone',
  });
  return { key, nonce, audience, registered };
}

function expectProblem(
  answer: { status: number; type: string | null; json: unknown },
  status: number,
  type: string,
) {
  expect(answer.status).toBe(status);
  expect(answer.type).toContain('application/problem+json');
  expect(answer.json).toMatchObject({ type: `${PROBLEM}${type}`, status });
}

describe('GET /holder/me', () => {
  it('shows a seeded demo holder bound to its identity, masked, and newcomer unbound', async () => {
    const zhang = await call('GET', '/holder/me', await asHolder('zhangweiming'));
    expect(zhang.json).toMatchObject({
      identity: { codeType: '111', code: '3301**********1230', assurance: 'low' },
    });
    const newcomer = await call('GET', '/holder/me', await asHolder('newcomer'));
    expect(newcomer.status).toBe(200);
    expect(newcomer.json).not.toHaveProperty('identity');
  });

  it('is audited before it answers: holder.account_read, naming the account and the proofing only', async () => {
    const { account, headers, code } = await proofed();
    const before = new Date();

    const me = await call('GET', '/holder/me', headers);

    expect(me.status).toBe(200);
    const event = await storage.auditEvent(me.json.auditEventId, before);
    expect(event).toMatchObject({
      actor: { kind: 'holder', id: account },
      action: 'holder.account_read',
      outcome: 'success',
      details: { bound: true, proofingId: me.json.identity.proofingId },
    });
    expect(JSON.stringify(event)).not.toContain(code);
  });
});

describe('GET /holder/proofings', () => {
  it('is audited before it answers: holder.proofings_listed, naming the account only', async () => {
    const { account, headers, code } = await proofed();
    const before = new Date();

    const listed = await call('GET', '/holder/proofings', headers);

    expect(listed.status).toBe(200);
    const event = await storage.auditEvent(listed.json.auditEventId, before);
    expect(event).toMatchObject({
      actor: { kind: 'holder', id: account },
      action: 'holder.proofings_listed',
      outcome: 'success',
      details: { proofings: 1 },
    });
    expect(JSON.stringify(event)).not.toContain(code);
  });
});

describe('POST /holder/proofings', () => {
  it('binds a fresh account through the development-only provider and lists the proofing', async () => {
    const { headers } = await freshAccount();
    const code = freshCitizenCode();

    const answer = await call('POST', '/holder/proofings', headers, proofing(code));

    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({
      proofing: {
        provider: 'development-only',
        outcome: 'verified',
        assurance: 'low',
        methods: ['development-demo-token'],
      },
      identity: { codeType: '111', code: `${code.slice(0, 4)}**********${code.slice(-4)}`, assurance: 'low' },
    });
    const me = await call('GET', '/holder/me', headers);
    expect(me.json.identity).toEqual(answer.json.identity);
    const listed = await call('GET', '/holder/proofings', headers);
    expect(listed.json.items).toEqual([answer.json.proofing]);
    expect(JSON.stringify(listed.json)).not.toContain(code);
  });

  it('records a failed proofing and leaves the account unbound', async () => {
    const { headers } = await freshAccount();
    const answer = await call('POST', '/holder/proofings', headers, proofing(freshCitizenCode(), 'guessed'));

    expect(answer.status).toBe(201);
    expect(answer.json.proofing).toMatchObject({
      outcome: 'failed',
      reason: 'the development token does not match',
    });
    expect(answer.json).not.toHaveProperty('identity');
    expect((await call('GET', '/holder/me', headers)).json).not.toHaveProperty('identity');
  });

  it('after 5 failed proofings an account is refused with 429 and Retry-After, recording nothing more', async () => {
    const { headers } = await freshAccount();
    for (let i = 0; i < 5; i++) {
      const failed = await call(
        'POST',
        '/holder/proofings',
        headers,
        proofing(freshCitizenCode(), 'guessed'),
      );
      expect(failed.status).toBe(201);
    }
    const response = await fetch(`${base}/holder/proofings`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(proofing(freshCitizenCode())),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(24 * 3600 - 600);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect(await response.json()).toMatchObject({
      type: `${PROBLEM}too-many-attempts`,
      status: 429,
      code: 'PROOFING_ATTEMPTS_EXCEEDED',
      retryAfter,
    });
    // Even the right token is not tried: the account stays unbound, with its five failures.
    expect((await call('GET', '/holder/me', headers)).json).not.toHaveProperty('identity');
    expect((await call('GET', '/holder/proofings', headers)).json.items).toHaveLength(5);
  });

  it('attempts sent at once run one at a time: the others are 409, and no more than 5 failures are ever recorded', async () => {
    const { headers } = await freshAccount();
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        call('POST', '/holder/proofings', headers, proofing(freshCitizenCode(), 'guessed')),
      ),
    );
    const statuses = burst.map((answer) => answer.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(statuses).toContain(409);
    expect(burst.find((answer) => answer.status === 409)?.json).toMatchObject({
      code: 'PROOFING_IN_PROGRESS',
    });
    let last = 0;
    for (let i = 0; i < 6 && last !== 429; i++) {
      last = (await call('POST', '/holder/proofings', headers, proofing(freshCitizenCode(), 'guessed')))
        .status;
    }
    expect(last).toBe(429);
    expect((await call('GET', '/holder/proofings', headers)).json.items).toHaveLength(5);
  });

  it('ten failures from other accounts block an identity for its owner too, until the operator unblocks it', async () => {
    const code = freshCitizenCode();
    for (let i = 0; i < 10; i++) {
      const attacker = await freshAccount();
      const failed = await call('POST', '/holder/proofings', attacker.headers, proofing(code, 'guessed'));
      expect(failed.status).toBe(201);
    }
    const owner = await freshAccount();
    expect((await call('POST', '/holder/proofings', owner.headers, proofing(code))).status).toBe(429);

    const request = { identity: { codeType: '111' as const, code }, reason: '本人持证到窗口核验' };
    const notOperator = await agencyClient('demo-psb-1').request('POST', '/identities/unblock-proofing', {
      json: request,
    });
    expect(notOperator.status).toBe(403);
    const operator = createOperatorClient(agencyClient('demo-operator-1'));
    expect(await operator.unblockIdentityProofing(request.identity, request.reason)).toEqual({ cleared: 10 });

    const proofed = await call('POST', '/holder/proofings', owner.headers, proofing(code));
    expect(proofed.status).toBe(201);
    expect(proofed.json.proofing.outcome).toBe('verified');
  });

  it('refuses a second account for a bound identity, and moving a bound account, binding nothing', async () => {
    const first = await proofed();
    const second = await freshAccount();

    // Only a proofing that passes learns the identity is taken; the one that passed is kept.
    expectProblem(
      await call('POST', '/holder/proofings', second.headers, proofing(first.code)),
      409,
      'conflict',
    );
    expect((await call('GET', '/holder/proofings', second.headers)).json.items).toMatchObject([
      { outcome: 'verified' },
    ]);
    expectProblem(await call('GET', '/holder/licenses', second.headers), 403, 'identity-not-proofed');
    const failing = await call('POST', '/holder/proofings', (await freshAccount()).headers, {
      ...proofing(first.code),
      evidence: { token: 'wrong' },
    });
    expect(failing.status).toBe(201);
    expect(failing.json).toMatchObject({ proofing: { outcome: 'failed' } });

    expectProblem(
      await call('POST', '/holder/proofings', first.headers, proofing(freshCitizenCode())),
      409,
      'conflict',
    );
    expect((await call('GET', '/holder/proofings', first.headers)).json.items).toHaveLength(1);
  });

  it('refuses unknown providers, malformed identities, bad evidence and bodies, recording nothing', async () => {
    const { headers } = await freshAccount();
    const code = freshCitizenCode();
    expectProblem(
      await call('POST', '/holder/proofings', headers, { ...proofing(code), provider: 'bank-card' }),
      400,
      'validation-failed',
    );
    expectProblem(
      await call(
        'POST',
        '/holder/proofings',
        headers,
        proofing(`${code.slice(0, 17)}${code[17] === '0' ? '1' : '0'}`),
      ),
      400,
      'validation-failed',
    );
    expectProblem(
      await call('POST', '/holder/proofings', headers, { ...proofing(code), evidence: { selfie: 'x' } }),
      400,
      'validation-failed',
    );
    expectProblem(
      await call('POST', '/holder/proofings', headers, { ...proofing(code), extra: 1 }),
      400,
      'validation-failed',
    );
    const notJson = await fetch(`${base}/holder/proofings`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(notJson.status).toBe(415);
    expectProblem(await call('POST', '/holder/proofings', {}, proofing(code)), 401, 'unauthorized');
    expect((await call('GET', '/holder/proofings', headers)).json.items).toEqual([]);
  });
});

describe('device keys', () => {
  it('refuses an unproofed account with identity-not-proofed', async () => {
    const { headers } = await freshAccount();
    expectProblem(await call('POST', '/holder/device-key-challenges', headers), 403, 'identity-not-proofed');
    const key = deviceKey();
    expectProblem(
      await call('POST', '/holder/device-keys', headers, {
        jwk: key.jwk,
        proof: await proofOf(key.privateKey, { nonce: 'n', aud: base }),
      }),
      403,
      'identity-not-proofed',
    );
    expect((await call('GET', '/holder/device-keys', headers)).json.items).toEqual([]);
  });

  it('lists keys only once it is audited: holder.device_keys_listed, naming the key ids only', async () => {
    const { account, headers, code } = await proofed();
    const { key, registered } = await registeredKey(headers);
    const before = new Date();

    const listed = await call('GET', '/holder/device-keys', headers);

    expect(listed.status).toBe(200);
    expect(listed.json.items).toEqual([registered.json]);
    const event = await storage.auditEvent(listed.json.auditEventId, before);
    expect(event).toMatchObject({
      actor: { kind: 'holder', id: account },
      action: 'holder.device_keys_listed',
      outcome: 'success',
      details: { deviceKeys: 1, deviceKeyIds: [registered.json.id] },
    });
    const written = JSON.stringify(event);
    for (const secretish of [code, key.jwk.x, key.jwk.y, 'test phone']) {
      expect(written).not.toContain(secretish);
    }
  });

  it('registers a key with proof of possession, once per challenge; lists and revokes it', async () => {
    const { headers } = await proofed();
    const { key, nonce, audience, registered } = await registeredKey(headers);
    expect(registered.status).toBe(201);
    expect(registered.json).toMatchObject({ jwk: key.jwk, status: 'active', label: 'test phone' });

    const replay = await call('POST', '/holder/device-keys', headers, {
      jwk: key.jwk,
      proof: await proofOf(key.privateKey, { nonce, aud: audience }),
    });
    expectProblem(replay, 400, 'validation-failed');

    const listed = await call('GET', '/holder/device-keys', headers);
    expect(listed.json.items).toEqual([registered.json]);

    const revoked = await call('DELETE', `/holder/device-keys/${registered.json.id}`, headers);
    expect(revoked.json).toMatchObject({ id: registered.json.id, status: 'revoked' });
    expectProblem(
      await call('DELETE', `/holder/device-keys/${registered.json.id}`, headers),
      409,
      'conflict',
    );
    expectProblem(await call('DELETE', '/holder/device-keys/no-such-key', headers), 404, 'not-found');
    const other = await freshAccount();
    expectProblem(
      await call('DELETE', `/holder/device-keys/${registered.json.id}`, other.headers),
      404,
      'not-found',
    );
  });

  it('refuses a proof signed by another key, for another audience, or with a bad key, storing nothing', async () => {
    const { headers } = await proofed();
    const key = deviceKey();
    const other = deviceKey();
    const { nonce, audience } = (await call('POST', '/holder/device-key-challenges', headers)).json as {
      nonce: string;
      audience: string;
    };
    const attempts = [
      { jwk: key.jwk, proof: await proofOf(other.privateKey, { nonce, aud: audience }) },
      { jwk: key.jwk, proof: await proofOf(key.privateKey, { nonce, aud: 'https://elsewhere.example' }) },
      { jwk: { ...key.jwk, d: 'private' }, proof: await proofOf(key.privateKey, { nonce, aud: audience }) },
      { jwk: { ...key.jwk, crv: 'P-384' }, proof: await proofOf(key.privateKey, { nonce, aud: audience }) },
    ];
    for (const body of attempts)
      expectProblem(await call('POST', '/holder/device-keys', headers, body), 400, 'validation-failed');
    expect((await call('GET', '/holder/device-keys', headers)).json.items).toEqual([]);
  });

  it('answers a key id and a nonce of no shape the platform makes with 4xx, storing nothing', async () => {
    const { headers } = await proofed();
    await call('POST', '/holder/device-key-challenges', headers);
    const key = deviceKey();
    // Longer than a DynamoDB sort key may be: these once reached the store and answered 500.
    expectProblem(await call('DELETE', `/holder/device-keys/${'k'.repeat(1100)}`, headers), 404, 'not-found');
    const longNonce = await call('POST', '/holder/device-keys', headers, {
      jwk: key.jwk,
      proof: await proofOf(key.privateKey, { nonce: 'n'.repeat(2000), aud: base }),
    });
    expectProblem(longNonce, 400, 'validation-failed');
    expect(longNonce.json.detail).toMatch(/nonce of a challenge/);
    expect((await call('GET', '/holder/device-keys', headers)).json.items).toEqual([]);
  });

  it('a license issued after registration carries cnf with the key, and a key-bound presentation verifies', async () => {
    const { headers, code } = await proofed();
    const { key, registered } = await registeredKey(headers);
    expect(registered.status).toBe(201);
    const request = idCardRequest({ 公民身份号码: code });

    const issued = await psb.issueLicense({ ...request, holder: { ...request.holder, code } });

    const { payload } = decodeCompactJws(issued.sdJwt.split('~')[0]!);
    expect(payload.cnf).toEqual({ jwk: key.jwk });
    const presentation = await presentSdJwtVc(issued.sdJwt, ['姓名'], {
      keyBinding: {
        signer: {
          alg: 'ES256',
          kid: registered.json.id,
          sign: async (input) => sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
        },
        audience: 'https://verifier.example',
        nonce: 'verifier-nonce-1',
        issuedAt: Math.floor(Date.now() / 1000),
      },
    });
    const verified = await call(
      'POST',
      '/verify',
      {},
      { presentation, audience: 'https://verifier.example', nonce: 'verifier-nonce-1' },
    );
    expect(verified.json).toMatchObject({ valid: true, checks: { keyBinding: 'ok' } });
    const wrongNonce = await call(
      'POST',
      '/verify',
      {},
      { presentation, audience: 'https://verifier.example', nonce: 'other' },
    );
    expect(wrongNonce.json.valid).toBe(false);

    await call('DELETE', `/holder/device-keys/${registered.json.id}`, headers);
    const afterRevocation = await psb.issueLicense({ ...request, holder: { ...request.holder, code } });
    expect(decodeCompactJws(afterRevocation.sdJwt.split('~')[0]!).payload.cnf).toBeUndefined();
  });
});

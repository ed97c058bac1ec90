// The platform's RFC 9421 profile for agency requests: what it accepts, and each check a
// request can fail, in the order the checks run.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, test } from 'vitest';
import type { Agency, RequestSignatureAlgorithm } from '#core/catalog/agency.ts';
import {
  type AgencyAuthResult,
  type AuthenticateOptions,
  authenticateAgencyRequest,
  contentDigest,
  type SignatureParameters,
  type SignedRequest,
  signMessage,
} from '#core/http-signatures/index.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { signAgencyRequest } from '../../../sdk/agency-client.ts';
import { MemoryKeyRegistry, MemoryNonceStore } from './fakes.ts';

const NOW = new Date('2025-03-01T08:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const URL_ = 'https://api.elicense.example/prod/licenses?typeCode=11100000D00000013G001';
const encoder = new TextEncoder();

const agencyOf = (uscc: string) => DEMO_AGENCIES.find((a) => a.uscc === uscc)!;
const KEYS = {
  ecdsa: { keyId: 'demo-psb-1', algorithm: 'ecdsa-p256-sha256', agency: DEMO_USCC.publicSecurityBureau },
  ed25519: { keyId: 'demo-vehicle-1', algorithm: 'ed25519', agency: DEMO_USCC.vehicleAdministration },
  relying: {
    keyId: 'demo-hpf-1',
    algorithm: 'ecdsa-p256-sha256',
    agency: DEMO_USCC.housingProvidentFundCentre,
  },
} as const;
type KeyName = keyof typeof KEYS;

function credentials(name: KeyName) {
  const { keyId, algorithm } = KEYS[name];
  return { keyId, algorithm, privateKey: demoPrivateKey(keyId, algorithm) };
}

/** A request signed as the SDK signs it. */
function sdkSigned(
  name: KeyName,
  input: { method?: string; url?: string; body?: string; created?: Date; nonce?: string } = {},
): SignedRequest {
  const signed = signAgencyRequest(
    {
      method: input.method ?? 'POST',
      url: input.url ?? URL_,
      headers: input.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(input.body === undefined ? {} : { body: encoder.encode(input.body) }),
      created: input.created ?? NOW,
      ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
    },
    credentials(name),
  );
  return {
    method: signed.method,
    targetUri: signed.url,
    headers: signed.headers,
    body: signed.body ?? new Uint8Array(),
  };
}

/** A request signed with exactly these components and parameters, to build what the SDK never would. */
function customSigned(options: {
  components: string[];
  parameters: SignatureParameters;
  body?: string;
  headers?: Record<string, string>;
  label?: string;
  privateKey?: KeyObject;
  algorithm?: RequestSignatureAlgorithm;
}): SignedRequest {
  const body = encoder.encode(options.body ?? '');
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined && headers['content-digest'] === undefined) {
    headers['content-digest'] = contentDigest(body);
  }
  const algorithm = options.algorithm ?? 'ecdsa-p256-sha256';
  const signed = signMessage(
    { method: 'POST', targetUri: URL_, headers },
    {
      label: options.label ?? 'agency',
      components: options.components,
      parameters: options.parameters,
      algorithm,
      privateKey: options.privateKey ?? demoPrivateKey('demo-psb-1', algorithm),
    },
  );
  return {
    method: 'POST',
    targetUri: URL_,
    headers: { ...headers, 'signature-input': signed.signatureInput, signature: signed.signature },
    body,
  };
}

const VALID_PARAMS = { created: NOW_S, nonce: 'n-0123456789abcdef', keyid: 'demo-psb-1' } as const;

let registry: MemoryKeyRegistry;
let nonces: MemoryNonceStore;

beforeEach(() => {
  registry = new MemoryKeyRegistry(DEMO_AGENCIES);
  nonces = new MemoryNonceStore(() => NOW.getTime());
});

function authenticate(
  request: SignedRequest,
  options: Partial<AuthenticateOptions> = {},
): Promise<AgencyAuthResult> {
  return authenticateAgencyRequest(
    request,
    { now: NOW, skewSeconds: 300, ...options },
    {
      findKey: (keyId) => registry.findApiKey(keyId),
      claimNonce: (keyId, nonce, expiresAt) => nonces.claim(keyId, nonce, expiresAt),
    },
  );
}

async function expectFailure(result: Promise<AgencyAuthResult>, check: string): Promise<string> {
  const outcome = await result;
  expect(outcome).toMatchObject({ ok: false, check });
  return outcome.ok ? '' : outcome.detail;
}

describe('an agency request signed as the SDK signs it', () => {
  test.each(['ecdsa', 'ed25519'] as const)(
    'is accepted with %s, naming the key, the agency and its roles',
    async (name) => {
      const request = sdkSigned(name, { body: '{"licenseId":"x"}', nonce: 'nonce-of-sixteen-chars' });
      expect(await authenticate(request, { requiredRoles: ['issuer'] })).toEqual({
        ok: true,
        keyId: KEYS[name].keyId,
        keyThumbprint: jwkThumbprint(
          agencyOf(KEYS[name].agency).apiKeys.find((k) => k.keyId === KEYS[name].keyId)!.publicJwk,
        ),
        created: NOW_S,
        nonce: 'nonce-of-sixteen-chars',
        agency: KEYS[name].agency,
        roles: ['issuer'],
        nonceExpiresAt: new Date((NOW_S + 301) * 1000),
      });
    },
  );

  test('is accepted without a body, when content-digest need not be covered', async () => {
    expect(await authenticate(sdkSigned('ecdsa', { method: 'GET' }))).toMatchObject({ ok: true });
  });

  test('claims its nonce for the key until created is no longer accepted: created + skew + 1 s', async () => {
    const request = sdkSigned('ed25519', {
      created: new Date(NOW.getTime() - 100_000),
      nonce: 'abcdefghijklmnopqrst',
    });
    await authenticate(request, { skewSeconds: 120 });
    expect(nonces.claims).toEqual([
      {
        keyId: 'demo-vehicle-1',
        nonce: 'abcdefghijklmnopqrst',
        expiresAt: new Date((NOW_S - 100 + 120 + 1) * 1000),
      },
    ]);
  });

  test('is accepted with created exactly at either edge of the skew', async () => {
    for (const offset of [-300, 300]) {
      const request = sdkSigned('ecdsa', { created: new Date((NOW_S + offset) * 1000) });
      expect(await authenticate(request)).toMatchObject({ ok: true });
    }
  });
});

describe('missing-signature', () => {
  test('a request with neither field', async () => {
    await expectFailure(
      authenticate({ method: 'GET', targetUri: URL_, headers: {}, body: new Uint8Array() }),
      'missing-signature',
    );
  });

  test('a request whose signatures carry other labels only', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: VALID_PARAMS,
      label: 'sig1',
    });
    const detail = await expectFailure(authenticate(request), 'missing-signature');
    expect(detail).toContain('found labels: sig1');
  });
});

describe('malformed', () => {
  const good = () => sdkSigned('ecdsa');

  test('Signature-Input without Signature', async () => {
    const { signature: _, ...headers } = good().headers as Record<string, string>;
    await expectFailure(authenticate({ ...good(), headers }), 'malformed');
  });

  test('Signature-Input that is not a Structured Fields dictionary', async () => {
    const request = good();
    await expectFailure(
      authenticate({ ...request, headers: { ...request.headers, 'signature-input': 'agency=("@method" ' } }),
      'malformed',
    );
  });

  test('a Signature member that is not a byte sequence', async () => {
    const request = good();
    await expectFailure(
      authenticate({ ...request, headers: { ...request.headers, signature: 'agency="abc"' } }),
      'malformed',
    );
  });

  test('Signature lacking the label Signature-Input has', async () => {
    const request = good();
    const detail = await expectFailure(
      authenticate({ ...request, headers: { ...request.headers, signature: 'other=:AAAA:' } }),
      'malformed',
    );
    expect(detail).toBe('Signature-Input has the label agency but Signature does not');
  });

  test('a component identifier given as a token', async () => {
    const request = good();
    const input = (request.headers['signature-input'] as string).replace('"@method"', '@method');
    await expectFailure(
      authenticate({ ...request, headers: { ...request.headers, 'signature-input': input } }),
      'malformed',
    );
  });

  test('created that is not an integer', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { ...VALID_PARAMS, created: NOW_S + 0.5 },
    });
    await expectFailure(authenticate(request), 'malformed');
  });

  test('a nonce shorter than 16 characters', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { ...VALID_PARAMS, nonce: 'short' },
    });
    const detail = await expectFailure(authenticate(request), 'malformed');
    expect(detail).toBe('nonce must be 16–512 characters, found 5');
  });
});

describe('components', () => {
  test.each([
    ['@target-uri', ['@method'], 'component @target-uri'],
    ['@method', ['@target-uri'], 'component @method'],
  ])('a signature not covering %s', async (_, components, missing) => {
    const detail = await expectFailure(
      authenticate(customSigned({ components, parameters: VALID_PARAMS })),
      'components',
    );
    expect(detail).toContain(`missing ${missing}`);
  });

  test.each(['created', 'nonce', 'keyid'] as const)(
    'a signature without the %s parameter',
    async (parameter) => {
      const { [parameter]: _, ...parameters } = VALID_PARAMS;
      const detail = await expectFailure(
        authenticate(customSigned({ components: ['@method', '@target-uri'], parameters })),
        'components',
      );
      expect(detail).toContain(`missing parameter ${parameter}`);
    },
  );

  test('a request with a body whose signature does not cover content-digest', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: VALID_PARAMS,
      body: '{"a":1}',
    });
    const detail = await expectFailure(authenticate(request), 'components');
    expect(detail).toContain('missing component content-digest');
  });

  // The handlers act on these fields (the media type a layout document is stored as, the version an
  // update holds under, the key a retry is answered by), so one added or changed on the way must
  // not pass under a signature that leaves it out.
  test.each([
    ['content-type', { 'content-type': 'application/json' }, '{"a":1}'],
    ['idempotency-key', { 'idempotency-key': 'key-0001' }, undefined],
    ['if-match', { 'if-match': '"3"' }, undefined],
  ] as const)('a request carrying %s its signature does not cover', async (field, headers, body) => {
    const request = customSigned({
      components: ['@method', '@target-uri', ...(body === undefined ? [] : ['content-digest'])],
      parameters: VALID_PARAMS,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const detail = await expectFailure(authenticate(request), 'components');
    expect(detail).toContain(`missing component ${field}`);
    expect(nonces.claims).toEqual([]);
  });

  test('a request carrying content-type, idempotency-key and if-match, all covered, as the SDK signs it', async () => {
    const signed = signAgencyRequest(
      {
        method: 'PUT',
        url: URL_,
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'key-0001', 'If-Match': '"3"' },
        body: encoder.encode('{"a":1}'),
        created: NOW,
      },
      credentials('ecdsa'),
    );
    expect(signed.headers['signature-input']).toContain(
      '("@method" "@target-uri" "content-digest" "content-type" "idempotency-key" "if-match")',
    );
    const request = {
      method: signed.method,
      targetUri: signed.url,
      headers: signed.headers,
      body: signed.body!,
    };
    expect(await authenticate(request)).toMatchObject({ ok: true });
  });

  test('a request with a body and no Content-Digest at all', async () => {
    const request = sdkSigned('ecdsa', { body: '{"a":1}' });
    const { 'content-digest': _, ...headers } = request.headers as Record<string, string>;
    const detail = await expectFailure(authenticate({ ...request, headers }), 'components');
    expect(detail).toBe('covered component "content-digest" is not a field of the message');
  });

  test('a covered field the request does not carry', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri', 'x-case-number'],
      parameters: VALID_PARAMS,
      headers: { 'x-case-number': 'A1' },
    });
    const { 'x-case-number': _, ...headers } = request.headers as Record<string, string>;
    await expectFailure(authenticate({ ...request, headers }), 'components');
  });

  // Names of Object.prototype's members: a plain-object header map would hand back the
  // built-in (a function, the prototype) instead of "no such field".
  test.each(['constructor', '__proto__'])(
    'a covered field named %s that the request does not carry, with no valid signature',
    async (name) => {
      const request: SignedRequest = {
        method: 'GET',
        targetUri: URL_,
        headers: {
          'signature-input': `agency=("@method" "@target-uri" "${name}");created=${NOW_S};nonce="aaaaaaaaaaaaaaaaaaaa";keyid="x"`,
          signature: 'agency=:AAAA:',
        },
        body: new Uint8Array(),
      };
      const detail = await expectFailure(authenticate(request), 'components');
      expect(detail).toBe(`covered component "${name}" is not a field of the message`);
    },
  );

  test('a covered field named __proto__ that the request carries is signed and verified like any other', async () => {
    // As Lambda hands it over: JSON.parse makes `__proto__` an own member, not the prototype.
    const headers = JSON.parse('{"__proto__":"field value"}') as Record<string, string>;
    const request = customSigned({
      components: ['@method', '@target-uri', '__proto__'],
      parameters: VALID_PARAMS,
      headers,
    });
    expect(Object.hasOwn(request.headers, '__proto__')).toBe(true);
    expect(await authenticate(request)).toMatchObject({ ok: true, keyId: 'demo-psb-1' });
  });

  test('a component covered twice', async () => {
    const request = sdkSigned('ecdsa');
    const input = (request.headers['signature-input'] as string).replace(
      '"@target-uri"',
      '"@target-uri" "@method"',
    );
    const detail = await expectFailure(
      authenticate({ ...request, headers: { ...request.headers, 'signature-input': input } }),
      'components',
    );
    expect(detail).toBe('covered component "@method" is covered twice');
  });

  test('a component with parameters', async () => {
    const request = sdkSigned('ecdsa');
    const input = (request.headers['signature-input'] as string).replace('"@target-uri"', '"@target-uri";bs');
    const detail = await expectFailure(
      authenticate({ ...request, headers: { ...request.headers, 'signature-input': input } }),
      'components',
    );
    expect(detail).toBe('component parameters are not supported, found them on @target-uri');
  });
});

describe('created and expires', () => {
  test('created more than the skew in the past', async () => {
    const detail = await expectFailure(
      authenticate(sdkSigned('ecdsa', { created: new Date((NOW_S - 301) * 1000) })),
      'created',
    );
    expect(detail).toBe(
      `created ${NOW_S - 301} is 301 s behind the platform clock (${NOW_S}); at most 300 s is accepted`,
    );
  });

  test('created more than the skew in the future', async () => {
    await expectFailure(
      authenticate(sdkSigned('ed25519', { created: new Date((NOW_S + 301) * 1000) })),
      'created',
    );
  });

  test('a configured skew applies', async () => {
    await expectFailure(
      authenticate(sdkSigned('ecdsa', { created: new Date((NOW_S - 61) * 1000) }), { skewSeconds: 60 }),
      'created',
    );
  });

  test('expires in the past', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { created: NOW_S - 10, expires: NOW_S - 1, nonce: VALID_PARAMS.nonce, keyid: 'demo-psb-1' },
    });
    await expectFailure(authenticate(request), 'expired');
  });

  test('expires still ahead is accepted', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { created: NOW_S - 10, expires: NOW_S + 5, nonce: VALID_PARAMS.nonce, keyid: 'demo-psb-1' },
    });
    expect(await authenticate(request)).toMatchObject({ ok: true });
  });
});

describe('digest', () => {
  test('a body changed after signing', async () => {
    const request = sdkSigned('ecdsa', { body: '{"amount":1}' });
    const detail = await expectFailure(
      authenticate({ ...request, body: encoder.encode('{"amount":9}') }),
      'digest',
    );
    expect(detail).toBe('Content-Digest sha-256 does not match the 12-byte body');
  });

  test('a Content-Digest giving only an algorithm the platform does not accept', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri', 'content-digest'],
      parameters: VALID_PARAMS,
      body: '{"a":1}',
      headers: { 'content-digest': 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:' },
    });
    const detail = await expectFailure(authenticate(request), 'digest');
    expect(detail).toBe('Content-Digest must give sha-256 or sha-512, found md5');
  });

  test('a sha-512 Content-Digest is accepted', async () => {
    const body = '{"a":1}';
    const request = customSigned({
      components: ['@method', '@target-uri', 'content-digest'],
      parameters: VALID_PARAMS,
      body,
      headers: { 'content-digest': contentDigest(encoder.encode(body), 'sha-512') },
    });
    expect(await authenticate(request)).toMatchObject({ ok: true });
  });
});

/** The one answer for a request no active key verifies, whatever the reason. */
const NOT_VERIFIED =
  'the signature does not verify with an active request-signing key named by keyid, over the signature base rebuilt from the request';

describe('signature: unknown, revoked and mismatched keys, another alg and a bad signature are indistinguishable', () => {
  const revokedAgency: Agency = {
    ...agencyOf(DEMO_USCC.publicSecurityBureau),
    apiKeys: agencyOf(DEMO_USCC.publicSecurityBureau).apiKeys.map((k) => ({
      ...k,
      status: 'revoked' as const,
    })),
  };

  async function keyFailure(setup: () => void, request = sdkSigned('ecdsa')) {
    setup();
    return expectFailure(authenticate(request), 'signature');
  }

  test('an unknown, a revoked and a key its agency no longer lists give the same check and detail', async () => {
    const unknown = await keyFailure(() => {
      registry = new MemoryKeyRegistry(
        DEMO_AGENCIES.filter((a) => a.uscc !== DEMO_USCC.publicSecurityBureau),
      );
    });
    const revoked = await keyFailure(() => {
      registry = new MemoryKeyRegistry([revokedAgency]);
    });
    const unlisted = await keyFailure(() => {
      const agency = agencyOf(DEMO_USCC.publicSecurityBureau);
      registry = new MemoryKeyRegistry([]);
      // The lookup item names the agency, but the agency's own record has no such key.
      registry.put({ agency: { ...agency, apiKeys: [] }, key: agency.apiKeys[0]!, agencyVersion: 2 });
    });
    const otherAgencys = await keyFailure(() => {
      const agency = agencyOf(DEMO_USCC.publicSecurityBureau);
      registry = new MemoryKeyRegistry([]);
      // The lookup item names an agency that lists the key id as another agency's revoked key.
      registry.put({ agency: revokedAgency, key: agency.apiKeys[0]!, agencyVersion: 3 });
    });
    expect(new Set([unknown, revoked, unlisted, otherAgencys])).toEqual(new Set([NOT_VERIFIED]));
  });

  test('a made-up signature names neither whether the key id exists nor its algorithm', async () => {
    // Anyone can send these: the same forged signature under a registered key id of either
    // algorithm, under one no agency has, and with an alg the key is not registered with.
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const forged = (keyid: string, alg?: string) =>
      authenticate(
        customSigned({
          components: ['@method', '@target-uri'],
          parameters: { ...VALID_PARAMS, keyid, ...(alg === undefined ? {} : { alg }) },
          algorithm: 'ed25519',
          privateKey: stranger,
        }),
      );
    const answers = await Promise.all([
      forged(KEYS.ecdsa.keyId),
      forged(KEYS.ed25519.keyId),
      forged('demo-nobody-1'),
      forged(KEYS.ecdsa.keyId, 'ed25519'),
      forged(KEYS.ed25519.keyId, 'ecdsa-p256-sha256'),
      forged('demo-nobody-1', 'ed25519'),
    ]);
    for (const answer of answers) {
      expect(answer).toEqual({ ok: false, check: 'signature', detail: NOT_VERIFIED });
    }
    expect(nonces.claims).toEqual([]);
  });

  test('a key id no agency could register is refused without a lookup', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { ...VALID_PARAMS, keyid: 'x#'.repeat(100) },
    });
    expect(await expectFailure(authenticate(request), 'signature')).toBe(NOT_VERIFIED);
    expect(registry.lookups).toEqual([]);
  });

  test('no nonce is claimed for a request with an unknown key', async () => {
    registry = new MemoryKeyRegistry([]);
    await expectFailure(authenticate(sdkSigned('ecdsa')), 'signature');
    expect(nonces.claims).toEqual([]);
  });
});

describe('algorithm', () => {
  test('alg naming the other supported algorithm than the key is registered with: as a bad signature', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { ...VALID_PARAMS, alg: 'ed25519' },
    });
    expect(await expectFailure(authenticate(request), 'signature')).toBe(NOT_VERIFIED);
  });

  test('alg naming an algorithm the platform does not support', async () => {
    const request = customSigned({
      components: ['@method', '@target-uri'],
      parameters: { ...VALID_PARAMS, alg: 'rsa-pss-sha512' },
    });
    await expectFailure(authenticate(request), 'algorithm');
  });
});

describe('signature', () => {
  test.each([
    ['ecdsa', 'ecdsa-p256-sha256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
    ['ed25519', 'ed25519', generateKeyPairSync('ed25519').privateKey],
  ] as const)(
    'a %s signature made with another key than the registered one',
    async (name, algorithm, privateKey) => {
      const signed = signAgencyRequest(
        { method: 'POST', url: URL_, created: NOW },
        { keyId: KEYS[name].keyId, algorithm, privateKey },
      );
      const request = {
        method: 'POST',
        targetUri: signed.url,
        headers: signed.headers,
        body: new Uint8Array(),
      };
      expect(await expectFailure(authenticate(request), 'signature')).toBe(NOT_VERIFIED);
    },
  );

  test.each([
    ['method', (r: SignedRequest) => ({ ...r, method: 'DELETE' })],
    ['target URI', (r: SignedRequest) => ({ ...r, targetUri: r.targetUri.replace('licenses', 'grants') })],
    ['query', (r: SignedRequest) => ({ ...r, targetUri: `${r.targetUri}&extra=1` })],
  ])('a request whose %s changed after signing', async (_, change) => {
    await expectFailure(authenticate(change(sdkSigned('ed25519'))), 'signature');
  });

  test('a request with a bad signature claims no nonce, so the genuine request still goes through', async () => {
    const genuine = sdkSigned('ecdsa', { nonce: 'the-same-nonce-for-both' });
    const forged = { ...genuine, method: 'DELETE' };
    await expectFailure(authenticate(forged), 'signature');
    expect(nonces.claims).toEqual([]);
    expect(await authenticate(genuine)).toMatchObject({ ok: true });
  });
});

describe('role', () => {
  test('an agency without the route role fails the role check after its signature verified', async () => {
    const detail = await expectFailure(
      authenticate(sdkSigned('relying'), { requiredRoles: ['issuer'] }),
      'role',
    );
    expect(detail).toBe('this route needs an agency with the role issuer; the agency has relying');
    expect(nonces.claims).toEqual([]);
  });

  test('any one of several roles is enough', async () => {
    expect(await authenticate(sdkSigned('relying'), { requiredRoles: ['issuer', 'relying'] })).toMatchObject({
      ok: true,
    });
  });
});

describe('nonce', () => {
  test('the same signed request a second time is a replay', async () => {
    const request = sdkSigned('ed25519', { body: '{"a":1}' });
    expect(await authenticate(request)).toMatchObject({ ok: true });
    const detail = await expectFailure(authenticate(request), 'nonce');
    expect(detail).toBe('this nonce was already used with this key: the request is a replay');
  });

  test('a nonce is per key: another agency may use the same one', async () => {
    expect(await authenticate(sdkSigned('ecdsa', { nonce: 'shared-nonce-value-1' }))).toMatchObject({
      ok: true,
    });
    expect(await authenticate(sdkSigned('relying', { nonce: 'shared-nonce-value-1' }))).toMatchObject({
      ok: true,
    });
  });
});

describe('lookups that fail', () => {
  test('propagate rather than being reported as a failed check', async () => {
    registry.failure = new Error('registry unreachable');
    await expect(authenticate(sdkSigned('ecdsa'))).rejects.toThrow('registry unreachable');
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { DEMO_LICENSES, demoPrivateKey } from '#dev/demo/catalog.ts';
import { type SignedAgencyRequest, signAgencyRequest } from '../../sdk/agency-client.ts';

// Request authentication over HTTP, through the local API Gateway: each way a signed request
// can be wrong is refused with a 401 problem naming the failed check, and changes nothing.
const endpoint = inject('platformUrl');
const psb = {
  keyId: 'demo-psb-1',
  privateKey: demoPrivateKey('demo-psb-1', 'ecdsa-p256-sha256'),
  algorithm: 'ecdsa-p256-sha256' as const,
};
const demo = DEMO_LICENSES[0]!;
const issueBody = new TextEncoder().encode(
  JSON.stringify({
    typeCode: demo.typeCode,
    holder: { name: demo.holder.name, codeType: demo.holder.codeType, code: demo.holder.code },
    data: demo.data,
  }),
);

function sign(
  overrides: { body?: Uint8Array; created?: Date; nonce?: string } = {},
  credentials = psb,
): SignedAgencyRequest {
  return signAgencyRequest(
    {
      method: 'POST',
      url: `${endpoint}/licenses`,
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: overrides.body ?? issueBody,
      ...(overrides.created ? { created: overrides.created } : {}),
      ...(overrides.nonce ? { nonce: overrides.nonce } : {}),
    },
    credentials,
  );
}

async function send(
  request: SignedAgencyRequest,
  changes: { body?: Uint8Array; headers?: Record<string, string> } = {},
) {
  const response = await fetch(request.url, {
    method: request.method,
    headers: { ...request.headers, ...changes.headers },
    body: changes.body ?? request.body,
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('agency request authentication over HTTP', () => {
  it('issues with a good signature (the control case)', async () => {
    expect((await send(sign())).status).toBe(201);
  });

  it('refuses a body changed after signing: digest', async () => {
    const tampered = new TextEncoder().encode(new TextDecoder().decode(issueBody).replace('张伟明', '李四'));
    const answer = await send(sign(), { body: tampered });
    expect(answer.status).toBe(401);
    expect(answer.type).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ type: 'urn:elicense:problem:unauthorized', check: 'digest' });
  });

  it('refuses a forged signature', async () => {
    const request = sign();
    const forged = request.headers.signature!.replace(
      /:([A-Za-z0-9+/])/,
      (_, c: string) => `:${c === 'A' ? 'B' : 'A'}`,
    );
    const answer = await send(request, { headers: { signature: forged } });
    expect(answer.status).toBe(401);
    expect(answer.body.check).toBe('signature');
  });

  it('refuses a signature created outside the allowed skew', async () => {
    const answer = await send(sign({ created: new Date(Date.now() - 600_000) }));
    expect(answer.status).toBe(401);
    expect(answer.body.check).toBe('created');
  });

  it('refuses a replayed request: the second copy of one nonce', async () => {
    const request = sign();
    const [first, second] = await Promise.all([send(request), send(request)]);
    expect([first.status, second.status].sort()).toEqual([201, 401]);
    expect([first.body.check, second.body.check]).toContain('nonce');
  });

  it('refuses an unknown key without saying whether it exists', async () => {
    const stranger = {
      keyId: 'nobody-1',
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      algorithm: 'ecdsa-p256-sha256' as const,
    };
    const answer = await send(sign({}, stranger));
    expect(answer.status).toBe(401);
    // The same answer as a forged signature under a key id that exists.
    const forged = await send(sign({}, { ...stranger, keyId: 'demo-psb-1' }));
    expect(answer.body).toMatchObject({ check: 'signature' });
    expect(answer.body.detail).toBe(forged.body.detail);
  });

  // Names every plain object inherits: looked up as header fields they once found the
  // built-ins and answered 500.
  it.each(['constructor', '__proto__'])(
    'refuses a signature covering a field %s the request lacks: 401 components, not 500',
    async (component) => {
      const created = Math.floor(Date.now() / 1000);
      const response = await fetch(`${endpoint}/licenses`, {
        method: 'POST',
        headers: [
          [
            'signature-input',
            `agency=("@method" "@target-uri" "${component}");created=${created};nonce="aaaaaaaaaaaaaaaaaaaa";keyid="x"`,
          ],
          ['signature', 'agency=:AAAA:'],
        ],
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({
        type: 'urn:elicense:problem:unauthorized',
        check: 'components',
      });
    },
  );

  it.each(['Constructor', '__proto__'])(
    'refuses a request with a header named %s and no signature: 401',
    async (name) => {
      const response = await fetch(`${endpoint}/licenses`, { method: 'POST', headers: [[name, 'x']] });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ check: 'missing-signature' });
    },
  );

  it('refuses a body over the 10 MB limit with 413', async () => {
    const big = new Uint8Array(10 * 1024 * 1024 + 1).fill(0x20);
    const answer = await send(sign({ body: big }));
    expect(answer.status).toBe(413);
    expect(answer.body.type).toBe('urn:elicense:problem:payload-too-large');
  });
});

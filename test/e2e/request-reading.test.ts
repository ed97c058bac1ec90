// How the platform reads a request over HTTP, where what a signature covers and what a route acts
// on could part: a field sent as several lines is signed as all of them joined (RFC 9421 §2.1), so
// a field naming one value (Idempotency-Key, Content-Type, If-Match, Authorization) must come once.
// fetch joins repeated names into one line, so the requests here are written with node:http, each
// header line as given.

import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DEMO_AGENCIES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { signAgencyRequest } from '../../sdk/agency-client.ts';
import { createHolderClient } from '../../sdk/holder.ts';
import { base, idCardRequest, psb } from './issuer-support.ts';
import { holderToken } from './support/holder-tokens.ts';

const PROBLEM = 'application/problem+json';

interface Answer {
  status: number;
  contentType: string | undefined;
  json: Record<string, unknown>;
}

/** Sends one request with exactly these header lines, in this order (and Host, which a raw list lacks). */
function send(method: string, url: string, lines: [string, string][], body?: Uint8Array): Promise<Answer> {
  const headers = [['Host', new URL(url).host], ...lines, ['Content-Length', String(body?.length ?? 0)]];
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: headers.flat() }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode!,
          contentType: response.headers['content-type'],
          json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
        });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body === undefined ? undefined : Buffer.from(body));
  });
}

const psbKey = DEMO_AGENCIES.flatMap((a) => a.apiKeys).find((k) => k.keyId === 'demo-psb-1')!;

/**
 * A POST /licenses signed by the public security bureau over `signed` (lower-case names, values
 * as the signature covers them), sent with the header lines `lines` and the signature fields.
 */
function signedIssue(signed: Record<string, string>, lines: [string, string][], body: Uint8Array) {
  const request = signAgencyRequest(
    { method: 'POST', url: `${base}/licenses`, headers: signed, body },
    {
      keyId: psbKey.keyId,
      privateKey: demoPrivateKey(psbKey.keyId, psbKey.algorithm),
      algorithm: psbKey.algorithm,
    },
  );
  const { 'content-digest': digest, 'signature-input': input, signature } = request.headers;
  return send(
    'POST',
    request.url,
    [...lines, ['Content-Digest', digest!], ['Signature-Input', input!], ['Signature', signature!]],
    body,
  );
}

const jsonBody = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('a header field naming one value, sent as two lines', () => {
  it('Idempotency-Key signed as "X, Y": 400 REPEATED_HEADER, and neither key is taken', async () => {
    const [x, y] = [randomUUID(), randomUUID()];
    const answer = await signedIssue(
      { 'content-type': 'application/json', 'idempotency-key': `${x}, ${y}` },
      [
        ['Content-Type', 'application/json'],
        ['Idempotency-Key', x],
        ['Idempotency-Key', y],
      ],
      jsonBody(idCardRequest()),
    );
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe(PROBLEM);
    expect(answer.json).toMatchObject({
      type: 'urn:elicense:problem:bad-request',
      code: 'REPEATED_HEADER',
      header: 'idempotency-key',
    });
    // Nothing was recorded under either key: each takes another request as a new one (a key kept
    // for the refused body would answer 422 here).
    const other = idCardRequest({ 住址: '演示市别处2号' });
    await expect(psb.issueLicense(other, { idempotencyKey: y })).resolves.toMatchObject({ version: '001' });
    await expect(psb.issueLicense(other, { idempotencyKey: x })).resolves.toMatchObject({ version: '001' });
  });

  it.each([
    ['Content-Type', 'Content-Type'],
    ['Content-Type', 'content-type'],
  ])('Content-Type as %s then %s (text/plain, application/json): 400 REPEATED_HEADER', async (a, b) => {
    const key = randomUUID();
    const answer = await signedIssue(
      { 'content-type': 'text/plain, application/json', 'idempotency-key': key },
      [
        [a, 'text/plain'],
        [b, 'application/json'],
        ['Idempotency-Key', key],
      ],
      jsonBody(idCardRequest()),
    );
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'REPEATED_HEADER', header: 'content-type' });
  });

  it('Authorization on a holder route, the valid token first or last: 400 REPEATED_HEADER', async () => {
    const valid = `Bearer ${await holderToken('zhangweiming')}`;
    const alone = await send('GET', `${base}/holder/licenses`, [['Authorization', valid]]);
    expect(alone.status).toBe(200);
    for (const lines of [
      ['Bearer x', valid],
      [valid, 'Bearer x'],
    ]) {
      const answer = await send('GET', `${base}/holder/licenses`, [
        ['Authorization', lines[0]!],
        ['Authorization', lines[1]!],
      ]);
      expect(answer.status).toBe(400);
      expect(answer.contentType).toBe(PROBLEM);
      expect(answer.json).toMatchObject({ code: 'REPEATED_HEADER', header: 'authorization' });
    }
  });
});

describe('the charset of a JSON body', () => {
  it('POST /licenses declared charset=utf-16: 415 UNSUPPORTED_CHARSET, and its key stays free', async () => {
    const key = randomUUID();
    const contentType = 'application/json; charset=utf-16';
    const answer = await signedIssue(
      { 'content-type': contentType, 'idempotency-key': key },
      [
        ['Content-Type', contentType],
        ['Idempotency-Key', key],
      ],
      jsonBody(idCardRequest()),
    );
    expect(answer.status).toBe(415);
    expect(answer.contentType).toBe(PROBLEM);
    expect(answer.json).toMatchObject({
      type: 'urn:elicense:problem:unsupported-media-type',
      code: 'UNSUPPORTED_CHARSET',
    });
    const other = idCardRequest({ 住址: '演示市别处3号' });
    await expect(psb.issueLicense(other, { idempotencyKey: key })).resolves.toMatchObject({ version: '001' });
  });
});

describe('a JSON body naming a member twice', () => {
  it('POST /licenses with {"typeCode":12,"typeCode":"…"}: 400 DUPLICATE_MEMBER_NAME, and its key stays free', async () => {
    const key = randomUUID();
    const body = new TextEncoder().encode(`{"typeCode":12,${JSON.stringify(idCardRequest()).slice(1)}`);
    const answer = await signedIssue(
      { 'content-type': 'application/json', 'idempotency-key': key },
      [
        ['Content-Type', 'application/json'],
        ['Idempotency-Key', key],
      ],
      body,
    );
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe(PROBLEM);
    expect(answer.json).toMatchObject({
      type: 'urn:elicense:problem:bad-request',
      code: 'DUPLICATE_MEMBER_NAME',
      detail: expect.stringContaining('"typeCode"'),
    });
    const other = idCardRequest({ 住址: '演示市别处4号' });
    await expect(psb.issueLicense(other, { idempotencyKey: key })).resolves.toMatchObject({ version: '001' });
  });
});

describe('a JSON body that is not UTF-8', () => {
  // 张伟明's address with one stray byte (0xFF, never UTF-8) in it.
  const notUtf8 = (text: string) => {
    const at = text.indexOf('演示市');
    return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]);
  };

  it('POST /licenses, signed over the bytes sent: refused naming U+FFFD (the digest no longer matches what arrived as text), and its key stays free', async () => {
    const key = randomUUID();
    const answer = await signedIssue(
      { 'content-type': 'application/json', 'idempotency-key': key },
      [
        ['Content-Type', 'application/json'],
        ['Idempotency-Key', key],
      ],
      notUtf8(JSON.stringify(idCardRequest({ 住址: '演示市别处5号' }))),
    );
    expect(answer.status).toBe(401);
    expect(answer.contentType).toBe(PROBLEM);
    expect(answer.json.detail).toContain('U+FFFD');
    const other = idCardRequest({ 住址: '演示市别处6号' });
    await expect(psb.issueLicense(other, { idempotencyKey: key })).resolves.toMatchObject({ version: '001' });
  });

  it('POST /holder/grants (no digest on a holder route): 400 BODY_NOT_UTF8, and no grant is made', async () => {
    const token = await holderToken('zhangweiming');
    const asHolder = createHolderClient({ endpoint: base, token });
    const before = await asHolder.grants({ limit: 100 });
    const { licenseId } = await psb.issueLicense(idCardRequest({ 住址: '演示市别处7号' }));
    const request = {
      scope: { licenseId },
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: '办理住房公积金提取 演示市',
      fields: ['姓名'],
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      maxUses: 1,
    };
    const answer = await send(
      'POST',
      `${base}/holder/grants`,
      [
        ['Authorization', `Bearer ${token}`],
        ['Content-Type', 'application/json'],
      ],
      notUtf8(JSON.stringify(request)),
    );
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe(PROBLEM);
    expect(answer.json).toMatchObject({ type: 'urn:elicense:problem:bad-request', code: 'BODY_NOT_UTF8' });
    const after = await asHolder.grants({ limit: 100 });
    expect(after.items.map((g) => g.id)).toEqual(before.items.map((g) => g.id));
    // The same request in UTF-8 makes its grant: the refusal was the encoding's alone.
    const made = await asHolder.createGrant(request);
    expect(made.grant.purpose).toBe(request.purpose);
    expect((await asHolder.grants({ limit: 100 })).items.map((g) => g.id)).toContain(made.grant.id);
  });
});

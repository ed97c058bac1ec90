// Every rejection of the issuer routes over HTTP: idempotency, authorization, authentication and
// schema — each a problem+json that changes nothing.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEMO_TYPE_CODE } from '#dev/demo/catalog.ts';
import { signAgencyRequest } from '../../sdk/agency-client.ts';
import { createIssuerClient } from '../../sdk/issuer.ts';
import { agencyClient, amr, base, idCardRequest, psb, verify } from './issuer-support.ts';

const PROBLEM = 'application/problem+json';

describe('Idempotency-Key', () => {
  it('answers the same key and body with the same license, issuing it once', async () => {
    const key = randomUUID();
    const request = idCardRequest();
    const first = await psb.issueLicense(request, { idempotencyKey: key });
    const second = await psb.issueLicense(request, { idempotencyKey: key });
    expect(second).toEqual(first);
    // The one license is usable: a revocation of it shows in the copy both answers carried.
    await psb.revoke(first.licenseId, '注销');
    expect((await verify(second.sdJwt)).valid).toBe(false);
    // A new key is a new license.
    const third = await psb.issueLicense(request);
    expect(third.licenseId).not.toBe(first.licenseId);
  });

  it('refuses the same key with another body with 422, and issues nothing', async () => {
    const key = randomUUID();
    const first = await psb.issueLicense(idCardRequest(), { idempotencyKey: key });
    const other = await psb
      .issueLicense(idCardRequest({ 住址: '演示市别处1号' }), { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(other).toMatchObject({
      status: 422,
      problem: { type: 'urn:elicense:problem:idempotency-key-reused' },
    });
    // The key still stands for the first request.
    expect((await psb.issueLicense(idCardRequest(), { idempotencyKey: key })).licenseId).toBe(
      first.licenseId,
    );
  });

  it('keys status changes per license: one key used on two licenses changes both', async () => {
    const key = randomUUID();
    const a = await psb.issueLicense(idCardRequest());
    const b = await psb.issueLicense(idCardRequest());
    expect((await psb.suspend(a.licenseId, '挂失', { idempotencyKey: key })).licenseId).toBe(a.licenseId);
    expect((await psb.suspend(b.licenseId, '挂失', { idempotencyKey: key })).licenseId).toBe(b.licenseId);
    expect((await verify(b.sdJwt)).checks.status).toMatch(/^failed: suspended/);
  });

  it('refuses a POST without the header with 400', async () => {
    for (const [path, json] of [
      ['/licenses', idCardRequest()],
      ['/licenses/batch', { items: [idCardRequest()] }],
    ] as const) {
      const response = await psb.agency.request('POST', path, { json });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe(PROBLEM);
      expect(await response.json()).toMatchObject({
        type: 'urn:elicense:problem:bad-request',
        detail: expect.stringMatching(/Idempotency-Key header is required/),
      });
    }
  });
});

describe('authorization', () => {
  it('refuses an issuer not registered for the type (the market regulation bureau issuing an identity card) with 403', async () => {
    const refused = await amr.issueLicense(idCardRequest()).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      status: 403,
      problem: {
        type: 'urn:elicense:problem:forbidden',
        code: 'ISSUER_NOT_REGISTERED',
        detail: expect.stringContaining(DEMO_TYPE_CODE.residentIdentityCard),
      },
    });
  });

  it('refuses another agency changing a license it did not issue with 403, leaving it valid', async () => {
    const { licenseId, sdJwt } = await psb.issueLicense(idCardRequest());
    for (const attempt of [
      () => amr.revoke(licenseId, '越权'),
      () => amr.suspend(licenseId, '越权'),
      () => amr.reissue(licenseId),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ status: 403, problem: { code: 'NOT_THE_ISSUER' } });
    }
    expect((await verify(sdJwt)).valid).toBe(true);
  });

  it('refuses a relying agency (no issuer role) with 403 naming the role check', async () => {
    const relying = createIssuerClient(agencyClient('demo-hpf-1'));
    await expect(relying.issueLicense(idCardRequest())).rejects.toMatchObject({
      status: 403,
      problem: { type: 'urn:elicense:problem:forbidden', check: 'role' },
    });
  });
});

describe('authentication', () => {
  it('refuses an unsigned request with 401', async () => {
    const response = await fetch(`${base}/licenses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify(idCardRequest()),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe(PROBLEM);
    expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:unauthorized' });
  });

  it('refuses a request whose signature does not verify with 401', async () => {
    const { demoPrivateKey } = await import('#dev/demo/catalog.ts');
    const body = new TextEncoder().encode(JSON.stringify(idCardRequest()));
    // Signed with the market regulation bureau's key, but naming the public security bureau's key id.
    const signed = signAgencyRequest(
      {
        method: 'POST',
        url: `${base}/licenses`,
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body,
      },
      {
        keyId: 'demo-psb-1',
        privateKey: demoPrivateKey('demo-amr-1', 'ecdsa-p256-sha256'),
        algorithm: 'ecdsa-p256-sha256',
      },
    );
    const response = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      type: 'urn:elicense:problem:unauthorized',
      check: 'signature',
    });
  });
});

describe('schema', () => {
  it('refuses data that does not match the type with 400 and one error per field', async () => {
    const refused = await psb
      .issueLicense(idCardRequest({ 性别: '未知', 出生: '2999-01-01', 公民身份号码: '330102199003071231' }))
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      status: 400,
      problem: { type: 'urn:elicense:problem:validation-failed', code: 'LICENSE_DATA_INVALID' },
    });
    const paths = (refused as { problem: { errors: { path: string }[] } }).problem.errors.map((e) => e.path);
    expect(paths).toEqual(['data.性别', 'data.出生', 'data.公民身份号码']);
  });

  it('refuses a control character in the data, the holder name or a reason with 400, issuing nothing', async () => {
    const request = idCardRequest({ 姓名: 'a\u0000b', 住址: '\u0007\u001b[31m' });
    const refused = await psb
      .issueLicense({ ...request, holder: { ...request.holder, name: 'a\u0000b' } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      status: 400,
      problem: { type: 'urn:elicense:problem:validation-failed' },
    });
    expect((refused as { problem: { detail: string } }).problem.detail).toMatch(/holder\.name/);
    const data = await psb
      .issueLicense(idCardRequest({ 姓名: 'a\u0000b', 住址: '\u0007\u001b[31m' }))
      .catch((e: unknown) => e);
    expect(data).toMatchObject({
      status: 400,
      problem: {
        code: 'LICENSE_DATA_INVALID',
        errors: [
          { path: 'data.姓名', code: 'control-character' },
          { path: 'data.住址', code: 'control-character' },
        ],
      },
    });
    const batch = await psb.issueBatch([idCardRequest({ 签发机关: '演示\u0000' }), idCardRequest()]);
    expect(batch).toMatchObject({
      issued: 1,
      failed: 1,
      items: [{ index: 0, status: 400 }, { status: 201 }],
    });

    const { licenseId, sdJwt } = await psb.issueLicense(idCardRequest());
    const reissue = await psb
      .reissue(licenseId, { data: { ...idCardRequest().data, 姓名: '李\u0000四' } })
      .catch((e: unknown) => e);
    expect(reissue).toMatchObject({
      status: 400,
      problem: { errors: [{ path: 'data.姓名', code: 'control-character' }] },
    });
    const reason = await psb.revoke(licenseId, '注销\u001b[2J').catch((e: unknown) => e);
    expect(reason).toMatchObject({
      status: 400,
      problem: { type: 'urn:elicense:problem:validation-failed' },
    });
    expect((await verify(sdJwt)).valid).toBe(true);
  });

  it('refuses unknown fields and malformed JSON with 400', async () => {
    const unknown = await psb.agency.request('POST', '/licenses', {
      json: { ...idCardRequest(), colour: 'blue' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ type: 'urn:elicense:problem:validation-failed' });
    const malformed = await psb.agency.request('POST', '/licenses', {
      body: '{"typeCode":',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: 'urn:elicense:problem:bad-request' });
  });
});

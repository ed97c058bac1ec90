// Retrieval on a holder grant (用证授权), over HTTP against the local platform: the holder (张伟明,
// with a token of the development issuer) grants, the housing provident fund centre retrieves with its code and gets only the
// granted fields, with an annotated copy it can check against the published platform key; every
// way a grant stops working is a 403 naming why; every success has its audit event.
import { createHash } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fromBase64url } from '#core/jws.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { createHolderClient, type HolderClient, type HolderGrantRequest } from '../../sdk/holder.ts';
import {
  createRetrievalClient,
  type RetrievalClient,
  type RetrieveRequest,
  verifyAnnotation,
} from '../../sdk/retrieval.ts';
import { holderToken } from './support/holder-tokens.ts';
import { refusal } from './support/refusals.ts';
import { PlatformStorage, SECOND_RELYING, type StoredLicense } from './support/stored-licenses.ts';

const endpoint = inject('platformUrl');
const ID_CARD = DEMO_LICENSES[0]!;
const PURPOSE = '办理住房公积金提取';

let storage: PlatformStorage;
let holder: HolderClient;
let liXiaoyan: HolderClient;
let fundCentre: RetrievalClient;
let secondRelying: RetrievalClient;
let issuer: RetrievalClient;
let jwks: JSONWebKeySet;

const client = (keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519') =>
  createRetrievalClient({ endpoint, keyId, privateKey: demoPrivateKey(keyId, algorithm), algorithm });

beforeAll(async () => {
  storage = await PlatformStorage.open({
    url: endpoint,
    dataDir: inject('platformDataDir'),
    endpoints: inject('platformEndpoints'),
  });
  await storage.registerSecondRelyingAgency();
  holder = createHolderClient({ endpoint, token: await holderToken('zhangweiming') });
  liXiaoyan = createHolderClient({ endpoint, token: await holderToken('lixiaoyan') });
  fundCentre = client('demo-hpf-1', 'ecdsa-p256-sha256');
  secondRelying = client(SECOND_RELYING.keyId, SECOND_RELYING.algorithm);
  issuer = client('demo-psb-1', 'ecdsa-p256-sha256');
  jwks = (await (await fetch(`${endpoint}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
});

afterAll(() => storage.close());

function grantFor(license: StoredLicense, terms: Partial<HolderGrantRequest> = {}) {
  return holder.createGrant({
    scope: { licenseId: license.record.id },
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    purpose: PURPOSE,
    fields: ['姓名', '出生'],
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    maxUses: 5,
    ...terms,
  });
}

/** The problem a refused call answered with. */
async function problemOf(call: Promise<unknown>): Promise<{ status: number; type: string; code?: string }> {
  const error = await refusal(call);
  return { status: error.status, type: error.problem.type, code: error.problem.code };
}

function disclosedNames(presentation: string): string[] {
  return presentation
    .split('~')
    .slice(1, -1)
    .map((d) => (JSON.parse(fromBase64url(d).toString('utf8')) as [string, string, unknown])[1]);
}

describe('retrieval on a holder grant', () => {
  it('returns only the granted fields, an annotated copy that verifies with the published platform key, and is audited', async () => {
    const license = await storage.issue(ID_CARD);
    const { grant, code } = await grantFor(license, { fields: ['姓名', '出生'] });
    const before = new Date();

    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } });

    expect(disclosedNames(retrieval.presentation).sort()).toEqual(['出生', '姓名']);
    expect(retrieval.presentation).not.toContain(Buffer.from(license.holder.code).toString('base64url'));
    const claims = await verifyAnnotation(retrieval, jwks, {
      requester: DEMO_USCC.housingProvidentFundCentre,
    });
    expect(claims).toMatchObject({
      iss: endpoint,
      requester: DEMO_USCC.housingProvidentFundCentre,
      basis: { kind: 'grant', grant_id: grant.id },
      purpose: PURPOSE,
      license_id: license.record.id,
      license_version: '001',
      jti: retrieval.auditEventId,
    });
    expect(claims.presentation_digest.value).toBe(
      createHash('sha256').update(retrieval.presentation).digest('base64url'),
    );
    const event = await storage.auditEvent(retrieval.auditEventId, before);
    expect(event).toMatchObject({
      action: 'license.retrieved',
      actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
      subject: { licenseId: license.record.id, grantId: grant.id },
      basis: { purpose: PURPOSE },
      outcome: 'success',
    });
  });

  it('hands out a presentation that POST /verify finds valid, showing only the granted fields', async () => {
    const license = await storage.issue(ID_CARD);
    const { code } = await grantFor(license, { fields: ['性别'] });
    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } });

    const response = await fetch(`${endpoint}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ presentation: retrieval.presentation }),
    });

    const result = (await response.json()) as { valid: boolean; claims: { fields: Record<string, unknown> } };
    expect(result.valid).toBe(true);
    expect(result.claims.fields).toEqual({ 性别: '男' });
  });

  it('is refused with 403 GRANT_EXHAUSTED once every use is made', async () => {
    const license = await storage.issue(ID_CARD);
    const { code } = await grantFor(license, { maxUses: 2 });
    const request = { licenseId: license.record.id, basis: { grant: { code } } };
    await fundCentre.retrieve(request);
    await fundCentre.retrieve(request);

    expect(await problemOf(fundCentre.retrieve(request))).toEqual({
      status: 403,
      type: 'urn:elicense:problem:forbidden',
      code: 'GRANT_EXHAUSTED',
    });
  });

  it('is refused with 403 GRANT_EXPIRED once the grant has expired', async () => {
    const license = await storage.issue(ID_CARD);
    const { code } = await grantFor(license, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((done) => setTimeout(done, 2000));

    const problem = await problemOf(
      fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } }),
    );

    expect(problem).toMatchObject({ status: 403, code: 'GRANT_EXPIRED' });
  });

  it('is refused with 403 GRANT_REVOKED once the holder revoked the grant, which cannot be revoked twice', async () => {
    const license = await storage.issue(ID_CARD);
    const { grant, code } = await grantFor(license);

    const revoked = await holder.revokeGrant(grant.id, '持证人撤回授权');

    expect(revoked).toMatchObject({ id: grant.id, status: 'revoked' });
    expect(revoked).not.toHaveProperty('holderIndex');
    expect(
      await problemOf(fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } })),
    ).toMatchObject({ status: 403, code: 'GRANT_REVOKED' });
    expect(await problemOf(holder.revokeGrant(grant.id))).toMatchObject({ status: 409 });
  });

  it('is refused with 403 to another relying agency presenting the code, and the attempt uses nothing', async () => {
    const license = await storage.issue(ID_CARD);
    const { code } = await grantFor(license, { maxUses: 1 });

    const problem = await problemOf(
      secondRelying.retrieve({ licenseId: license.record.id, basis: { grant: { code } } }),
    );

    expect(problem).toMatchObject({ status: 403, code: 'GRANT_NOT_FOR_AGENCY' });
    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } });
    expect(retrieval.licenseId).toBe(license.record.id);
  });

  it('never discloses a field outside the grant, and does not cover another license', async () => {
    const license = await storage.issue(ID_CARD);
    const other = await storage.issue(DEMO_LICENSES[1]!);
    const { code } = await grantFor(license, { fields: ['签发机关'] });

    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } });

    expect(disclosedNames(retrieval.presentation)).toEqual(['签发机关']);
    expect(retrieval.disclosed).toEqual(['签发机关']);
    expect(
      await problemOf(fundCentre.retrieve({ licenseId: other.record.id, basis: { grant: { code } } })),
    ).toMatchObject({ status: 403, code: 'GRANT_DOES_NOT_COVER' });
  });

  it('retrieves by type alone on a grant for the holder’s licenses of that type; naming the holder is 400, right or wrong, and uses nothing', async () => {
    const demo = DEMO_LICENSES[1]!;
    const license = await storage.issue(demo);
    const { code } = await liXiaoyan.createGrant({
      scope: { typeCode: demo.typeCode },
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: PURPOSE,
      fields: ['公民身份号码'],
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      maxUses: 1,
    });

    // A holder named under a grant would be compared with the grant's — an oracle for identity
    // numbers: refused for its shape, the right number as the wrong one, before the grant is read.
    for (const holderCode of [demo.holder.code, DEMO_HOLDERS.zhangWeiming.code]) {
      const named = { holder: { codeType: demo.holder.codeType, code: holderCode }, typeCode: demo.typeCode };
      expect(
        await problemOf(fundCentre.retrieve({ ...named, basis: { grant: { code } } } as RetrieveRequest)),
      ).toMatchObject({ status: 400, type: 'urn:elicense:problem:validation-failed' });
    }

    const retrieval = await fundCentre.retrieve({ typeCode: demo.typeCode, basis: { grant: { code } } });

    // The holder's valid license of the type issued last: this one, or one another test issued since.
    const valid = (await liXiaoyan.licenses()).licenses.filter(
      (l) => l.typeCode === demo.typeCode && l.status === 'valid' && l.issuedAt >= license.record.issuedAt,
    );
    expect(valid.map((l) => l.licenseId)).toContain(retrieval.licenseId);
    expect(retrieval.disclosed).toEqual(['公民身份号码']);
  });

  it('comes with a working layout-document link when the grant covers every field', async () => {
    const license = await storage.issue(ID_CARD, { withDocument: true });
    const { code } = await grantFor(license, { fields: Object.keys(license.data) });

    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } });

    expect(retrieval.document).toBeDefined();
    const download = await fetch(retrieval.document!.url);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('base64url')).toBe(retrieval.document!.sha256);
    expect(Buffer.from(bytes).equals(Buffer.from(await storage.documentBytes(license)))).toBe(true);
    expect((await verifyAnnotation(retrieval, jwks)).document).toEqual({
      sha256: retrieval.document!.sha256,
      media_type: 'application/pdf',
    });
  });

  it('is refused with 409 naming the status for a revoked license, and the use is not counted', async () => {
    const license = await storage.issue(ID_CARD);
    const { code } = await grantFor(license, { maxUses: 1 });
    await storage.changeStatus(license, 'revoked');

    const problem = await problemOf(
      fundCentre.retrieve({ licenseId: license.record.id, basis: { grant: { code } } }),
    );

    expect(problem).toEqual({ status: 409, type: 'urn:elicense:problem:conflict', code: 'LICENSE_REVOKED' });
  });
});

describe('requests the retrieval routes refuse', () => {
  it('a retrieval without a basis is a 400', async () => {
    const license = await storage.issue(ID_CARD);

    const response = await fundCentre.agency.request('POST', '/retrievals', {
      json: { licenseId: license.record.id, purpose: PURPOSE },
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:validation-failed' });
  });

  it('an issuing agency without the relying role is refused with 403', async () => {
    const license = await storage.issue(ID_CARD);
    const { code } = await grantFor(license);

    const problem = await problemOf(
      issuer.retrieve({ licenseId: license.record.id, basis: { grant: { code } } }),
    );

    expect(problem).toMatchObject({ status: 403, type: 'urn:elicense:problem:forbidden' });
  });

  it('an agency cannot record grants any more: the route is the holder’s', async () => {
    const response = await fundCentre.agency.request('POST', '/grants', { json: {} });

    expect(response.status).toBe(404);
  });

  it('a grant of a field the type does not have, or to an agency that is not relying, is a 400', async () => {
    const license = await storage.issue(ID_CARD);

    expect(await problemOf(grantFor(license, { fields: ['血型'] }))).toMatchObject({ status: 400 });
    expect(
      await problemOf(grantFor(license, { relyingAgency: DEMO_USCC.publicSecurityBureau })),
    ).toMatchObject({
      status: 400,
    });
  });
});

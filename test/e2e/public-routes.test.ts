import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { slotPk, slotSk } from '#adapters/aws/license-items.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { buildLicenseId } from '#core/identifiers/index.ts';
import { agencyIssuer, issueSdJwtVc, presentSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import { DEMO_AGENCIES, DEMO_LICENSE_TYPES, DEMO_LICENSES, DEMO_USCC } from '#dev/demo/catalog.ts';
import { createHolderClient } from '../../sdk/holder.ts';
import { idCardRequest, psb } from './issuer-support.ts';
import { holderToken } from './support/holder-tokens.ts';

const base = inject('platformUrl');
const client = new DynamoDBClient({
  endpoint: inject('platformEndpoints').dynamodb!,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const table = DynamoDBDocumentClient.from(client);
const STATUS_TABLE = 'elicense-local-status-lists';
afterAll(() => client.destroy());

async function post(path: string, body: string, contentType = 'application/json') {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('GET /.well-known/jwks.json', () => {
  it('publishes every issuing agency’s seal key and the platform key, with kids from the key vault', async () => {
    const response = await fetch(`${base}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as {
      keys: { kid: string; owner: string; agency?: string; d?: string }[];
    };
    const vault = await LocalKeyVault.open({ dir: join(inject('platformDataDir'), 'keys') });
    const issuers = DEMO_AGENCIES.filter((a) => a.sealKey);
    for (const agency of issuers) {
      const { publicJwk } = await vault.keyFor(agency.sealKey!.keyRef);
      expect(keys).toContainEqual(
        expect.objectContaining({ kid: publicJwk.kid, owner: 'agency', agency: agency.uscc }),
      );
    }
    expect(keys).toContainEqual(
      expect.objectContaining({ kid: (await vault.platformKey()).publicJwk.kid, owner: 'platform' }),
    );
    expect(keys).toHaveLength(issuers.length + 1);
    expect(keys.some((k) => k.d !== undefined)).toBe(false);
  });
});

describe('the license-type catalog', () => {
  it('lists the registered types', async () => {
    const response = await fetch(`${base}/license-types`);
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: { code: string }[] };
    expect(items.map((t) => t.code).sort()).toEqual(DEMO_LICENSE_TYPES.map((t) => t.code).sort());
  });

  it('reads one type, and answers an unknown code with a problem', async () => {
    const known = await fetch(`${base}/license-types/${DEMO_LICENSE_TYPES[0]!.code}`);
    expect(((await known.json()) as { name: unknown }).name).toEqual(DEMO_LICENSE_TYPES[0]!.name);
    const unknown = await fetch(`${base}/license-types/11100000000013338W999`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'urn:elicense:problem:not-found' });
  });

  it('answers a code that is not percent-encoded UTF-8 as no such type: 404 problem+json, not 500', async () => {
    for (const code of ['%ZZ', '%E4%B8', '%', '%C0']) {
      const response = await fetch(`${base}/license-types/${code}`);
      expect(response.status, code).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:not-found' });
    }
  });

  it('refuses query parameters named like members every object inherits as any unknown parameter', async () => {
    for (const query of ['__proto__=1', 'constructor=1']) {
      const response = await fetch(`${base}/license-types?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json(), query).toMatchObject({ type: 'urn:elicense:problem:validation-failed' });
    }
    // Given twice, it is refused before its name is looked at.
    const repeated = await fetch(`${base}/license-types?constructor=1&constructor=2`);
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toMatchObject({
      type: 'urn:elicense:problem:bad-request',
      code: 'REPEATED_PARAMETER',
      parameter: 'constructor',
    });
  });

  it('refuses a page size out of range', async () => {
    const response = await fetch(`${base}/license-types?limit=0`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('POST /verify', () => {
  const demo = DEMO_LICENSES[0]!;
  const listId = `e2e-${randomUUID()}`;
  const index = 42;
  let license: string;

  beforeAll(async () => {
    const agency = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;
    const vault = await LocalKeyVault.open({ dir: join(inject('platformDataDir'), 'keys') });
    const { signer } = await vault.keyFor(agency.sealKey!.keyRef);
    const licenseId = buildLicenseId({
      typeCode: demo.typeCode,
      issuerCode: demo.issuer,
      serial: demo.serial,
      version: '001',
    });
    await table.send(
      new PutCommand({
        TableName: STATUS_TABLE,
        Item: { pk: slotPk(listId), sk: slotSk(index), status: 0, licenseId },
      }),
    );
    const now = Math.floor(Date.now() / 1000);
    ({ sdJwt: license } = await issueSdJwtVc(
      {
        licenseId,
        issuer: agencyIssuer(base, agency.uscc),
        fields: { ...demo.data, 有效期限: '2016.05.10-2036.05.10' },
        issuedAt: now,
        validFrom: now - 60,
        validUntil: now + 3600,
        status: { uri: statusListUri(base, listId), idx: index },
      },
      signer,
    ));
  });

  it('verifies a license issued with a registered seal key and a valid status entry', async () => {
    const response = await post('/verify', JSON.stringify({ presentation: license }));
    expect(response.status).toBe(200);
    const result = (await response.json()) as {
      valid: boolean;
      checks: Record<string, string>;
      claims: { fields: object };
    };
    expect(result.checks).toMatchObject({ signature: 'ok', issuer: 'ok', status: 'ok', disclosures: 'ok' });
    expect(result.valid).toBe(true);
    expect(result.claims.fields).toMatchObject({ 姓名: '张伟明', 公民身份号码: '330102199003071230' });
  });

  it('shows only the disclosed fields of a presentation', async () => {
    const presentation = await presentSdJwtVc(license, ['姓名']);
    const result = (await (await post('/verify', JSON.stringify({ presentation }))).json()) as {
      valid: boolean;
      claims: { fields: object };
    };
    expect(result.valid).toBe(true);
    expect(Object.keys(result.claims.fields)).toEqual(['姓名']);
  });

  it('names the failed check of a tampered license', async () => {
    const [jwt, ...rest] = license.split('~');
    const [h, p, s] = jwt!.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = [
      h,
      Buffer.from(JSON.stringify({ ...payload, exp: 4102444800 })).toString('base64url'),
      s,
    ].join('.');
    const result = (await (
      await post('/verify', JSON.stringify({ presentation: [forged, ...rest].join('~') }))
    ).json()) as {
      valid: boolean;
      checks: Record<string, string>;
    };
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toMatch(/^failed/);
  });

  it('fails a revoked license once its status entry says so', async () => {
    await table.send(
      new UpdateCommand({
        TableName: STATUS_TABLE,
        Key: { pk: slotPk(listId), sk: slotSk(index) },
        UpdateExpression: 'SET #s = :revoked',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':revoked': 1 },
      }),
    );
    const result = (await (await post('/verify', JSON.stringify({ presentation: license }))).json()) as {
      valid: boolean;
      checks: Record<string, string>;
    };
    expect(result.valid).toBe(false);
    expect(result.checks.status).toMatch(/^failed: revoked/);
  });

  it('answers a presentation nested too deeply to print with valid: false, not a 500', async () => {
    // JSON.parse takes any depth, JSON.stringify (printing a value for a failure message) not:
    // 20,000 levels in the header or a disclosure, a presentation under the 64 KiB body limit.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const [jwt] = license.split('~');
    const [, p, s] = jwt!.split('.');
    const deepHeader = `${Buffer.from(`{"typ":${deep},"alg":"ES256","kid":"k"}`).toString('base64url')}.${p}.${s}~`;
    const deepDisclosure = `${jwt}~${Buffer.from(deep).toString('base64url')}~`;
    for (const [presentation, check] of [
      [deepHeader, 'header'],
      [deepDisclosure, 'format'],
    ] as const) {
      const response = await post('/verify', JSON.stringify({ presentation }));
      expect(response.status).toBe(200);
      const result = (await response.json()) as { valid: boolean; checks: Record<string, string> };
      expect(result.valid).toBe(false);
      expect(result.checks[check]).toMatch(/^failed: .*found <unprintable array>$/);
    }
  });

  it('answers bad requests with problems and changes nothing', async () => {
    const malformed = await post('/verify', '{"presentation":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: 'urn:elicense:problem:bad-request' });

    const unknownField = await post('/verify', JSON.stringify({ presentation: license, extra: 1 }));
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toMatchObject({ type: 'urn:elicense:problem:validation-failed' });

    const halfBinding = await post('/verify', JSON.stringify({ presentation: license, audience: 'x' }));
    expect(halfBinding.status).toBe(400);

    const wrongType = await post('/verify', license, 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ type: 'urn:elicense:problem:unsupported-media-type' });
  });
});

describe('POST /verify is audited', () => {
  it('shows in the holder’s access history: who verified, the outcome, the field names disclosed', async () => {
    const issued = await psb.issueLicense(idCardRequest());
    const presentation = await presentSdJwtVc(issued.sdJwt, ['姓名', '性别']);
    const response = await post('/verify', JSON.stringify({ presentation }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { valid: boolean }).valid).toBe(true);
    // A forgery naming the same license is audited too, but not as that license's.
    const [jwt, ...rest] = issued.sdJwt.split('~');
    const [h, p] = jwt!.split('.');
    const forged = [`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, ...rest].join('~');
    expect(
      ((await (await post('/verify', JSON.stringify({ presentation: forged }))).json()) as { valid: boolean })
        .valid,
    ).toBe(false);

    const zhang = createHolderClient({ endpoint: base, token: await holderToken('zhangweiming') });
    const { items } = await zhang.accessHistory({ licenseId: issued.licenseId });
    const verified = items.filter((e) => e.action === 'license.verified');
    expect(verified).toEqual([
      expect.objectContaining({
        actor: { kind: 'system', id: 'public-verifier', name: 'unauthenticated verifier' },
        outcome: 'success',
        licenseId: issued.licenseId,
        licenseVersion: '001',
        // In the presentation's order, which follows the credential's shuffled disclosures.
        disclosed: expect.arrayContaining(['姓名', '性别']),
      }),
    ]);
    expect(verified[0]?.disclosed).toHaveLength(2);
  });
});

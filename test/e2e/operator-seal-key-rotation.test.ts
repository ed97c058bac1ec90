import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotPk, slotSk } from '#adapters/aws/license-items.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { addYears } from '#core/civil-date.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { buildLicenseId } from '#core/identifiers/index.ts';
import type { JwsSigner } from '#core/jws.ts';
import { decodeCompactJws } from '#core/jws.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import {
  DEMO_AGENCIES,
  DEMO_HOLDERS,
  DEMO_LICENSES,
  DEMO_TYPE_CODE,
  DEMO_USCC,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import { type AgencyClient, createAgencyClient } from '../../sdk/agency-client.ts';
import { createOperatorClient, type OperatorClient, PlatformProblemError } from '../../sdk/operator.ts';
import { type StagePlatform, startStagePlatform } from './support/stage-platform.ts';

// Rotating a demo issuer's seal key, on a platform stage of its own (the suite's platform keeps
// its demo keys): the platform signs with the new key from then on, both keys are published,
// and every license signed before the rotation — by the platform or straight with the old key —
// still verifies through POST /verify.

const PSB = DEMO_USCC.publicSecurityBureau;
const demoPsb = DEMO_AGENCIES.find((a) => a.uscc === PSB)!;
let platform: StagePlatform;
let operator: OperatorClient;
let issuer: AgencyClient;
let vault: LocalKeyVault;
let dynamodb: DynamoDBClient;
const listId = `e2e-rotation-${randomUUID()}`;
let nextIndex = 0;

beforeAll(async () => {
  platform = await startStagePlatform('e2e-op-rotation');
  const signer = (keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519') =>
    createAgencyClient({
      endpoint: platform.url,
      keyId,
      privateKey: demoPrivateKey(keyId, algorithm),
      algorithm,
    });
  operator = createOperatorClient(signer('demo-operator-1', 'ed25519'));
  issuer = signer('demo-psb-1', 'ecdsa-p256-sha256');
  vault = await LocalKeyVault.open({ dir: join(platform.dataDir, 'keys') });
  dynamodb = new DynamoDBClient({
    endpoint: platform.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  dynamodb?.destroy();
  await platform?.stop();
});

/** A resident identity card signed straight with `signer`, its status entry written as valid. */
async function signedDirectly(signer: JwsSigner): Promise<string> {
  const demo = DEMO_LICENSES[0]!;
  const index = nextIndex++;
  const licenseId = buildLicenseId({
    typeCode: demo.typeCode,
    issuerCode: demo.issuer,
    serial: `${demo.serial}${index}`,
    version: '001',
  });
  await DynamoDBDocumentClient.from(dynamodb).send(
    new PutCommand({
      TableName: `elicense-${platform.stage}-status-lists`,
      Item: { pk: slotPk(listId), sk: slotSk(index), status: 0, licenseId },
    }),
  );
  const now = Math.floor(Date.now() / 1000);
  const { sdJwt } = await issueSdJwtVc(
    {
      licenseId,
      issuer: agencyIssuer(platform.url, PSB),
      fields: { ...demo.data, 有效期限: '2016.05.10-2036.05.10' },
      issuedAt: now,
      validFrom: now - 60,
      validUntil: now + 3600,
      status: { uri: statusListUri(platform.url, listId), idx: index },
    },
    signer,
  );
  return sdJwt;
}

/** A resident identity card issued by the platform through POST /licenses, signed with the agency's current seal key. */
async function issuedByPlatform(): Promise<string> {
  const holder = DEMO_HOLDERS.zhangWeiming;
  const today = chinaCalendarDate(new Date());
  const response = await issuer.request('POST', '/licenses', {
    json: {
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
      data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: today, until: addYears(today, 20) } },
    },
    headers: { 'idempotency-key': randomUUID() },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { sdJwt: string }).sdJwt;
}

async function verify(presentation: string): Promise<{ valid: boolean; checks: Record<string, string> }> {
  const response = await fetch(`${platform.url}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ presentation }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { valid: boolean; checks: Record<string, string> };
}

async function publishedKids(): Promise<string[]> {
  const { keys } = (await (await fetch(`${platform.url}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string; agency?: string }[];
  };
  return keys.filter((k) => k.agency === PSB).map((k) => k.kid);
}

const kidOf = (sdJwt: string) => decodeCompactJws(sdJwt.split('~')[0]!).header.kid;

describe('seal key rotation', () => {
  let oldKid: string;
  let newKid: string;
  let beforeDirect: string;
  let beforeIssued: string;

  beforeAll(async () => {
    const old = await vault.keyFor(demoPsb.sealKey!.keyRef);
    oldKid = old.publicJwk.kid;
    beforeDirect = await signedDirectly(old.signer);
    beforeIssued = await issuedByPlatform();
  });

  it('puts a new seal key in place and keeps the replaced one', async () => {
    const { version, agency } = await operator.getAgency(PSB);
    expect(agency.sealKey?.kid).toBe(oldKid);
    const rotated = await operator.rotateSealKey(PSB, { version });
    expect(rotated.version).toBe(version + 1);
    expect(rotated.agency.sealKey?.keyRef).toBe(`local:seal/${PSB}-2`);
    expect(rotated.agency.previousSealKeys).toEqual([agency.sealKey]);
    newKid = rotated.agency.sealKey!.kid;
    expect(newKid).toBe((await vault.keyFor(`local:seal/${PSB}-2`)).publicJwk.kid);
    expect(newKid).not.toBe(oldKid);
  });

  it('publishes both keys of the agency in the JWKS, the new one first', async () => {
    expect(await publishedKids()).toEqual([newKid, oldKid]);
  });

  it('still verifies licenses signed with the old key, by the platform or straight with the key', async () => {
    expect(kidOf(beforeDirect)).toBe(oldKid);
    expect(kidOf(beforeIssued)).toBe(oldKid);
    const direct = await verify(beforeDirect);
    expect(direct.checks).toMatchObject({ signature: 'ok', issuer: 'ok', status: 'ok' });
    expect(direct.valid).toBe(true);
    expect((await verify(beforeIssued)).valid).toBe(true);
  });

  it('signs new licenses with the new key, and they verify', async () => {
    const issued = await issuedByPlatform();
    expect(kidOf(issued)).toBe(newKid);
    expect((await verify(issued)).valid).toBe(true);
    const direct = await signedDirectly((await vault.keyFor(`local:seal/${PSB}-2`)).signer);
    expect((await verify(direct)).valid).toBe(true);
  });

  it('refuses a license signed with a key the agency never held', async () => {
    const stranger = await signedDirectly((await vault.keyFor('local:seal/never-registered')).signer);
    const result = await verify(stranger);
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toMatch(/^failed/);
  });

  it('refuses a rotation at a stale version and of an agency without a seal key, changing nothing', async () => {
    const { version } = await operator.getAgency(PSB);
    const stale = await operator.rotateSealKey(PSB, { version: version - 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(PlatformProblemError);
    expect((stale as PlatformProblemError).status).toBe(409);

    const relying = await operator
      .rotateSealKey(DEMO_USCC.housingProvidentFundCentre)
      .catch((e: unknown) => e);
    expect((relying as PlatformProblemError).status).toBe(409);
    expect((relying as PlatformProblemError).problem.detail).toMatch(/no seal key to rotate/);

    expect((await operator.getAgency(PSB)).version).toBe(version);
    expect(await publishedKids()).toEqual([newKid, oldKid]);
  });
});

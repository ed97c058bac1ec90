import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { organizationCodeCheckChar, usccCheckChar } from '#core/identifiers/index.ts';
import { decodeCompactJws } from '#core/jws.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';
import { DEMO_SERVICE_ITEM, DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { type AgencyClient, createAgencyClient } from '../../sdk/agency-client.ts';
import { createIssuerClient, type IssuedLicense, type IssuerClient } from '../../sdk/issuer.ts';
import { type AgencyRecord, createOperatorClient, type OperatorClient } from '../../sdk/operator.ts';
import { createRetrievalClient, type RetrievalClient, verifyAnnotation } from '../../sdk/retrieval.ts';
import { idCardRequest } from './issuer-support.ts';
import { refusal } from './support/refusals.ts';
import { type StagePlatform, startStagePlatform } from './support/stage-platform.ts';

// Withdrawing a compromised seal key on a platform stage of its own (the suite's platform keeps
// its demo keys): the bureau issues a license, the operator withdraws the key it was signed with
// (the bureau's current key, so the same change gives the bureau a new one), and from then on
// POST /verify fails that license's signature naming the key withdrawn, the JWKS leaves the key
// out, the local key vault refuses it, a relying agency retrieving it is told (sealWithdrawn), the
// bureau's issue answer given again is refused — and the license re-issued by the bureau verifies
// again, unflagged.

const PSB = DEMO_USCC.publicSecurityBureau;
const REASON = '印章密钥备份介质遗失（安全事件 SEC-2026-031）';
let platform: StagePlatform;
let operator: OperatorClient;
let operatorAgency: AgencyClient;
let psb: IssuerClient;
let fundCentre: RetrievalClient;
const duty = {
  serviceItemCode: DEMO_SERVICE_ITEM.code,
  caseNumber: 'GJJTQ-2026-000031',
  operatorId: 'hpf-operator-007',
};

beforeAll(async () => {
  platform = await startStagePlatform('e2e-op-withdrawal');
  const client = (keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519') =>
    createAgencyClient({
      endpoint: platform.url,
      keyId,
      privateKey: demoPrivateKey(keyId, algorithm),
      algorithm,
    });
  operatorAgency = client('demo-operator-1', 'ed25519');
  operator = createOperatorClient(operatorAgency);
  psb = createIssuerClient(client('demo-psb-1', 'ecdsa-p256-sha256'));
  fundCentre = createRetrievalClient(client('demo-hpf-1', 'ecdsa-p256-sha256'));
});

afterAll(async () => {
  await platform?.stop();
});

async function verify(presentation: string): Promise<{ valid: boolean; checks: Record<string, string> }> {
  const response = await fetch(`${platform.url}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ presentation }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { valid: boolean; checks: Record<string, string> };
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetch(`${platform.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
}

async function publishedKids(): Promise<string[]> {
  const response = await fetch(`${platform.url}/.well-known/jwks.json`);
  const { keys } = (await response.json()) as { keys: { kid: string; agency?: string }[] };
  return keys.filter((k) => k.agency === PSB).map((k) => k.kid);
}

/** The agency as stored (version and record), without the id of the read's own audit event. */
async function agencyRecord(uscc: string): Promise<AgencyRecord> {
  const { auditEventId: _read, ...record } = await operator.getAgency(uscc);
  return record;
}

const kidOf = (sdJwt: string) => decodeCompactJws(sdJwt.split('~')[0]!).header.kid as string;

describe('withdrawing a seal key', () => {
  const request = idCardRequest();
  const idempotencyKey = 'e2e-withdrawal-card-1';
  let issued: IssuedLicense;
  let oldKid: string;
  let before: AgencyRecord;
  let withdrawn: AgencyRecord;

  beforeAll(async () => {
    issued = await psb.issueLicense(request, { idempotencyKey });
    oldKid = kidOf(issued.sdJwt);
    before = await agencyRecord(PSB);
  });

  it('issues a license that verifies under the bureau’s current key', async () => {
    expect(before.agency.sealKey?.kid).toBe(oldKid);
    expect(await publishedKids()).toEqual([oldKid]);
    expect((await verify(issued.sdJwt)).valid).toBe(true);
  });

  it('refuses bad requests with a problem and changes nothing', async () => {
    const body = 'E0009999';
    const unregistered = `12330100${body}${organizationCodeCheckChar(body)}`;
    const unknownAgency = await refusal(
      operator.withdrawSealKey(`${unregistered}${usccCheckChar(unregistered)}`, oldKid, REASON),
    );
    expect(unknownAgency.status).toBe(404);
    const unknownKid = await refusal(operator.withdrawSealKey(PSB, 'never-held', REASON));
    expect(unknownKid.status).toBe(404);
    expect(unknownKid.problem).toMatchObject({ code: 'SEAL_KEY_NOT_FOUND' });
    const noReason = await refusal(operator.withdrawSealKey(PSB, oldKid, '  '));
    expect(noReason.status).toBe(400);
    expect(noReason.problem.type).toBe('urn:elicense:problem:validation-failed');
    const identifying = await refusal(operator.withdrawSealKey(PSB, oldKid, '持有人 11010519491231002X'));
    expect(identifying.status).toBe(400);
    const stale = await refusal(
      operator.withdrawSealKey(PSB, oldKid, REASON, { version: before.version + 1 }),
    );
    expect(stale.status).toBe(409);
    const path = `/agencies/${PSB}/seal-keys/${oldKid}/withdraw`;
    const missingReason = await operatorAgency.request('POST', path, { json: {} });
    expect(missingReason.status).toBe(400);
    expect(missingReason.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const notOperator = await psb.agency.request('POST', path, { json: { reason: REASON } });
    expect(notOperator.status).toBe(403);

    expect(await agencyRecord(PSB)).toEqual(before);
    expect(await publishedKids()).toEqual([oldKid]);
    expect((await verify(issued.sdJwt)).valid).toBe(true);
  });

  it('withdraws the current key with its reason, giving the bureau a new key in the same change', async () => {
    withdrawn = await operator.withdrawSealKey(PSB, oldKid, REASON, { version: before.version });
    expect(withdrawn.version).toBe(before.version + 1);
    expect(withdrawn.agency.sealKey?.keyRef).toBe(`local:seal/${PSB}-2`);
    expect(withdrawn.agency.sealKey?.kid).not.toBe(oldKid);
    expect(withdrawn.agency.previousSealKeys).toEqual([
      {
        ...before.agency.sealKey,
        withdrawn: { at: expect.any(String), reason: REASON, operator: DEMO_USCC.platformOperator },
      },
    ]);
  });

  it('fails every verification of what the key signed, naming it withdrawn, and unpublishes it', async () => {
    const result = await verify(issued.sdJwt);
    expect(result.valid).toBe(false);
    expect(result.checks.signature).toMatch(
      new RegExp(
        `^failed: key "${oldKid}" of issuer ".*${PSB}" is withdrawn since .*: it verifies nothing it signed$`,
      ),
    );
    expect(await publishedKids()).toEqual([withdrawn.agency.sealKey!.kid]);
  });

  it('flags the license to a relying agency that retrieves it, and refuses the bureau’s issue answer given again', async () => {
    const retrieval = await fundCentre.retrieve({ licenseId: issued.licenseId, basis: { duty } });
    expect(kidOf(retrieval.presentation)).toBe(oldKid);
    const since = withdrawn.agency.previousSealKeys?.[0]?.withdrawn?.at;
    expect(retrieval.sealWithdrawn).toEqual({
      kid: oldKid,
      since,
      detail: expect.stringMatching(/fails verification until its issuer re-issues it/),
    });
    // The signed copy the agency files says so too, for whoever checks it offline later.
    const claims = await verifyAnnotation(retrieval, await jwks(), {
      requester: DEMO_USCC.housingProvidentFundCentre,
    });
    expect(claims.seal_withdrawn).toEqual({ kid: oldKid, since });

    const again = await refusal(psb.issueLicense(request, { idempotencyKey }));
    expect(again.status).toBe(409);
    // Which license (and version, and key) to re-issue, for an agency whose first answer was lost.
    expect(again.problem).toMatchObject({
      code: 'LICENSE_SEAL_WITHDRAWN',
      licenseId: issued.licenseId,
      version: '001',
      kid: oldKid,
    });
  });

  it('holds the key withdrawn in the local key vault', async () => {
    const vault = await LocalKeyVault.open({ dir: join(platform.dataDir, 'keys') });
    const refused = await vault.keyFor(before.agency.sealKey!.keyRef).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SigningKeyWithdrawn);
  });

  it('refuses to withdraw it again, changing nothing', async () => {
    const again = await refusal(operator.withdrawSealKey(PSB, oldKid, REASON));
    expect(again.status).toBe(409);
    expect(again.problem).toMatchObject({ code: 'SEAL_KEY_ALREADY_WITHDRAWN' });
    expect(await agencyRecord(PSB)).toEqual(withdrawn);
  });

  it('makes the license verifiable again once its issuer re-issues it, signed with the new key', async () => {
    const reissued = await psb.reissue(issued.licenseId, { reason: '印章密钥吊销后换发' });
    expect(kidOf(reissued.sdJwt)).toBe(withdrawn.agency.sealKey!.kid);
    const result = await verify(reissued.sdJwt);
    expect(result.checks.signature).toBe('ok');
    expect(result.valid).toBe(true);
    const retrieval = await fundCentre.retrieve({ licenseId: reissued.licenseId, basis: { duty } });
    expect(retrieval.sealWithdrawn).toBeUndefined();
    expect(await verifyAnnotation(retrieval, await jwks())).not.toHaveProperty('seal_withdrawn');
    // New licenses are signed with the new key too.
    expect(kidOf((await psb.issueLicense(idCardRequest())).sdJwt)).toBe(withdrawn.agency.sealKey!.kid);
  });
});

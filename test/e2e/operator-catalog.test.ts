import { createPublicKey, generateKeyPairSync, type KeyObject, randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { encodePageCursor } from '#adapters/aws/dynamodb-paging.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { organizationCodeCheckChar, usccCheckChar } from '#core/identifiers/index.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import {
  DEMO_LICENSE_TYPES,
  DEMO_SERVICE_ITEM,
  DEMO_TYPE_CODE,
  DEMO_USCC,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import { type AgencyClient, createAgencyClient } from '../../sdk/agency-client.ts';
import {
  apiKeyOf,
  createOperatorClient,
  type OperatorClient,
  type SharingAgreement,
} from '../../sdk/operator.ts';
import { refusal } from './support/refusals.ts';
import { type StagePlatform, startStagePlatform } from './support/stage-platform.ts';

// The operator's catalog routes over HTTP, signed with the demo operator key, on a platform
// stage of their own (they add agencies and types the other suites do not expect): agencies
// and their keys, license types and sharing agreements — each refusal a problem that changes
// nothing, each change an audit event.

let platform: StagePlatform;
let operator: OperatorClient;
let dynamodb: DynamoDBClient;
const started = new Date();

function client(keyId: string, algorithm: 'ecdsa-p256-sha256' | 'ed25519'): AgencyClient {
  return createAgencyClient({
    endpoint: platform.url,
    keyId,
    privateKey: demoPrivateKey(keyId, algorithm),
    algorithm,
  });
}

/** A valid USCC no other run has used (GB 32100 check, GB 11714 organization code inside). */
function freshUscc(): string {
  const body = `T${String(randomInt(10_000_000)).padStart(7, '0')}`;
  const first17 = `12330100${body}${organizationCodeCheckChar(body)}`;
  return `${first17}${usccCheckChar(first17)}`;
}

beforeAll(async () => {
  platform = await startStagePlatform('e2e-op-catalog');
  operator = createOperatorClient(client('demo-operator-1', 'ed25519'));
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

async function auditEvents(): Promise<AuditEvent[]> {
  const reader = new DynamoAuditLogReader(
    DynamoDBDocumentClient.from(dynamodb),
    `elicense-${platform.stage}-audit`,
  );
  const range = { from: new Date(started.getTime() - 60_000), to: new Date(Date.now() + 60_000) };
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.readRange(range, cursor ? { cursor } : {});
    events.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return events;
}

describe('agencies', () => {
  const uscc = freshUscc();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = `e2e-key-${uscc}`;

  it('registers an agency whose key then signs requests: authenticated, and refused only for its role', async () => {
    const record = await operator.registerAgency({
      uscc,
      name: '演示市测试用证局',
      roles: ['relying'],
      areaCode: '330100',
      apiKeys: [apiKeyOf(keyId, privateKey)],
    });
    expect(record.version).toBe(1);
    expect(record.agency.apiKeys).toEqual([
      expect.objectContaining({ keyId, algorithm: 'ecdsa-p256-sha256', status: 'active' }),
    ]);

    const newcomer = createAgencyClient({
      endpoint: platform.url,
      keyId,
      privateKey,
      algorithm: 'ecdsa-p256-sha256',
    });
    const response = await newcomer.request('GET', '/agencies');
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ type: 'urn:elicense:problem:forbidden', check: 'role' });

    const read = await operator.agency.request('GET', `/agencies/${uscc}`);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(((await read.json()) as { agency: { name: string } }).agency.name).toBe('演示市测试用证局');
  });

  it('answers a second registration of the USCC with 409, changing nothing', async () => {
    const again = await refusal(
      operator.registerAgency({ uscc, name: '另一个名称', roles: ['relying'], areaCode: '330100' }),
    );
    expect(again.status).toBe(409);
    expect(again.problem.type).toBe('urn:elicense:problem:conflict');
    expect((await operator.getAgency(uscc)).agency.name).toBe('演示市测试用证局');
  });

  it('answers an invalid USCC with 400 naming the field', async () => {
    const invalid = await refusal(
      operator.registerAgency({
        uscc: '12330100T00000010X',
        name: 'x',
        roles: ['relying'],
        areaCode: '330100',
      }),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.problem.type).toBe('urn:elicense:problem:validation-failed');
    expect(invalid.problem.errors).toEqual([expect.objectContaining({ path: 'uscc' })]);
  });

  it('refuses an agency without the operator role with 403', async () => {
    const relying = client('demo-hpf-1', 'ecdsa-p256-sha256');
    const response = await relying.request('POST', '/agencies', {
      json: { uscc: freshUscc(), name: 'x', roles: ['relying'], areaCode: '330100' },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ check: 'role' });
  });

  it('adds a key that authenticates at once, refuses a key id another agency holds, and revokes a key', async () => {
    const second = generateKeyPairSync('ed25519').privateKey;
    const secondId = `${keyId}-2`;
    const added = await operator.addApiKey(uscc, apiKeyOf(secondId, second));
    expect(added.agency.apiKeys.map((k) => k.keyId)).toEqual([keyId, secondId]);
    const signer = createAgencyClient({
      endpoint: platform.url,
      keyId: secondId,
      privateKey: second,
      algorithm: 'ed25519',
    });
    expect((await signer.request('GET', '/agencies')).status).toBe(403);

    const taken = await refusal(operator.addApiKey(uscc, apiKeyOf('demo-psb-1', second)));
    expect(taken.status).toBe(409);
    expect(taken.problem.detail).toMatch(/demo-psb-1 is registered to another agency/);

    const revoked = await operator.revokeApiKey(uscc, secondId);
    expect(revoked.agency.apiKeys.find((k) => k.keyId === secondId)?.status).toBe('revoked');
    const refused = await signer.request('GET', '/agencies');
    expect(refused.status).toBe(401);
    expect((await refusal(operator.revokeApiKey(uscc, secondId))).status).toBe(409);
    expect((await refusal(operator.revokeApiKey(uscc, 'no-such-key'))).status).toBe(404);
  });

  it('updates at the version in If-Match, refuses a stale one with 409 and a missing one with 400', async () => {
    const { version } = await operator.getAgency(uscc);
    const changes = { name: '演示市测试用证局（更名）', roles: ['relying' as const], areaCode: '330102' };
    const updated = await operator.updateAgency(uscc, changes, version);
    expect(updated.version).toBe(version + 1);
    expect(updated.agency).toMatchObject({ name: changes.name, areaCode: '330102' });

    const stale = await refusal(operator.updateAgency(uscc, { ...changes, name: '过期' }, version));
    expect(stale.status).toBe(409);
    expect(stale.problem.detail).toMatch(
      new RegExp(`at version ${version + 1}, expected version ${version}`),
    );

    const unconditional = await operator.agency.request('PUT', `/agencies/${uscc}`, { json: changes });
    expect(unconditional.status).toBe(400);
    expect(((await unconditional.json()) as { detail: string }).detail).toMatch(/If-Match/);
    expect((await operator.getAgency(uscc)).agency.name).toBe(changes.name);
  });

  it('gives an agency registered as issuer a seal key of its own, published in the JWKS', async () => {
    const issuer = freshUscc();
    const record = await operator.registerAgency({
      uscc: issuer,
      name: '演示市测试颁证局',
      roles: ['issuer'],
      areaCode: '330100',
    });
    expect(record.agency.sealKey?.keyRef).toBe(`local:seal/${issuer}-1`);
    const { keys } = (await (await fetch(`${platform.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; agency?: string }[];
    };
    expect(keys).toContainEqual(expect.objectContaining({ kid: record.agency.sealKey?.kid, agency: issuer }));
  });

  it('records every change and every read as an audit event of the operator', async () => {
    const ofAgency = (await auditEvents()).filter((e) => e.details?.agency === uscc);
    // The four GET /agencies/{uscc} above (one by the operator client, three by getAgency).
    const reads = ofAgency.filter((e) => e.action === 'agency.read');
    expect(reads).toHaveLength(4);
    const events = ofAgency.filter((e) => e.action !== 'agency.read');
    expect(events.map((e) => e.action)).toEqual([
      'agency.registered',
      'agency.api_key_added',
      'agency.api_key_revoked',
      'agency.updated',
    ]);
    expect(events.at(-1)?.details?.changes).toEqual({
      name: { before: '演示市测试用证局', after: '演示市测试用证局（更名）' },
      areaCode: { before: '330100', after: '330102' },
    });
    // Each names the keys by RFC 7638 thumbprint too: key ids can be freed and registered again.
    const thumbprintOf = (key: KeyObject) => jwkThumbprint(createPublicKey(key).export({ format: 'jwk' }));
    expect(events[0]?.details?.apiKeyThumbprints).toEqual({ [keyId]: thumbprintOf(privateKey) });
    const operatorKey = thumbprintOf(demoPrivateKey('demo-operator-1', 'ed25519'));
    for (const event of ofAgency) {
      expect(event.actor).toEqual({ kind: 'operator', id: DEMO_USCC.platformOperator });
      expect(event.details?.operatorKeyId).toBe('demo-operator-1');
      expect(event.details?.operatorKeyThumbprint).toBe(operatorKey);
    }
  });
});

describe('the operator’s reads of the catalog', () => {
  const operatorActor = { kind: 'operator', id: DEMO_USCC.platformOperator };

  it('are answered with the auditEventId of their event, each in the audit log naming ids and counts only', async () => {
    const listed = await operator.listAgencies({ limit: 3 });
    const response = await operator.agency.request('GET', `/agencies/${DEMO_USCC.publicSecurityBureau}`);
    const read = (await response.json()) as {
      version: number;
      agency: { name: string };
      auditEventId: string;
    };
    const agreements = await operator.listSharingAgreements({
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    });

    expect(response.status).toBe(200);
    // The read keeps its ETag: the version an update names in If-Match.
    expect(response.headers.get('etag')).toBe(`"${read.version}"`);
    const events = new Map((await auditEvents()).map((e) => [e.id, e]));
    expect(events.get(listed.auditEventId)).toMatchObject({
      actor: operatorActor,
      action: 'agency.listed',
      outcome: 'success',
      details: {
        agencies: 3,
        agencyIds: listed.items.map((r) => r.agency.uscc),
        operatorKeyId: 'demo-operator-1',
      },
    });
    expect(events.get(read.auditEventId)).toMatchObject({
      actor: operatorActor,
      action: 'agency.read',
      details: { agency: DEMO_USCC.publicSecurityBureau, version: read.version },
    });
    const agreementIds = agreements.items.map((r) => r.agreement.id);
    expect(agreementIds.length).toBeGreaterThan(0);
    expect(events.get(agreements.auditEventId)).toMatchObject({
      actor: operatorActor,
      action: 'sharing_agreement.listed',
      details: {
        relyingAgency: DEMO_USCC.housingProvidentFundCentre,
        agreements: agreementIds.length,
        agreementIds,
      },
    });
    const written = JSON.stringify([listed, read, agreements].map((r) => events.get(r.auditEventId)));
    expect(written).not.toContain(read.agency.name);
    expect(written).not.toContain(agreements.items[0]!.agreement.purposes[0]);
  });

  it('records nothing for an agency that is not registered: 404', async () => {
    const response = await operator.agency.request('GET', '/agencies/91330100MA2D00010B');
    expect(response.status).toBe(404);
    const reads = (await auditEvents()).filter(
      (e) => e.action === 'agency.read' && e.details?.agency === '91330100MA2D00010B',
    );
    expect(reads).toEqual([]);
  });
});

describe('license types and sharing agreements', () => {
  const idCard = DEMO_LICENSE_TYPES.find((t) => t.code === DEMO_TYPE_CODE.residentIdentityCard)!;
  const sequence = String(randomInt(100, 1000));
  /**
   * A code no registration here takes (each use is refused, writing nothing): 010–099, clear of
   * the demo types' 001 and 002 — `0${sequence.slice(1)}` met them for sequences x01 and x02.
   */
  const neverRegistered = `${idCard.definingAgency.uscc}0${randomInt(10, 100)}`;
  /** A new type: the ID card's fields under another code, 住址 not disclosable on its own. */
  const permit: LicenseType = {
    ...idCard,
    code: `${idCard.definingAgency.uscc}${sequence}`,
    name: { zh: '演示居住许可', en: 'Demo residence permit' },
    fields: idCard.fields.map((f) => (f.name === '住址' ? { ...f, disclosable: false } : f)),
    issuers: [DEMO_USCC.publicSecurityBureau],
    demo: undefined,
  };
  const agreement: SharingAgreement = {
    id: `e2e-permit-${sequence}`,
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    typeCode: permit.code,
    serviceItem: DEMO_SERVICE_ITEM,
    purposes: ['核验申请人居住情况'],
    fields: ['姓名', '公民身份号码'],
    validFrom: '2026-01-01',
    validUntil: '2030-12-31',
  };

  it('registers a license type, which the public catalog then serves; a second registration is 409', async () => {
    const record = await operator.registerLicenseType(permit);
    expect(record).toEqual({ version: 1, licenseType: permit });
    const served = await fetch(`${platform.url}/license-types/${permit.code}`);
    expect(served.status).toBe(200);
    // Its version, for the If-Match of an update, as the operator's agency reads carry theirs.
    expect(served.headers.get('etag')).toBe('"1"');
    expect(((await served.json()) as { name: unknown }).name).toEqual(permit.name);
    expect((await refusal(operator.registerLicenseType(permit))).status).toBe(409);
  });

  it('refuses a type whose issuer is not a registered issuing agency, naming it', async () => {
    const refused = await refusal(
      operator.registerLicenseType({
        ...permit,
        code: neverRegistered,
        issuers: [DEMO_USCC.housingProvidentFundCentre],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.problem.errors).toEqual([
      {
        path: 'issuers.0',
        message: `agency ${DEMO_USCC.housingProvidentFundCentre} has roles relying, not issuer`,
      },
    ]);
  });

  it('refuses to move a type to another data domain with 409, and a domain without tables with 400', async () => {
    const moved = await refusal(operator.updateLicenseType({ ...permit, dataDomain: 'legal-entity' }, 1));
    expect(moved.status).toBe(409);
    expect(moved.problem).toMatchObject({
      type: 'urn:elicense:problem:conflict',
      code: 'DATA_DOMAIN_CHANGE_REFUSED',
    });
    expect(moved.problem.detail).toMatch(/keeps its data domain person, found legal-entity/);

    const unknown = await refusal(
      operator.registerLicenseType({
        ...permit,
        code: neverRegistered,
        dataDomain: 'vehicle',
      }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.problem.errors).toEqual([
      {
        path: 'dataDomain',
        message: 'the stage has no license tables for data domain vehicle; it has person, legal-entity',
      },
    ]);
    const served = await fetch(`${platform.url}/license-types/${permit.code}`);
    expect(((await served.json()) as LicenseType).dataDomain).toBe('person');
  });

  it('refuses to change whose fields name the holder with 409, keeping the type', async () => {
    const changed = await refusal(
      operator.updateLicenseType({ ...permit, holder: { ...permit.holder, codeType: '999' } }, 1),
    );
    expect(changed.status).toBe(409);
    expect(changed.problem).toMatchObject({
      type: 'urn:elicense:problem:conflict',
      code: 'HOLDER_MAPPING_CHANGE_REFUSED',
    });
    expect(changed.problem.detail).toMatch(
      /keeps its holder mapping .*codeType 111\), found .*codeType 999\)/,
    );
    const served = await fetch(`${platform.url}/license-types/${permit.code}`);
    expect(served.headers.get('etag')).toBe('"1"');
    expect(((await served.json()) as LicenseType).holder).toEqual(permit.holder);
  });

  it('registers an agreement for the type and lists it for the relying agency', async () => {
    const record = await operator.registerSharingAgreement(agreement);
    expect(record).toEqual({ version: 1, agreement });
    const listed = await operator.listSharingAgreements({
      relyingAgency: agreement.relyingAgency,
      typeCode: permit.code,
    });
    expect(listed.items).toEqual([{ version: 1, agreement }]);
  });

  it('refuses a listing by a relying agency or type code that is not one with 400 naming it', async () => {
    const cases = [
      [{ relyingAgency: agreement.relyingAgency, typeCode: 'x'.repeat(2000) }, 'typeCode'],
      [{ typeCode: 'x'.repeat(2000) }, 'typeCode'],
      [{ relyingAgency: 'x'.repeat(3000) }, 'relyingAgency'],
      [{ relyingAgency: '91330100MA27XL6Q2X' }, 'relyingAgency'],
    ] as const;
    for (const [filter, path] of cases) {
      const refused = await refusal(operator.listSharingAgreements(filter));
      expect(refused.status, path).toBe(400);
      expect(refused.problem.type).toBe('urn:elicense:problem:validation-failed');
      expect(refused.problem.errors?.map((e) => e.path)).toEqual([path]);
    }
  });

  it('refuses a cursor whose key no listing could have handed out with 400', async () => {
    // Bound to the agencies' partition (AGENCY) as the store binds its cursors, which anyone can.
    const cursor = (key: Record<string, string>) => encodePageCursor({ pk: 'AGENCY' }, key);
    for (const forged of [
      cursor({ sk: 'AGENCY#x', extra: 'y' }),
      cursor({ sk: 'x'.repeat(2000) }),
      Buffer.from(JSON.stringify({ pk: 'AGENCY', sk: 'AGENCY#x' })).toString('base64url'),
    ]) {
      const refused = await refusal(operator.listAgencies({ cursor: forged }));
      expect(refused.status).toBe(400);
      expect(refused.problem.type).toBe('urn:elicense:problem:bad-request');
    }
  });

  it('refuses an agreement naming a non-disclosable or unknown field with 400 naming each', async () => {
    const refused = await refusal(
      operator.registerSharingAgreement({
        ...agreement,
        id: `${agreement.id}-x`,
        fields: ['姓名', '住址', '血型'],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.problem.type).toBe('urn:elicense:problem:validation-failed');
    expect(refused.problem.errors).toEqual([
      {
        path: 'fields',
        field: '住址',
        message: `field 住址 of type ${permit.code} is not disclosable on its own`,
      },
      { path: 'fields', field: '血型', message: `type ${permit.code} has no field 血型` },
    ]);
    const listed = await operator.listSharingAgreements({ typeCode: permit.code });
    expect(listed.items.map((i) => i.agreement.id)).toEqual([agreement.id]);
  });

  it('refuses an agreement for an unregistered type or relying agency, naming both', async () => {
    const refused = await refusal(
      operator.registerSharingAgreement({
        ...agreement,
        id: `${agreement.id}-y`,
        typeCode: `${idCard.definingAgency.uscc}000`,
        relyingAgency: freshUscc(),
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.problem.errors?.map((e) => e.path)).toEqual(['typeCode', 'relyingAgency']);
  });

  it('refuses to stop disclosing a field an agreement names, then updates the agreement and the type in turn', async () => {
    const hidden = {
      ...permit,
      fields: permit.fields.map((f) => (f.name === '公民身份号码' ? { ...f, disclosable: false } : f)),
    };
    const blocked = await refusal(operator.updateLicenseType(hidden, 1));
    expect(blocked.status).toBe(409);
    expect(blocked.problem.detail).toMatch(new RegExp(`agreement ${agreement.id}: field 公民身份号码`));

    const narrowed = await operator.updateSharingAgreement({ ...agreement, fields: ['姓名'] }, 1);
    expect(narrowed.version).toBe(2);
    const read = await operator.getLicenseType(permit.code);
    expect(read).toEqual({ version: 1, licenseType: permit });
    const updated = await operator.updateLicenseType(hidden, read.version);
    expect(updated.version).toBe(2);
    expect((await operator.getLicenseType(permit.code)).version).toBe(2);
    expect((await refusal(operator.updateLicenseType(hidden, read.version))).status).toBe(409);
  });

  it('refuses a body whose code is not the one in the path', async () => {
    const response = await operator.agency.request('PUT', `/license-types/${permit.code}`, {
      json: { ...permit, code: idCard.code },
      headers: { 'if-match': '"2"' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: unknown }).errors).toEqual([
      { path: 'code', message: `expected ${permit.code} as in the path, found ${idCard.code}` },
    ]);
  });

  it('records the type and agreement changes with the type code as subject', async () => {
    const events = (await auditEvents()).filter((e) => e.subject?.typeCode === permit.code);
    expect(events.map((e) => e.action)).toEqual([
      'license_type.registered',
      'sharing_agreement.registered',
      'sharing_agreement.updated',
      'license_type.updated',
    ]);
  });
});

// Duty-based retrieval (依职能用证) over HTTP: the housing provident fund centre retrieves a
// resident identity card's name and citizen identity number for the demo service item under the
// seeded sharing agreement, naming the case and the operator; anything else is refused.
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEMO_LICENSES,
  DEMO_SERVICE_ITEM,
  DEMO_TYPE_CODE,
  DEMO_USCC,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import {
  createRetrievalClient,
  type RetrievalClient,
  type RetrieveRequest,
  verifyAnnotation,
} from '../../sdk/retrieval.ts';
import { refusal } from './support/refusals.ts';
import { newCitizenId, PlatformStorage, SECOND_RELYING } from './support/stored-licenses.ts';

const endpoint = inject('platformUrl');
const ID_CARD = DEMO_LICENSES[0]!;
const DRIVING_LICENCE = DEMO_LICENSES[3]!;
const duty = {
  serviceItemCode: DEMO_SERVICE_ITEM.code,
  caseNumber: 'GJJTQ-2025-000123',
  operatorId: 'hpf-operator-007',
};

let storage: PlatformStorage;
let fundCentre: RetrievalClient;
let secondRelying: RetrievalClient;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  storage = await PlatformStorage.open({
    url: endpoint,
    dataDir: inject('platformDataDir'),
    endpoints: inject('platformEndpoints'),
  });
  await storage.registerSecondRelyingAgency();
  fundCentre = createRetrievalClient({
    endpoint,
    keyId: 'demo-hpf-1',
    privateKey: demoPrivateKey('demo-hpf-1', 'ecdsa-p256-sha256'),
    algorithm: 'ecdsa-p256-sha256',
  });
  secondRelying = createRetrievalClient({
    endpoint,
    keyId: SECOND_RELYING.keyId,
    privateKey: demoPrivateKey(SECOND_RELYING.keyId, SECOND_RELYING.algorithm),
    algorithm: SECOND_RELYING.algorithm,
  });
  jwks = (await (await fetch(`${endpoint}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
});

afterAll(() => storage.close());

async function statusOf(call: Promise<unknown>): Promise<{ status: number; code?: unknown }> {
  const error = await refusal(call);
  return { status: error.status, code: error.problem.code };
}

describe('duty-based retrieval by the housing provident fund centre', () => {
  it('gets the holder’s name and citizen identity number for the agreed service item, audited with case and operator', async () => {
    const holderCode = newCitizenId();
    const license = await storage.issue(ID_CARD, { holderCode, withDocument: true });
    const before = new Date();

    const retrieval = await fundCentre.retrieve({
      holder: { codeType: '111', code: holderCode },
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
      basis: { duty },
    });

    expect(retrieval.licenseId).toBe(license.record.id);
    expect(retrieval.disclosed.sort()).toEqual(['公民身份号码', '姓名']);
    expect(retrieval.document).toBeUndefined();
    const claims = await verifyAnnotation(retrieval, jwks, {
      requester: DEMO_USCC.housingProvidentFundCentre,
    });
    expect(claims).toMatchObject({
      basis: {
        kind: 'duty',
        agreement_id: 'demo-hpf-withdrawal-id-card',
        service_item_code: DEMO_SERVICE_ITEM.code,
        operator_id: 'hpf-operator-007',
      },
      case_number: 'GJJTQ-2025-000123',
      purpose: '核验提取申请人身份',
    });
    const verified = (await (
      await fetch(`${endpoint}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ presentation: retrieval.presentation }),
      })
    ).json()) as { valid: boolean; claims: { fields: Record<string, unknown> } };
    expect(verified).toMatchObject({
      valid: true,
      claims: { fields: { 姓名: '张伟明', 公民身份号码: holderCode } },
    });
    expect(await storage.auditEvent(retrieval.auditEventId, before)).toMatchObject({
      action: 'license.retrieved',
      subject: { licenseId: license.record.id },
      basis: { caseNumber: 'GJJTQ-2025-000123', serviceItemCode: DEMO_SERVICE_ITEM.code },
      details: { agreementId: 'demo-hpf-withdrawal-id-card', operatorId: 'hpf-operator-007' },
    });
  });

  it('retrieves by license id as well', async () => {
    const license = await storage.issue(ID_CARD);

    const retrieval = await fundCentre.retrieve({ licenseId: license.record.id, basis: { duty } });

    expect(retrieval.licenseId).toBe(license.record.id);
  });

  it('without a case number or operator id is a 400', async () => {
    const license = await storage.issue(ID_CARD);
    const without = (field: 'caseNumber' | 'operatorId'): RetrieveRequest => {
      const { [field]: _omitted, ...rest } = duty;
      return { licenseId: license.record.id, basis: { duty: rest as typeof duty } };
    };

    expect(await statusOf(fundCentre.retrieve(without('caseNumber')))).toMatchObject({ status: 400 });
    expect(await statusOf(fundCentre.retrieve(without('operatorId')))).toMatchObject({ status: 400 });
    expect(
      await statusOf(
        fundCentre.retrieve({
          licenseId: license.record.id,
          basis: { duty: { ...duty, caseNumber: '   ' } },
        }),
      ),
    ).toMatchObject({ status: 400 });
  });

  it('for a service item no agreement names is a 403', async () => {
    const license = await storage.issue(ID_CARD);

    const problem = await statusOf(
      fundCentre.retrieve({
        licenseId: license.record.id,
        basis: { duty: { ...duty, serviceItemCode: 'DEMO330100GJJDK002' } },
      }),
    );

    expect(problem).toEqual({ status: 403, code: 'NO_SHARING_AGREEMENT' });
  });

  it('for a type the agreements do not cover, or by an agency without an agreement, is a 403', async () => {
    const licence = await storage.issue(DRIVING_LICENCE);
    const card = await storage.issue(ID_CARD);

    expect(await statusOf(fundCentre.retrieve({ licenseId: licence.record.id, basis: { duty } }))).toEqual({
      status: 403,
      code: 'NO_SHARING_AGREEMENT',
    });
    expect(await statusOf(secondRelying.retrieve({ licenseId: card.record.id, basis: { duty } }))).toEqual({
      status: 403,
      code: 'NO_SHARING_AGREEMENT',
    });
  });

  it('of a suspended license is a 409 naming the status', async () => {
    const license = await storage.issue(ID_CARD);
    await storage.changeStatus(license, 'suspended');

    expect(await statusOf(fundCentre.retrieve({ licenseId: license.record.id, basis: { duty } }))).toEqual({
      status: 409,
      code: 'LICENSE_SUSPENDED',
    });
  });

  it('of a holder without a license of the type is a 404', async () => {
    const problem = await statusOf(
      fundCentre.retrieve({
        holder: { codeType: '111', code: newCitizenId() },
        typeCode: DEMO_TYPE_CODE.residentIdentityCard,
        basis: { duty },
      }),
    );

    expect(problem).toEqual({ status: 404, code: 'HOLDER_LICENSE_NOT_FOUND' });
  });
});

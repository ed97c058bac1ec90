import { describe, expect, it } from 'vitest';
import { listAgencies, listSharingAgreements, readAgency } from '#app/catalog-reads.ts';
import { parseAuditEvent } from '#core/audit/event.ts';
import { DEMO_AGENCIES, DEMO_SHARING_AGREEMENTS, DEMO_USCC } from '#dev/demo/catalog.ts';
import { InvalidCursor } from '#ports/page.ts';
import { adminDeps, InMemoryConfigStore, NOW, OPERATOR } from './fakes.ts';

// The operator's reads of the catalog: agencies (names, roles, request keys, seal keys,
// successors) and sharing agreements are answered only once the read's audit event is written,
// naming ids and counts only.

function setup() {
  const config = new InMemoryConfigStore({ agencies: DEMO_AGENCIES, agreements: DEMO_SHARING_AGREEMENTS });
  const audit = config.audit;
  return { config, audit, deps: { ...adminDeps(), config, audit } };
}

const operatorActor = { kind: 'operator', id: OPERATOR.agency };

describe('listAgencies', () => {
  it('answers a page of agencies once its agency.listed event, naming the USCCs shown, is written', async () => {
    const { audit, deps } = setup();

    const listed = await listAgencies({ limit: 2 }, OPERATOR, deps);

    expect(listed.items).toHaveLength(2);
    const shown = listed.items.map((r) => r.value.uscc);
    expect(listed.auditEventId).toBe('evt-1');
    expect(audit.events).toEqual([
      {
        id: 'evt-1',
        time: NOW.toISOString(),
        actor: operatorActor,
        action: 'agency.listed',
        outcome: 'success',
        details: { agencies: 2, agencyIds: shown, operatorKeyId: OPERATOR.keyId },
      },
    ]);
    expect(parseAuditEvent(audit.events[0])).toEqual(audit.events[0]);
    // Ids only: no key material, no names.
    const written = JSON.stringify(audit.events);
    for (const record of listed.items) {
      expect(written).not.toContain(record.value.name);
      for (const key of record.value.apiKeys) expect(written).not.toContain(key.publicJwk.x);
    }
  });

  it('answers nothing when its event cannot be written', async () => {
    const { audit, deps } = setup();
    audit.failure = new Error('audit table unreachable');

    await expect(listAgencies({ limit: 2 }, OPERATOR, deps)).rejects.toThrow(/audit/);
  });

  it('refuses a cursor it did not hand out before writing anything', async () => {
    const { audit, config, deps } = setup();
    config.listAgencies = async () => {
      throw new InvalidCursor('forged');
    };

    await expect(listAgencies({ cursor: 'x' }, OPERATOR, deps)).rejects.toBeInstanceOf(InvalidCursor);
    expect(audit.events).toEqual([]);
  });
});

describe('readAgency', () => {
  it('answers the agency with its version once its agency.read event is written', async () => {
    const { audit, deps } = setup();

    const read = await readAgency(DEMO_USCC.publicSecurityBureau, OPERATOR, deps);

    expect(read?.version).toBe(1);
    expect(read?.value.uscc).toBe(DEMO_USCC.publicSecurityBureau);
    expect(read?.auditEventId).toBe('evt-1');
    expect(audit.events).toEqual([
      {
        id: 'evt-1',
        time: NOW.toISOString(),
        actor: operatorActor,
        action: 'agency.read',
        outcome: 'success',
        details: { agency: DEMO_USCC.publicSecurityBureau, version: 1, operatorKeyId: OPERATOR.keyId },
      },
    ]);
  });

  it('answers undefined for an agency not registered, recording no read', async () => {
    const { audit, deps } = setup();

    expect(await readAgency('91330100MA2D00010B', OPERATOR, deps)).toBeUndefined();
    expect(audit.events).toEqual([]);
  });

  it('answers nothing when its event cannot be written', async () => {
    const { audit, deps } = setup();
    audit.failure = new Error('audit table unreachable');

    await expect(readAgency(DEMO_USCC.publicSecurityBureau, OPERATOR, deps)).rejects.toThrow(/audit/);
  });
});

describe('listSharingAgreements', () => {
  it('answers the agreements once its sharing_agreement.listed event, naming their ids, is written', async () => {
    const { audit, deps } = setup();

    const listed = await listSharingAgreements({}, { limit: 100 }, OPERATOR, deps);

    const ids = listed.items.map((r) => r.value.id);
    expect(ids).toEqual(DEMO_SHARING_AGREEMENTS.map((a) => a.id).sort());
    expect(audit.events).toEqual([
      {
        id: listed.auditEventId,
        time: NOW.toISOString(),
        actor: operatorActor,
        action: 'sharing_agreement.listed',
        outcome: 'success',
        details: { agreements: ids.length, agreementIds: ids, operatorKeyId: OPERATOR.keyId },
      },
    ]);
  });

  it('names the filters of a listing by relying agency and type', async () => {
    const { audit, deps } = setup();
    const [first] = DEMO_SHARING_AGREEMENTS;
    const filter = { relyingAgency: first!.relyingAgency, typeCode: first!.typeCode };

    const listed = await listSharingAgreements(filter, { limit: 100 }, OPERATOR, deps);
    const byType = await listSharingAgreements({ typeCode: first!.typeCode }, {}, OPERATOR, deps);

    expect(listed.items.map((r) => r.value.id)).toContain(first!.id);
    expect(audit.events.map((e) => e.details)).toEqual([
      {
        ...filter,
        agreements: listed.items.length,
        agreementIds: listed.items.map((r) => r.value.id),
        operatorKeyId: OPERATOR.keyId,
      },
      {
        typeCode: first!.typeCode,
        agreements: byType.items.length,
        agreementIds: byType.items.map((r) => r.value.id),
        operatorKeyId: OPERATOR.keyId,
      },
    ]);
    expect(audit.events.map((e) => e.id)).toEqual([listed.auditEventId, byType.auditEventId]);
  });

  it('answers nothing when its event cannot be written', async () => {
    const { audit, deps } = setup();
    audit.failure = new Error('audit table unreachable');

    await expect(listSharingAgreements({}, {}, OPERATOR, deps)).rejects.toThrow(/audit/);
  });
});

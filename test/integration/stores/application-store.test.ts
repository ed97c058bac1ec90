// License applications over the wire: created with their first step and audit event, advanced
// under the version lock with each step and its event in one transaction, listed per agency and
// state and per holder account, and never keyed by anything personal.

import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applicationItemKey, DynamoApplicationStore } from '#adapters/aws/application-store.ts';
import { auditItem } from '#adapters/aws/audit-items.ts';
import { type Application, advanceApplication, submitApplication } from '#core/applications/application.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { AuditEventExists, ConcurrentModification } from '#core/storage-errors.ts';
import { DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import type { ApplicationWrite, StoredApplication } from '#ports/application-store.ts';
import { InvalidCursor } from '#ports/page.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoApplicationStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-applications');
  store = new DynamoApplicationStore(stage.documents, {
    applications: stage.table('applications'),
    audit: stage.table('audit'),
  });
});

afterAll(async () => {
  await stage.dispose();
});

const AGENCY = DEMO_USCC.publicSecurityBureau;
const CITIZEN_ID = '330102199003071230';
const LICENSE_ID = '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.ABC.001.X';
let minute = 0;
const nextTime = () => new Date(Date.UTC(2025, 5, 1, 2, minute++)).toISOString();
const sealed = (text: string) => new TextEncoder().encode(`sealed:${text}`);

function auditOf(action: string, application: Application, time: string): AuditEvent {
  return {
    id: `evt-${randomUUID()}`,
    time,
    actor: { kind: 'holder', id: application.holderAccount },
    action,
    subject: { typeCode: application.typeCode },
    outcome: 'success',
    details: { applicationId: application.id },
  };
}

async function submit(holderAccount = randomUUID(), agency: string = AGENCY): Promise<ApplicationWrite> {
  const time = nextTime();
  const { application, step } = submitApplication({
    id: randomUUID(),
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    agency,
    holderAccount,
    holderCodeType: '111',
    time,
    attachments: ['d'.repeat(43)],
  });
  const write: ApplicationWrite = {
    next: {
      application,
      sealedContent: sealed(CITIZEN_ID),
      attachments: [
        {
          sha256: 'd'.repeat(43),
          key: 'doc-1',
          size: 100,
          mediaType: 'application/pdf',
          step: 1,
          added: time,
        },
      ],
    },
    step: { ...step, sealedNote: sealed('first note') },
    auditEvent: auditOf('application.submitted', application, time),
  };
  await store.create(write);
  return write;
}

function stepOf(
  current: StoredApplication,
  request: Parameters<typeof advanceApplication>[1],
  action = 'application.info_requested',
): ApplicationWrite {
  const { application, step } = advanceApplication(current.application, request);
  return {
    next: { ...current, application },
    step: step.note === undefined ? step : { ...step, sealedNote: sealed(step.note) },
    auditEvent: auditOf(action, application, request.time),
  };
}

describe('creating and reading', () => {
  test('reads back the application, its sealed content, attachments and first step; its audit event is stored', async () => {
    const write = await submit();
    const read = await store.get(write.next.application.id);
    expect(read?.stored.application).toEqual(write.next.application);
    expect(new TextDecoder().decode(read!.stored.sealedContent)).toBe(`sealed:${CITIZEN_ID}`);
    expect(read?.stored.attachments).toEqual(write.next.attachments);
    expect(read?.history).toHaveLength(1);
    expect(read?.history[0]).toMatchObject({ seq: 1, action: 'submit', from: null, to: 'submitted' });
    const audit = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('audit'),
        Key: { pk: auditItem(write.auditEvent).pk, sk: auditItem(write.auditEvent).sk },
      }),
    );
    expect(audit.Item?.action).toBe('application.submitted');
  });

  test('an unknown id reads as undefined', async () => {
    expect(await store.get(randomUUID())).toBeUndefined();
  });

  test('the sweep’s read: the type and the attachment keys of every step, and nothing else; none for an unknown id', async () => {
    const write = await submit();
    const responded = stepOf(write.next, {
      action: 'request-info',
      actor: { kind: 'agency', id: AGENCY },
      time: nextTime(),
      note: 'a',
    });
    await store.advance(responded);
    const time = nextTime();
    const answered = stepOf(
      {
        ...responded.next,
        attachments: [
          ...responded.next.attachments,
          { sha256: 'e'.repeat(43), key: 'doc-2', size: 5, mediaType: 'image/png', step: 3, added: time },
        ],
      },
      { action: 'respond', actor: { kind: 'holder', id: write.next.application.holderAccount }, time },
      'application.responded',
    );
    await store.advance(answered);

    const held = await store.heldAttachments(write.next.application.id);

    expect(held).toStrictEqual({ typeCode: DEMO_TYPE_CODE.residentIdentityCard, keys: ['doc-1', 'doc-2'] });
    expect(await store.heldAttachments(randomUUID())).toBeUndefined();
    // An id no application can have is refused, not answered as none (which the sweep would act on).
    await expect(store.heldAttachments('')).rejects.toThrow(RangeError);
  });

  test('creating the same application twice is refused and changes nothing', async () => {
    const write = await submit();
    await expect(
      store.create({ ...write, auditEvent: { ...write.auditEvent, id: `evt-${randomUUID()}` } }),
    ).rejects.toThrow(ConcurrentModification);
    expect((await store.get(write.next.application.id))?.history).toHaveLength(1);
  });

  test('no holder code is stored in the clear anywhere in the table', async () => {
    await submit();
    const { Items = [] } = await stage.documents.send(
      new ScanCommand({ TableName: stage.table('applications') }),
    );
    expect(Items.length).toBeGreaterThan(0);
    for (const item of Items) {
      const clear = JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? '<bytes>' : v));
      expect(clear).not.toContain(CITIZEN_ID);
    }
  });
});

describe('advancing', () => {
  test('each step bumps the version and appends to the history, oldest first', async () => {
    const write = await submit();
    const asked = stepOf(write.next, {
      action: 'request-info',
      actor: { kind: 'agency', id: AGENCY },
      time: nextTime(),
      note: '请补充材料',
    });
    await store.advance(asked);
    const answered = stepOf(
      asked.next,
      {
        action: 'respond',
        actor: { kind: 'holder', id: write.next.application.holderAccount },
        time: nextTime(),
      },
      'application.responded',
    );
    await store.advance(answered);
    const read = await store.get(write.next.application.id);
    expect(read?.stored.application).toMatchObject({ state: 'submitted', version: 3 });
    expect(read?.history.map((s) => s.action)).toEqual(['submit', 'request-info', 'respond']);
    expect(new TextDecoder().decode(read!.history[1]!.sealedNote)).toBe('sealed:请补充材料');
  });

  test('a step from a stale version loses: ConcurrentModification naming the version found, nothing written', async () => {
    const write = await submit();
    const agency = { kind: 'agency' as const, id: AGENCY };
    const first = stepOf(write.next, { action: 'request-info', actor: agency, time: nextTime(), note: 'a' });
    const rival = stepOf(
      write.next,
      { action: 'reject', actor: agency, time: nextTime(), note: 'b' },
      'application.rejected',
    );
    await store.advance(first);
    const refused = store.advance(rival);
    await expect(refused).rejects.toThrow(ConcurrentModification);
    await expect(refused).rejects.toMatchObject({ expectedVersion: 1, foundVersion: 2 });
    const read = await store.get(write.next.application.id);
    expect(read?.stored.application.state).toBe('info-requested');
    expect(read?.history).toHaveLength(2);
    const audit = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('audit'),
        Key: { pk: auditItem(rival.auditEvent).pk, sk: auditItem(rival.auditEvent).sk },
      }),
    );
    expect(audit.Item).toBeUndefined();
  });

  test('a decision that changed the data keeps the applied content beside the decided one, through the steps after it', async () => {
    const write = await submit();
    const agency = { kind: 'agency' as const, id: AGENCY };
    const decided = stepOf(
      { ...write.next, sealedContent: sealed('decided'), sealedApplied: write.next.sealedContent },
      { action: 'approve', actor: agency, time: nextTime() },
      'application.approved',
    );
    await store.advance(decided);
    const approving = await store.get(write.next.application.id);
    expect(new TextDecoder().decode(approving!.stored.sealedContent)).toBe('sealed:decided');
    expect(new TextDecoder().decode(approving!.stored.sealedApplied)).toBe(`sealed:${CITIZEN_ID}`);

    await store.advance(
      stepOf(
        approving!.stored,
        { action: 'issue', actor: agency, time: nextTime(), licenseId: LICENSE_ID },
        'application.license_issued',
      ),
    );
    const approved = await store.get(write.next.application.id);
    expect(approved?.stored.application.state).toBe('approved');
    expect(new TextDecoder().decode(approved!.stored.sealedApplied)).toBe(`sealed:${CITIZEN_ID}`);
    const { Item } = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('applications'),
        Key: applicationItemKey(write.next.application.id),
      }),
    );
    expect(Item?.sealedApplied).toBeInstanceOf(Uint8Array);
  });

  test('an application with nothing kept beside its content reads without it', async () => {
    const write = await submit();
    expect((await store.get(write.next.application.id))?.stored).not.toHaveProperty('sealedApplied');
  });

  test('a step whose audit event id is already recorded is refused, the application unchanged', async () => {
    const write = await submit();
    const step = stepOf(write.next, {
      action: 'withdraw',
      actor: { kind: 'holder', id: write.next.application.holderAccount },
      time: write.auditEvent.time,
    });
    await expect(
      store.advance({ ...step, auditEvent: { ...step.auditEvent, id: write.auditEvent.id } }),
    ).rejects.toThrow(AuditEventExists);
    expect((await store.get(write.next.application.id))?.stored.application.state).toBe('submitted');
  });
});

describe('listing', () => {
  test('an agency lists its applications per state, oldest change first, and moves them between states', async () => {
    const agency = DEMO_USCC.vehicleAdministration;
    const a = await submit(randomUUID(), agency);
    const b = await submit(randomUUID(), agency);
    await submit(randomUUID(), DEMO_USCC.marketRegulationBureau);
    const ids = (page: { items: Application[] }) => page.items.map((x) => x.id);
    expect(ids(await store.listByAgency(agency, 'submitted'))).toEqual([
      a.next.application.id,
      b.next.application.id,
    ]);
    const approving = stepOf(a.next, {
      action: 'approve',
      actor: { kind: 'agency', id: agency },
      time: nextTime(),
    });
    await store.advance(approving);
    expect(ids(await store.listByAgency(agency, 'submitted'))).toEqual([b.next.application.id]);
    expect(ids(await store.listByAgency(agency, 'approving'))).toEqual([a.next.application.id]);
    await store.advance(
      stepOf(approving.next, {
        action: 'issue',
        actor: { kind: 'agency', id: agency },
        time: nextTime(),
        licenseId: LICENSE_ID,
      }),
    );
    expect(ids(await store.listByAgency(agency, 'approving'))).toEqual([]);
    expect((await store.get(a.next.application.id))?.history.map((s) => s.action)).toEqual([
      'submit',
      'approve',
      'issue',
    ]);
    const approved = await store.listByAgency(agency, 'approved');
    expect(approved.items).toEqual([
      expect.objectContaining({ id: a.next.application.id, licenseId: LICENSE_ID }),
    ]);
  });

  test('a holder lists own applications newest first, in pages, and a cursor of another listing is refused', async () => {
    const account = randomUUID();
    const first = await submit(account);
    const second = await submit(account);
    await submit();
    const page1 = await store.listByHolder(account, { limit: 1 });
    expect(page1.items.map((x) => x.id)).toEqual([second.next.application.id]);
    expect(page1.cursor).toBeDefined();
    const page2 = await store.listByHolder(account, { limit: 1, cursor: page1.cursor! });
    expect(page2.items.map((x) => x.id)).toEqual([first.next.application.id]);
    await expect(store.listByHolder(randomUUID(), { cursor: page1.cursor! })).rejects.toThrow(InvalidCursor);
  });

  test('step items stay out of the indexes', async () => {
    const account = randomUUID();
    const write = await submit(account);
    const { Items = [] } = await stage.documents.send(
      new QueryCommand({
        TableName: stage.table('applications'),
        IndexName: 'by-holder',
        KeyConditionExpression: 'holderAccount = :a',
        ExpressionAttributeValues: { ':a': account },
      }),
    );
    expect(Items.map((i) => i.sk)).toEqual([applicationItemKey(write.next.application.id).sk]);
  });
});

// An agency's application queue over the wire: the `by-agency-state` index key spread over
// APPLICATION_QUEUE_SUBKEYS sub-keys, listed across them in (updated, id) order page by page, a
// cursor bound to its agency and state, and the indexes copying the summary, not the sealed content.

import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  APPLICATION_INDEX,
  APPLICATION_QUEUE_SUBKEYS,
  applicationItemKey,
  DynamoApplicationStore,
} from '#adapters/aws/application-store.ts';
import { encodeListingCursor, listingBinding } from '#adapters/aws/sub-key-listing.ts';
import {
  type Application,
  type ApplicationState,
  advanceApplication,
  submitApplication,
} from '#core/applications/application.ts';
import { stableShard } from '#core/stable-shard.ts';
import { DEMO_TYPE_CODE } from '#dev/demo/catalog.ts';
import type { ApplicationWrite } from '#ports/application-store.ts';
import { InvalidCursor, type PageRequest } from '#ports/page.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let store: DynamoApplicationStore;

beforeAll(async () => {
  stage = await provisionStoreStage('it-app-queue');
  store = new DynamoApplicationStore(stage.documents, {
    applications: stage.table('applications'),
    audit: stage.table('audit'),
  });
});

afterAll(async () => {
  await stage.dispose();
});

const sealed = (text: string) => new TextEncoder().encode(`sealed:${'x'.repeat(2000)}${text}`);
const at = (minute: number) => new Date(Date.UTC(2025, 5, 1, 8, minute)).toISOString();

function writeOf(application: Application, step: ApplicationWrite['step'], time: string): ApplicationWrite {
  return {
    next: {
      application,
      sealedContent: sealed(application.id),
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
    step,
    auditEvent: {
      id: `evt-${randomUUID()}`,
      time,
      actor: { kind: 'holder', id: application.holderAccount },
      action: 'application.submitted',
      subject: { typeCode: application.typeCode },
      outcome: 'success',
      details: { applicationId: application.id },
    },
  };
}

async function submit(agency: string, time: string, id = randomUUID()): Promise<ApplicationWrite> {
  const { application, step } = submitApplication({
    id,
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    agency,
    holderAccount: randomUUID(),
    holderCodeType: '111',
    time,
    attachments: ['d'.repeat(43)],
  });
  const write = writeOf(application, step, time);
  await store.create(write);
  return write;
}

async function listAll(agency: string, state: ApplicationState, limit: number): Promise<Application[]> {
  const listed: Application[] = [];
  let request: PageRequest = { limit };
  for (let pages = 0; pages < 200; pages += 1) {
    const page = await store.listByAgency(agency, state, request);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    listed.push(...page.items);
    if (page.cursor === undefined) return listed;
    request = { limit, cursor: page.cursor };
  }
  throw new Error('paging does not end');
}

const subKeyOf = (id: string) => stableShard(id, APPLICATION_QUEUE_SUBKEYS);

const byUpdatedThenId = (a: Application, b: Application) =>
  a.updated === b.updated ? (a.id < b.id ? -1 : 1) : a.updated < b.updated ? -1 : 1;

describe('an agency’s queue over sub-keys', () => {
  const agency = `QUEUE${randomUUID().replaceAll('-', '').slice(0, 13).toUpperCase()}`;
  let submitted: Application[];

  beforeAll(async () => {
    // 20 applications, two to a minute and to a sub-key: equal `updated` times are ordered by id,
    // within a sub-key (which DynamoDB would not order by itself) as across them.
    const ids = Array.from({ length: 10 }, () => {
      const first = randomUUID();
      let second = randomUUID();
      while (subKeyOf(second) !== subKeyOf(first)) second = randomUUID();
      return [first, second];
    }).flat();
    const writes = await Promise.all(ids.map((id, i) => submit(agency, at(Math.floor(i / 2)), id)));
    submitted = writes.map((w) => w.next.application).sort(byUpdatedThenId);
  });

  test('spreads one agency and state over several sub-keys by the application id, ordered by (updated, id)', async () => {
    const keys = await Promise.all(
      submitted.map(async ({ id, updated }) => {
        const { Item } = await stage.documents.send(
          new GetCommand({ TableName: stage.table('applications'), Key: applicationItemKey(id) }),
        );
        expect(Item?.agencyState).toBe(`${agency}#submitted#${subKeyOf(id)}`);
        expect(Item?.queueOrder).toBe(`${updated}#${id}`);
        return Item?.agencyState as string;
      }),
    );
    expect(new Set(keys).size).toBeGreaterThan(1);
  });

  test('lists an application that enters the queue during a walk, whichever sub-key it lands in', async () => {
    // A queue of its own: one application in one sub-key, five in another.
    const walked = `WALK${randomUUID().replaceAll('-', '').slice(0, 14).toUpperCase()}`;
    const idIn = (subKey: number) => {
      let id = randomUUID();
      while (subKeyOf(id) !== subKey) id = randomUUID();
      return id;
    };
    await submit(walked, at(0), idIn(0));
    for (let minute = 1; minute <= 5; minute++) await submit(walked, at(minute), idIn(1));
    const first = await store.listByAgency(walked, 'submitted', { limit: 2 });
    expect(first.items.map((a) => a.updated)).toEqual([at(0), at(1)]);

    // Sub-key 0 has run out; two applications arrive, one in each sub-key, after the walk began.
    const late0 = await submit(walked, at(20), idIn(0));
    const late1 = await submit(walked, at(21), idIn(1));
    const rest: Application[] = [];
    let cursor = first.cursor;
    while (cursor !== undefined) {
      const page = await store.listByAgency(walked, 'submitted', { limit: 2, cursor });
      rest.push(...page.items);
      cursor = page.cursor;
    }
    expect(rest.map((a) => a.updated)).toEqual([at(2), at(3), at(4), at(5), at(20), at(21)]);
    expect(rest.slice(-2).map((a) => a.id)).toEqual([late0.next.application.id, late1.next.application.id]);
  });

  test.each([1, 2, 100])(
    'lists every application once, in (updated, id) order, %i to a page',
    async (limit) => {
      expect(await listAll(agency, 'submitted', limit)).toEqual(submitted);
    },
  );

  test('an application keeps its sub-key as it moves to another state’s queue', async () => {
    const other = `QUEUE${randomUUID().replaceAll('-', '').slice(0, 13).toUpperCase()}`;
    const write = await submit(other, at(30));
    const moved = advanceApplication(write.next.application, {
      action: 'approve',
      actor: { kind: 'agency', id: other },
      time: at(31),
    });
    await store.advance(writeOf(moved.application, moved.step, at(31)));
    const { Item } = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('applications'),
        Key: applicationItemKey(moved.application.id),
      }),
    );
    const s = stableShard(moved.application.id, APPLICATION_QUEUE_SUBKEYS);
    expect(Item?.agencyState).toBe(`${other}#approving#${s}`);
    expect(await listAll(other, 'submitted', 10)).toEqual([]);
    expect(await listAll(other, 'approving', 10)).toEqual([moved.application]);
  });

  test('refuses a cursor of another agency or state, of another listing, or altered', async () => {
    const page = await store.listByAgency(agency, 'submitted', { limit: 3 });
    expect(page.cursor).toBeDefined();
    const cursor = page.cursor!;
    const stranger = `QUEUE${randomUUID().replaceAll('-', '').slice(0, 13).toUpperCase()}`;
    await expect(store.listByAgency(stranger, 'submitted', { cursor })).rejects.toThrow(InvalidCursor);
    await expect(store.listByAgency(agency, 'approving', { cursor })).rejects.toThrow(InvalidCursor);
    // A holder listing's cursor (a DynamoDB key) and a queue cursor's position made unreadable.
    const holderPage = await store.listByHolder(submitted[0]!.holderAccount, { limit: 1 });
    expect(holderPage.items).toEqual([submitted[0]]);
    // DynamoDB hands out a key whenever a page stops at its limit.
    expect(holderPage.cursor).toBeDefined();
    await expect(store.listByAgency(agency, 'submitted', { cursor: holderPage.cursor! })).rejects.toThrow(
      InvalidCursor,
    );
    const binding = listingBinding([
      APPLICATION_INDEX.byAgencyState,
      agency,
      'submitted',
      String(APPLICATION_QUEUE_SUBKEYS),
    ]);
    const positions = Array.from({ length: APPLICATION_QUEUE_SUBKEYS }, () => null as string | null);
    positions[0] = 'yesterday#some-id';
    await expect(
      store.listByAgency(agency, 'submitted', { cursor: encodeListingCursor(binding, positions) }),
    ).rejects.toThrow(/expected 8 sub-key positions/);
    await expect(store.listByAgency(agency, 'submitted', { cursor: `${cursor}x!` })).rejects.toThrow(
      InvalidCursor,
    );
    await expect(store.listByAgency(agency, 'submitted', { limit: 0 })).rejects.toThrow(RangeError);
  });

  test('the indexes copy the summary only: no sealed content, no attachments', async () => {
    const indexItems = (
      await Promise.all(
        Array.from({ length: APPLICATION_QUEUE_SUBKEYS }, (_, s) =>
          stage.documents.send(
            new QueryCommand({
              TableName: stage.table('applications'),
              IndexName: APPLICATION_INDEX.byAgencyState,
              KeyConditionExpression: 'agencyState = :p',
              ExpressionAttributeValues: { ':p': `${agency}#submitted#${s}` },
            }),
          ),
        ),
      )
    ).flatMap((result) => result.Items ?? []);
    const { Items: byHolder = [] } = await stage.documents.send(
      new QueryCommand({
        TableName: stage.table('applications'),
        IndexName: APPLICATION_INDEX.byHolder,
        KeyConditionExpression: 'holderAccount = :a',
        ExpressionAttributeValues: { ':a': submitted[0]!.holderAccount },
      }),
    );
    expect(indexItems).toHaveLength(submitted.length);
    expect(byHolder).toHaveLength(1);
    for (const item of [...indexItems, byHolder[0]!]) {
      expect(item).toHaveProperty('typeCode', DEMO_TYPE_CODE.residentIdentityCard);
      expect(item).not.toHaveProperty('sealedContent');
      expect(item).not.toHaveProperty('attachments');
      expect(item).not.toHaveProperty('kind');
    }
    // The table itself still holds them.
    const { Item } = await stage.documents.send(
      new GetCommand({ TableName: stage.table('applications'), Key: applicationItemKey(submitted[0]!.id) }),
    );
    expect(Item).toHaveProperty('sealedContent');
    expect(Item).toHaveProperty('attachments');
  });
});

// ApplicationStore on the `applications` table.
//
// | item        | pk          | sk              | attributes |
// | ----------- | ----------- | --------------- | ---------- |
// | application | `A#<id>`    | `APPLICATION`   | kind, id, typeCode, agency, holderAccount, holderCodeType, state, created, updated, version, licenseId?, sealedContent (B), sealedApplied? (B), attachments (list), agencyState, queueOrder, licenseWritten? |
// | step        | `A#<id>`    | `S#<seq, 4 digits>` | kind, seq, action, from, to, actor, time, licenseId?, attachments?, dataChanged?, sealedNote? (B) |
//
// One partition per application: `get` is one strongly consistent Query that returns the
// application item (`APPLICATION` sorts before `S#…`) and its history in order.
//
// Indexes (sparse: only application items carry their attributes), each copying the summary
// only (tables.ts APPLICATION_SUMMARY_ATTRIBUTES: no sealed content, no attachments):
// `by-agency-state` (agencyState = `<agency USCC>#<state>#<s>`, queueOrder = `<updated>#<id>`)
// — an agency's queue per state, oldest change first; `by-holder` (holderAccount, created) — a
// holder's applications, newest first. Neither key holds anything personal: the account is the
// platform's own opaque id, never a holder code.
//
// An agency's queue in one state is spread over S = APPLICATION_QUEUE_SUBKEYS sub-keys,
// s = stableShard(application id, S): one index partition takes ≤ 1,000 WCU/s, which one busy
// agency's steps would pass on a single key (and a throttled index throttles the table's writes).
// An application keeps its s through every state, so a step deletes from `…#<from>#<s>` and puts
// to `…#<to>#<s>`. The listing queries every sub-key not yet exhausted and merges them by
// queueOrder (sub-key-listing.ts); its cursor holds each sub-key's last queueOrder taken. The
// sort key carries the id because DynamoDB promises no order among index items of equal sort keys:
// with `updated` alone, applications changed in the same millisecond came back in either order
// (DynamoDB Local), and a merge by (updated, id) cannot rest on that.
//
// A step is one transaction: the application item replaced on condition that its version is
// still the one before the step, the step item put on condition it is new, and the audit event
// put (audit-items.ts layout) on condition its id is new. `licenseWritten` is set only by the
// write of the approval's license (dynamodb-license-repository.ts, on condition the application is
// approving); a step to any state but approved is conditioned on its absence.
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  APPLICATION_ACTIONS,
  APPLICATION_STATES,
  type Application,
  type ApplicationState,
} from '#core/applications/application.ts';
import { stableShard } from '#core/stable-shard.ts';
import { AuditEventExists, ConcurrentModification } from '#core/storage-errors.ts';
import type {
  ApplicationAttachmentReader,
  ApplicationStore,
  ApplicationSummary,
  ApplicationWrite,
  HeldAttachments,
  StoredApplication,
  StoredStep,
} from '#ports/application-store.ts';
import { InvalidCursor, type Page, type PageRequest } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditPut } from './audit-items.ts';
import { issuesOf, pageLimit, queryPage } from './dynamodb-paging.ts';
import { listingBinding, pageOverSubKeys } from './sub-key-listing.ts';
import { APPLICATION_ATTACHMENT_ATTRIBUTES } from './tables.ts';
import { rawNumber, type TransactItem, TransactionCancelled, transactWrite } from './transact-write.ts';

export const APPLICATION_INDEX = { byAgencyState: 'by-agency-state', byHolder: 'by-holder' } as const;

/**
 * S: sub-keys of an agency's queue per state (see docs/data-model.md for the choice). Part of the
 * layout, like the issuer listing's S: every item's key was written with it, so readers must use
 * the writers' S, and changing it means re-keying every application item.
 */
export const APPLICATION_QUEUE_SUBKEYS = 8;

/** The `by-agency-state` partition key of an application's sub-key of its agency's queue. */
export const agencyStateKey = (agency: string, state: ApplicationState, applicationId: string): string =>
  agencyStateSubKey(agency, state, stableShard(applicationId, APPLICATION_QUEUE_SUBKEYS));

const agencyStateSubKey = (agency: string, state: ApplicationState, subKey: number): string =>
  `${agency}#${state}#${subKey}`;

export const applicationItemKey = (id: string) => ({ pk: `A#${id}`, sk: 'APPLICATION' });
export const stepItemKey = (id: string, seq: number) => ({
  pk: `A#${id}`,
  sk: `S#${String(seq).padStart(4, '0')}`,
});

const text = z.string().min(1).max(512);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const instant = z.string().regex(INSTANT);
const stateSchema = z.enum(APPLICATION_STATES);
const bytes = z.instanceof(Uint8Array);

const applicationSchema = z.object({
  id: text,
  typeCode: text,
  agency: text,
  holderAccount: text,
  holderCodeType: text,
  state: stateSchema,
  created: instant,
  updated: instant,
  version: z.number().int().min(1),
  licenseId: text.optional(),
});
const attachmentSchema = z.object({
  sha256: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  key: text,
  size: z.number().int().min(0),
  mediaType: text,
  step: z.number().int().min(1),
  added: instant,
});
const applicationItemSchema = applicationSchema.extend({
  sealedContent: bytes,
  sealedApplied: bytes.optional(),
  attachments: z.array(attachmentSchema),
  licenseWritten: text.optional(),
});
const stepItemSchema = z.object({
  seq: z.number().int().min(1),
  action: z.enum(['submit', ...APPLICATION_ACTIONS]),
  from: stateSchema.nullable(),
  to: stateSchema,
  actor: z.object({ kind: z.enum(['holder', 'agency']), id: text }),
  time: instant,
  licenseId: text.optional(),
  attachments: z.array(z.string()).optional(),
  dataChanged: z.boolean().optional(),
  sealedNote: bytes.optional(),
  requestDigest: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
});

const heldAttachmentsSchema = z.object({ typeCode: text, attachments: z.array(attachmentSchema) });

export class DynamoApplicationStore implements ApplicationStore, ApplicationAttachmentReader {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #auditTable: string;

  constructor(documents: DynamoDBDocumentClient, tables: { applications: string; audit: string }) {
    this.#documents = documents;
    this.#table = tables.applications;
    this.#auditTable = tables.audit;
  }

  async create(write: ApplicationWrite): Promise<void> {
    const { application } = write.next;
    if (application.version !== 1 || write.step.seq !== 1) {
      throw new RangeError(`a new application starts at version 1, found ${application.version}`);
    }
    await this.#write(write, 'attribute_not_exists(pk)', undefined, 'createApplication');
  }

  async advance(write: ApplicationWrite): Promise<void> {
    const { application } = write.next;
    if (write.step.seq !== application.version) {
      throw new RangeError(`step ${write.step.seq} does not match version ${application.version}`);
    }
    // Once the approval's license is written, only the step recording it may follow.
    const condition =
      application.state === 'approved'
        ? '#version = :expected'
        : '#version = :expected AND attribute_not_exists(licenseWritten)';
    await this.#write(write, condition, application.version - 1, 'advanceApplication');
  }

  async get(
    applicationId: string,
  ): Promise<{ stored: StoredApplication; history: StoredStep[] } | undefined> {
    if (!text.safeParse(applicationId).success) return undefined;
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.#documents },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': applicationItemKey(applicationId).pk },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    const head = items.find((item) => item.sk === 'APPLICATION');
    if (head === undefined) return undefined;
    const stored = this.#parseApplication(head);
    const history = items
      .filter((item) => typeof item.sk === 'string' && item.sk.startsWith('S#'))
      .map((item) => this.#parseStep(item));
    return { stored, history };
  }

  // One GetItem projecting the key, type and attachment list (the attributes the sweeper's IAM
  // grant names, and no other): it reads no sealed content and no history.
  async heldAttachments(applicationId: string): Promise<HeldAttachments | undefined> {
    // Refused rather than answered as none: "no such application" lets the sweep remove bytes.
    if (!text.safeParse(applicationId).success) {
      throw new RangeError(`expected an application id of 1–512 characters, found ${applicationId.length}`);
    }
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#table,
        Key: applicationItemKey(applicationId),
        ProjectionExpression: APPLICATION_ATTACHMENT_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(
          APPLICATION_ATTACHMENT_ATTRIBUTES.map((name, i) => [`#a${i}`, name]),
        ),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const parsed = heldAttachmentsSchema.safeParse(Item);
    if (!parsed.success) throw this.#invalid(Item, issuesOf(parsed.error));
    return { typeCode: parsed.data.typeCode, keys: parsed.data.attachments.map((a) => a.key) };
  }

  async listByAgency(
    agency: string,
    state: ApplicationState,
    page?: PageRequest,
  ): Promise<Page<ApplicationSummary>> {
    const limit = pageLimit(page);
    const binding = listingBinding([
      APPLICATION_INDEX.byAgencyState,
      agency,
      state,
      String(APPLICATION_QUEUE_SUBKEYS),
    ]);
    return pageOverSubKeys({
      binding,
      subKeys: APPLICATION_QUEUE_SUBKEYS,
      token: page?.cursor,
      limit,
      isPosition: isQueuePosition,
      sortKey: queuePosition,
      query: async (subKey, cursor) => {
        const partition = agencyStateSubKey(agency, state, subKey);
        const { Items = [], LastEvaluatedKey } = await this.#documents
          .send(
            new QueryCommand({
              TableName: this.#table,
              IndexName: APPLICATION_INDEX.byAgencyState,
              KeyConditionExpression: 'agencyState = :partition',
              ExpressionAttributeValues: { ':partition': partition },
              // A page may come entirely from one sub-key, so each is asked for a whole page.
              Limit: limit,
              ...(cursor === null ? {} : { ExclusiveStartKey: queueStartKey(partition, cursor) }),
            }),
          )
          .catch((error: unknown) => {
            // A position of the right form that is still no key of the table (too long for one).
            if (cursor !== null && (error as { name?: unknown }).name === 'ValidationException') {
              throw new InvalidCursor('the table refuses it as a starting key');
            }
            throw error;
          });
        return {
          rows: Items.map((item) => this.#parseSummary(item)),
          exhausted: LastEvaluatedKey === undefined,
        };
      },
    });
  }

  listByHolder(holderAccount: string, page?: PageRequest): Promise<Page<ApplicationSummary>> {
    return queryPage(
      this.#documents,
      {
        TableName: this.#table,
        IndexName: APPLICATION_INDEX.byHolder,
        KeyConditionExpression: 'holderAccount = :account',
        ExpressionAttributeValues: { ':account': holderAccount },
        ScanIndexForward: false,
      },
      { holderAccount },
      page,
      (item) => this.#parseSummary(item),
    );
  }

  async #write(
    write: ApplicationWrite,
    condition: string,
    expectedVersion: number | undefined,
    operation: string,
  ): Promise<void> {
    const { next, step, auditEvent } = write;
    const id = next.application.id;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.#table,
          Item: applicationItem(next),
          ConditionExpression: condition,
          ...(expectedVersion === undefined
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
              }),
        },
      },
      {
        Put: {
          TableName: this.#table,
          Item: stepItem(id, step),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      auditPut(this.#auditTable, auditEvent),
    ];
    try {
      await transactWrite(this.#documents, items, operation);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      const [head, stepReason, audit] = error.reasons;
      if (head?.code === 'ConditionalCheckFailed' || stepReason?.code === 'ConditionalCheckFailed') {
        throw new ConcurrentModification(
          `application ${id}`,
          expectedVersion ?? 0,
          rawNumber(head?.item, 'version'),
        );
      }
      if (audit?.code === 'ConditionalCheckFailed') throw new AuditEventExists(auditEvent.id);
      throw error;
    }
  }

  #parseApplication(item: Record<string, unknown>): StoredApplication {
    const parsed = applicationItemSchema.safeParse(item);
    if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
    const { sealedContent, sealedApplied, attachments, licenseWritten, ...application } = parsed.data;
    return {
      application: stripUndefined(application) as Application,
      sealedContent,
      ...(sealedApplied === undefined ? {} : { sealedApplied }),
      attachments,
      ...(licenseWritten === undefined ? {} : { licenseWritten }),
    };
  }

  /** An application as an index copies it: its summary only (tables.ts APPLICATION_SUMMARY_ATTRIBUTES). */
  #parseSummary(item: Record<string, unknown>): ApplicationSummary {
    const parsed = applicationSchema.safeParse(item);
    if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
    return stripUndefined(parsed.data) as ApplicationSummary;
  }

  #parseStep(item: Record<string, unknown>): StoredStep {
    const parsed = stepItemSchema.safeParse(item);
    if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
    return stripUndefined(parsed.data) as StoredStep;
  }

  #invalid(item: Record<string, unknown>, issues: { path: string; message: string }[]): StoredItemInvalid {
    return new StoredItemInvalid(this.#table, `${String(item.pk)} / ${String(item.sk)}`, issues);
  }
}

// licenseWritten is the license write's alone to set: a step never writes it (one to approved
// replaces it with licenseId, and no other step passes its condition).
function applicationItem(stored: StoredApplication): Record<string, unknown> {
  const { application } = stored;
  return stripUndefined({
    ...applicationItemKey(application.id),
    kind: 'application',
    ...application,
    agencyState: agencyStateKey(application.agency, application.state, application.id),
    queueOrder: queuePosition(application),
    sealedContent: stored.sealedContent,
    sealedApplied: stored.sealedApplied,
    attachments: stored.attachments.map((a) => ({ ...a })),
  });
}

// A queue position, the index's sort key: (updated, id) as text. `updated` is fixed-width, so
// comparing the text (as DynamoDB and the merge do) compares the time first, then the id.
function queuePosition(summary: ApplicationSummary): string {
  return `${summary.updated}#${summary.id}`;
}

function isQueuePosition(position: string): boolean {
  return (
    INSTANT.test(position.slice(0, 24)) && position[24] === '#' && text.safeParse(position.slice(25)).success
  );
}

/** The index key a position stands for: the sub-key's partition, the position and the table's key. */
function queueStartKey(partition: string, position: string): Record<string, string> {
  return { agencyState: partition, queueOrder: position, ...applicationItemKey(position.slice(25)) };
}

function stepItem(applicationId: string, step: StoredStep): Record<string, unknown> {
  return stripUndefined({ ...stepItemKey(applicationId, step.seq), kind: 'application-step', ...step });
}

// The document client refuses undefined attribute values; optional fields are simply left out.
function stripUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

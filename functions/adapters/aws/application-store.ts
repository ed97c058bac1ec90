// ApplicationStore on the `applications` table.
//
// | item        | pk          | sk              | attributes |
// | ----------- | ----------- | --------------- | ---------- |
// | application | `A#<id>`    | `APPLICATION`   | kind, id, typeCode, agency, holderAccount, holderCodeType, state, created, updated, version, licenseId?, sealedContent (B), sealedApplied? (B), attachments (list), agencyState, licenseWritten? |
// | step        | `A#<id>`    | `S#<seq, 4 digits>` | kind, seq, action, from, to, actor, time, licenseId?, attachments?, dataChanged?, sealedNote? (B) |
//
// One partition per application: `get` is one strongly consistent Query that returns the
// application item (`APPLICATION` sorts before `S#…`) and its history in order.
//
// Indexes (sparse: only application items carry their attributes): `by-agency-state`
// (agencyState = `<agency USCC>#<state>`, updated) — an agency's queue per state, oldest change
// first; `by-holder` (holderAccount, created) — a holder's applications, newest first. Neither
// key holds anything personal: the account is the platform's own opaque id, never a holder code.
//
// A step is one transaction: the application item replaced on condition that its version is
// still the one before the step, the step item put on condition it is new, and the audit event
// put (audit-items.ts layout) on condition its id is new. `licenseWritten` is set only by the
// write of the approval's license (dynamodb-license-repository.ts, on condition the application is
// approving); a step to any state but approved is conditioned on its absence.
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  APPLICATION_ACTIONS,
  APPLICATION_STATES,
  type Application,
  type ApplicationState,
} from '#core/applications/application.ts';
import { AuditEventExists, ConcurrentModification } from '#core/storage-errors.ts';
import type {
  ApplicationStore,
  ApplicationSummary,
  ApplicationWrite,
  StoredApplication,
  StoredStep,
} from '#ports/application-store.ts';
import type { Page, PageRequest } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditPut } from './audit-items.ts';
import { issuesOf, queryPage } from './dynamodb-paging.ts';
import { rawNumber, type TransactItem, TransactionCancelled, transactWrite } from './transact-write.ts';

export const APPLICATION_INDEX = { byAgencyState: 'by-agency-state', byHolder: 'by-holder' } as const;

export const applicationItemKey = (id: string) => ({ pk: `A#${id}`, sk: 'APPLICATION' });
export const stepItemKey = (id: string, seq: number) => ({
  pk: `A#${id}`,
  sk: `S#${String(seq).padStart(4, '0')}`,
});

const text = z.string().min(1).max(512);
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
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

export class DynamoApplicationStore implements ApplicationStore {
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

  listByAgency(
    agency: string,
    state: ApplicationState,
    page?: PageRequest,
  ): Promise<Page<ApplicationSummary>> {
    return this.#list(APPLICATION_INDEX.byAgencyState, 'agencyState', `${agency}#${state}`, true, page);
  }

  listByHolder(holderAccount: string, page?: PageRequest): Promise<Page<ApplicationSummary>> {
    return this.#list(APPLICATION_INDEX.byHolder, 'holderAccount', holderAccount, false, page);
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

  #list(
    index: string,
    attribute: string,
    value: string,
    ascending: boolean,
    request: PageRequest | undefined,
  ): Promise<Page<ApplicationSummary>> {
    return queryPage(
      this.#documents,
      {
        TableName: this.#table,
        IndexName: index,
        KeyConditionExpression: '#partition = :value',
        ExpressionAttributeNames: { '#partition': attribute },
        ExpressionAttributeValues: { ':value': value },
        ScanIndexForward: ascending,
      },
      { [attribute]: value },
      request,
      (item) => this.#parseApplication(item).application,
    );
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
    agencyState: `${application.agency}#${application.state}`,
    sealedContent: stored.sealedContent,
    sealedApplied: stored.sealedApplied,
    attachments: stored.attachments.map((a) => ({ ...a })),
  });
}

function stepItem(applicationId: string, step: StoredStep): Record<string, unknown> {
  return stripUndefined({ ...stepItemKey(applicationId, step.seq), kind: 'application-step', ...step });
}

// The document client refuses undefined attribute values; optional fields are simply left out.
function stripUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

// PresentationStore on the `holders` table (next to the holder store's items, under a prefix of
// its own):
//
// | item         | pk                 | sk             | attributes |
// | ------------ | ------------------ | -------------- | ---------- |
// | presentation | `P#<ref digest>`   | `PRESENTATION` | kind, account, licenseId, licenseVersion, typeCode, fields, audience?, nonce?, sealed (B), created, expiresAt (epoch seconds: the table's TTL), expiresAtIso, maxResolutions, resolutions |
//
// TTL deletion is lazy (up to days late): a resolution is counted only on condition that
// expiresAt is still ahead of now and resolutions < maxResolutions, in one transaction with
// its audit event, so two verifiers racing for a once-only reference cannot both have it; and
// on condition that the count is still the one its event was numbered from, so two racing for a
// reference of several uses cannot both be resolution n (the later is told to read again).
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEvent } from '#core/audit/event.ts';
import { AuditEventExists, ConcurrentModification } from '#core/storage-errors.ts';
import {
  type PresentationStore,
  PresentationUnavailable,
  type StoredPresentation,
} from '#ports/presentation-store.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditPut } from './audit-items.ts';
import { issuesOf } from './dynamodb-paging.ts';
import {
  rawNumber,
  rawString,
  type TransactItem,
  TransactionCancelled,
  transactWrite,
} from './transact-write.ts';

export const presentationKey = (id: string) => ({ pk: `P#${id}`, sk: 'PRESENTATION' });

const itemSchema = z.object({
  account: z.string(),
  licenseId: z.string(),
  licenseVersion: z.string(),
  typeCode: z.string(),
  fields: z.array(z.string()),
  audience: z.string().optional(),
  nonce: z.string().optional(),
  sealed: z.instanceof(Uint8Array),
  created: z.string(),
  expiresAtIso: z.string(),
  maxResolutions: z.number().int().min(1),
  resolutions: z.number().int().min(0),
});

export class DynamoPresentationStore implements PresentationStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #auditTable: string;

  constructor(documents: DynamoDBDocumentClient, options: { table: string; auditTable: string }) {
    this.#documents = documents;
    this.#table = options.table;
    this.#auditTable = options.auditTable;
  }

  async create(presentation: Omit<StoredPresentation, 'resolutions'>, auditEvent: AuditEvent): Promise<void> {
    const { id, expiresAt, ...rest } = presentation;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.#table,
          Item: {
            ...presentationKey(id),
            kind: 'presentation',
            ...rest,
            expiresAt: Math.ceil(Date.parse(expiresAt) / 1000),
            expiresAtIso: expiresAt,
            resolutions: 0,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      auditPut(this.#auditTable, auditEvent),
    ];
    await this.#write(items, 'createPresentation', (reasons) =>
      reasons[1]?.code === 'ConditionalCheckFailed' ? new AuditEventExists(auditEvent.id) : undefined,
    );
  }

  async get(id: string): Promise<StoredPresentation | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: presentationKey(id), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = itemSchema.safeParse(Item);
    if (!parsed.success) {
      throw new StoredItemInvalid(this.#table, `P#${id} / PRESENTATION`, issuesOf(parsed.error));
    }
    const { expiresAtIso, ...stored } = parsed.data;
    return {
      id,
      ...stored,
      ...(stored.audience === undefined ? {} : { audience: stored.audience }),
      ...(stored.nonce === undefined ? {} : { nonce: stored.nonce }),
      expiresAt: expiresAtIso,
    };
  }

  async recordResolution(id: string, now: Date, resolution: number, auditEvent: AuditEvent): Promise<void> {
    const nowIso = now.toISOString();
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.#table,
          Key: presentationKey(id),
          // The event names the count it makes, and a transaction returns no new values: the
          // count is set to that number on condition that it is still the one before it.
          UpdateExpression: 'SET resolutions = :resolution, lastResolvedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND expiresAtIso > :now AND resolutions < maxResolutions AND resolutions = :before',
          ExpressionAttributeValues: { ':resolution': resolution, ':before': resolution - 1, ':now': nowIso },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      auditPut(this.#auditTable, auditEvent),
    ];
    await this.#write(items, 'resolvePresentation', (reasons) => {
      if (reasons[0]?.code === 'ConditionalCheckFailed') {
        const old = reasons[0].item;
        if (old === undefined) return new PresentationUnavailable('not-found');
        const expiry = rawString(old, 'expiresAtIso');
        if (expiry !== undefined && expiry <= nowIso) return new PresentationUnavailable('expired');
        const found = rawNumber(old, 'resolutions');
        const allowed = rawNumber(old, 'maxResolutions');
        if (found === undefined || allowed === undefined || found >= allowed) {
          return new PresentationUnavailable('used-up');
        }
        return new ConcurrentModification(`presentation ${id} resolutions`, resolution - 1, found);
      }
      if (reasons[1]?.code === 'ConditionalCheckFailed') return new AuditEventExists(auditEvent.id);
      return undefined;
    });
  }

  async #write(
    items: TransactItem[],
    operation: string,
    translate: (reasons: TransactionCancelled['reasons']) => Error | undefined,
  ): Promise<void> {
    try {
      await transactWrite(this.#documents, items, operation);
    } catch (error) {
      if (error instanceof TransactionCancelled) throw translate(error.reasons) ?? error;
      throw error;
    }
  }
}

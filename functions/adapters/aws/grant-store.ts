// GrantStore on the `grants` table.
//
// | item        | pk               | sk      | attributes |
// | ----------- | ---------------- | ------- | ---------- |
// | grant       | `G#<grantId>`    | `GRANT` | kind, id, scope, relyingAgency, holderIndex, purpose, fields, expiresAt, maxUses, uses, status (`active`/`revoked`), created, revoked?, version, codeHash |
// | code lookup | `C#<codeHash>`   | `CODE`  | kind, grantId |
//
// Index (sparse, only grant items have the attributes): `by-holder` (holderIndex, created), listed
// newest first. No index by relying agency: no route lists an agency's grants, and one would take
// a write for every grant use, all of one agency's in one partition.
//
// Agreed with the license repository, which counts uses in the retrieval's transaction: a use
// is an Update of the grant item on condition
//   `#status = :active AND uses < maxUses AND expiresAt > :now`  (SET uses = uses + 1, version = version + 1)
// where expiresAt and :now are both Date#toISOString() text (fixed width, so text order is
// time order). `version` is 1 on creation and +1 on every change (use or revoke).
//
// The authorisation code is 32 random bytes (base64url) given to the caller once; only its
// SHA-256 (base64url) is stored, as `codeHash` on the grant and as the key of the code lookup
// item, written in the same transaction. Finding a grant by code is two strongly consistent
// GetItems (code item, then grant), with no index lag between creating a grant and using it.
//
// Creating and revoking may carry their audit event: it is then put into the `audit` table (in
// the layout of audit-items.ts, on condition that its id is new) in the same transaction, so a
// grant never changes without its audit record.
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEvent } from '#core/audit/event.ts';
import {
  type Grant,
  GrantIdSchema,
  GrantSchema,
  type GrantTerms,
  GrantTermsSchema,
  HolderIndexSchema,
} from '#core/grants/grant.ts';
import { grantCodeHash, isGrantCodeShape, newGrantCode } from '#core/grants/grant-code.ts';
import { AuditEventExists, ConcurrentModification } from '#core/storage-errors.ts';
import {
  type CreatedGrant,
  GrantAlreadyRevoked,
  type GrantAuditEventOf,
  GrantInvalid,
  GrantNotFound,
  type GrantStore,
  type RevokeOptions,
} from '#ports/grant-store.ts';
import type { Page, PageRequest, Versioned } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditPut } from './audit-items.ts';
import { issuesOf, pageLimit, queryPage } from './dynamodb-paging.ts';
import { type TransactItem, TransactionCancelled, transactWrite } from './transact-write.ts';

export const GRANT_INDEX = { byHolder: 'by-holder' } as const;

export const grantItemKey = (grantId: string) => ({ pk: `G#${grantId}`, sk: 'GRANT' });
export const grantCodeItemKey = (codeHash: string) => ({ pk: `C#${codeHash}`, sk: 'CODE' });

/** Attributes of a grant item that are storage, not part of the Grant record. */
const STORAGE_ATTRIBUTES = new Set(['pk', 'sk', 'kind', 'version', 'codeHash']);

const grantItemSchema = z.object({
  version: z.number().int().min(1),
  codeHash: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected a base64url SHA-256'),
});
const codeItemSchema = z.object({ grantId: GrantIdSchema });

export interface GrantStoreOptions {
  /** The current time; a test fixes it. */
  clock?: () => Date;
  /** Physical name of the `audit` table; needed only to record audit events with creations and revocations. */
  auditTable?: string;
}

export class DynamoGrantStore implements GrantStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: () => Date;
  readonly #auditTable: string | undefined;

  constructor(documents: DynamoDBDocumentClient, tableName: string, options: GrantStoreOptions = {}) {
    this.#documents = documents;
    this.#table = tableName;
    this.#clock = options.clock ?? (() => new Date());
    this.#auditTable = options.auditTable;
  }

  async create(terms: GrantTerms, auditEventOf?: GrantAuditEventOf): Promise<CreatedGrant> {
    const parsedTerms = GrantTermsSchema.safeParse(terms);
    if (!parsedTerms.success) throw new GrantInvalid(issuesOf(parsedTerms.error));
    const created = this.#clock().toISOString();
    if (parsedTerms.data.expiresAt <= created) {
      throw new GrantInvalid([
        {
          path: 'expiresAt',
          message: `expected a time after now (${created}), found ${parsedTerms.data.expiresAt}`,
        },
      ]);
    }
    const parsed = GrantSchema.safeParse({
      ...parsedTerms.data,
      id: randomUUID(),
      uses: 0,
      status: 'active',
      created,
    });
    if (!parsed.success) throw new GrantInvalid(issuesOf(parsed.error));
    const grant = parsed.data;
    const code = newGrantCode();
    const codeHash = grantCodeHash(code);
    const auditEvent = auditEventOf?.(grant);
    // Through transactWrite like every other write: a cancellation for load is StoreBusy (503).
    try {
      await transactWrite(
        this.#documents,
        [
          {
            Put: {
              TableName: this.#table,
              Item: { ...grantItemKey(grant.id), kind: 'grant', ...grant, version: 1, codeHash },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: this.#table,
              Item: { ...grantCodeItemKey(codeHash), kind: 'grant-code', grantId: grant.id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...(auditEvent === undefined ? [] : [this.#putAudit(auditEvent)]),
        ],
        'create-grant',
      );
    } catch (error) {
      if (
        auditEvent !== undefined &&
        error instanceof TransactionCancelled &&
        error.reasons[2]?.code === 'ConditionalCheckFailed'
      ) {
        throw new AuditEventExists(auditEvent.id);
      }
      throw error;
    }
    return { grant: { value: grant, version: 1 }, code };
  }

  async get(grantId: string): Promise<Versioned<Grant> | undefined> {
    const stored = await this.#getStored(grantId);
    return stored?.grant;
  }

  async findByCode(code: string): Promise<Versioned<Grant> | undefined> {
    if (!isGrantCodeShape(code)) return undefined;
    const codeHash = grantCodeHash(code);
    const key = grantCodeItemKey(codeHash);
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = codeItemSchema.safeParse(Item);
    if (!parsed.success) throw this.#invalid(key, issuesOf(parsed.error));
    const stored = await this.#getStored(parsed.data.grantId);
    if (stored === undefined) {
      throw this.#invalid(key, [
        { path: 'grantId', message: `expected grant ${parsed.data.grantId} to exist, found none` },
      ]);
    }
    if (stored.codeHash !== codeHash) {
      throw this.#invalid(grantItemKey(parsed.data.grantId), [
        { path: 'codeHash', message: `expected the hash of the code item ${key.pk}, found another` },
      ]);
    }
    return stored.grant;
  }

  async revoke(grantId: string, options: RevokeOptions = {}): Promise<Versioned<Grant>> {
    if (!GrantIdSchema.safeParse(grantId).success) throw new GrantNotFound(grantId);
    const key = grantItemKey(grantId);
    const byHolder = options.holderIndex !== undefined;
    const { asRead } = options;
    if (asRead !== undefined && asRead.value.id !== grantId) {
      throw new Error(`expected grant ${grantId} as read, found grant ${asRead.value.id}`);
    }
    const atVersion = asRead !== undefined;
    const now = this.#clock().toISOString();
    const update = {
      TableName: this.#table,
      Key: key,
      ConditionExpression: `attribute_exists(pk) AND #status = :active${byHolder ? ' AND #holder = :holder' : ''}${atVersion ? ' AND #version = :expected' : ''}`,
      UpdateExpression: 'SET #status = :revoked, #revoked = :now, #version = #version + :one',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#revoked': 'revoked',
        '#version': 'version',
        ...(byHolder ? { '#holder': 'holderIndex' } : {}),
      },
      ExpressionAttributeValues: {
        ':active': 'active',
        ':revoked': 'revoked',
        ':now': now,
        ':one': 1,
        ...(byHolder ? { ':holder': options.holderIndex } : {}),
        ...(atVersion ? { ':expected': asRead.version } : {}),
      },
    };
    const { auditEvent } = options;
    if (auditEvent !== undefined) {
      // A transaction returns no new image. Conditioned on the version read, the grant is the one
      // read, revoked: answered without reading it again, as a read failing after the commit would
      // answer an error to a revocation that was made (and its retry, GrantAlreadyRevoked).
      // Otherwise uses may have landed since: it is read back.
      try {
        await transactWrite(this.#documents, [{ Update: update }, this.#putAudit(auditEvent)], 'revokeGrant');
        if (asRead !== undefined) {
          return { value: { ...asRead.value, status: 'revoked', revoked: now }, version: asRead.version + 1 };
        }
        const revoked = await this.get(grantId);
        if (revoked !== undefined) return revoked;
        throw new GrantNotFound(grantId);
      } catch (error) {
        if (!(error instanceof TransactionCancelled)) throw error;
        if (error.reasons[1]?.code === 'ConditionalCheckFailed') throw new AuditEventExists(auditEvent.id);
        if (error.reasons[0]?.code !== 'ConditionalCheckFailed') throw error;
      }
    } else {
      try {
        const { Attributes } = await this.#documents.send(
          new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }),
        );
        return this.#parseGrantItem(key, Attributes ?? {}).grant;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // The condition failed: say why, from the item as it is now.
    const current = await this.get(grantId);
    if (current === undefined || (byHolder && current.value.holderIndex !== options.holderIndex)) {
      throw new GrantNotFound(grantId);
    }
    if (current.value.revoked !== undefined) throw new GrantAlreadyRevoked(grantId, current.value.revoked);
    if (atVersion && current.version !== asRead.version) {
      throw new ConcurrentModification(`grant ${grantId}`, asRead.version, current.version);
    }
    throw new GrantNotFound(grantId);
  }

  listByHolder(holderIndex: string, page?: PageRequest): Promise<Page<Versioned<Grant>>> {
    if (!HolderIndexSchema.safeParse(holderIndex).success) {
      pageLimit(page);
      return Promise.resolve({ items: [] });
    }
    return this.#list(GRANT_INDEX.byHolder, 'holderIndex', holderIndex, page);
  }

  #list(
    index: string,
    attribute: string,
    value: string,
    request: PageRequest | undefined,
  ): Promise<Page<Versioned<Grant>>> {
    return queryPage(
      this.#documents,
      {
        TableName: this.#table,
        IndexName: index,
        KeyConditionExpression: '#partition = :value',
        ExpressionAttributeNames: { '#partition': attribute },
        ExpressionAttributeValues: { ':value': value },
        ScanIndexForward: false,
      },
      { [attribute]: value },
      request,
      (item) => this.#parseGrantItem(item, item).grant,
    );
  }

  async #getStored(grantId: string): Promise<{ grant: Versioned<Grant>; codeHash: string } | undefined> {
    if (!GrantIdSchema.safeParse(grantId).success) return undefined;
    const key = grantItemKey(grantId);
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : this.#parseGrantItem(key, Item);
  }

  #parseGrantItem(
    key: Record<string, unknown>,
    item: Record<string, unknown>,
  ): { grant: Versioned<Grant>; codeHash: string } {
    const storage = grantItemSchema.safeParse(item);
    const record = GrantSchema.safeParse(
      Object.fromEntries(Object.entries(item).filter(([name]) => !STORAGE_ATTRIBUTES.has(name))),
    );
    if (!storage.success || !record.success) {
      throw this.#invalid(key, [
        ...(storage.success ? [] : issuesOf(storage.error)),
        ...(record.success ? [] : issuesOf(record.error)),
      ]);
    }
    return {
      grant: { value: record.data, version: storage.data.version },
      codeHash: storage.data.codeHash,
    };
  }

  #putAudit(event: AuditEvent): TransactItem {
    if (this.#auditTable === undefined) {
      throw new Error(
        'expected the grant store to be given its audit table (auditTable) to record audit events',
      );
    }
    return auditPut(this.#auditTable, event);
  }

  #invalid(key: Record<string, unknown>, issues: { path: string; message: string }[]): StoredItemInvalid {
    return new StoredItemInvalid(this.#table, `${String(key.pk)} / ${String(key.sk)}`, issues);
  }
}

// HolderStore on the `holders` table.
//
// | item          | pk                    | sk                               | attributes |
// | ------------- | --------------------- | -------------------------------- | ---------- |
// | binding       | `A#<account>`         | `BINDING`                        | kind, account, codeType, sealedCode (B), holderIndex, assurance, proofingId, boundAt, updated, version |
// | identity      | `I#<holderIndex>`     | `ACCOUNT`                        | kind, account, codeType |
// | proofing      | `A#<account>`         | `PROOFING#<time>#<id>`           | kind, the ProofingRecord |
// | device key    | `A#<account>`         | `DEVICE_KEY#<thumbprint>`        | kind, the DeviceKey (jwk as a map) |
// | key challenge | `A#<account>`         | `DEVICE_KEY_CHALLENGE#<nonce>`   | kind, expiresAt (epoch seconds, the table's TTL) |
// | failed claim  | `I#<holderIndex>`     | `FAILED_PROOFING#<time>#<id>`    | kind, time, expiresAt (TTL, two days on) |
// | proofing lock | `A#<account>` · `I#<holderIndex>` | `PROOFING_LOCK`      | kind, token, expiresAt (TTL; also checked on taking) |
//
// A failed proofing writes, in its transaction, a marker under the identity it claimed, so the
// attempts against one identity from many accounts can be counted (the attempt limits of
// proof-identity.ts); the marker names no account and expires by TTL. A proofing runs holding a
// lock on its account and one on its identity, taken together, so attempts cannot overtake the
// count of failures by running at once.
//
// The holder code is never stored in clear: the binding keeps it sealed with the field cipher,
// bound to {this table, `holder-account:<account>`} (the cipher's `licenseId` slot names the
// record it belongs to), and the identity item is keyed by its blind index alone.
//
// One identity ↔ one account, for every code type: the identity item is put on condition that
// it is new, in the same transaction as the binding (on condition that the account has none),
// the proofing record and the audit event. A company's staff act for it through delegation
// (not modelled yet), not by binding their own accounts to its USCC: otherwise any of them
// could register the device key its licenses are bound to.
//
// TTL deletion is lazy (up to days late), so a challenge is honoured only while its expiresAt
// is still ahead — checked in the condition that consumes it.
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEvent } from '#core/audit/event.ts';
import { DeviceKeyJwkSchema } from '#core/holders/device-key.ts';
import { ASSURANCE_LEVELS, type Assurance, meetsAssurance } from '#core/holders/identity.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { HolderBinding } from '#ports/holder-identity.ts';
import {
  AccountBoundToAnotherIdentity,
  type DeviceKey,
  DeviceKeyAlreadyRevoked,
  DeviceKeyChallengeUnknown,
  DeviceKeyExists,
  DeviceKeyNotFound,
  type HolderKeyLookup,
  type HolderStore,
  IdentityBoundToAnotherAccount,
  type IdentityToBind,
  ProofingInProgress,
  type ProofingRecord,
} from '#ports/holder-store.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditPut } from './audit-items.ts';
import { issuesOf } from './dynamodb-paging.ts';
import { type TransactItem, TransactionCancelled, transactWrite } from './transact-write.ts';

const accountPk = (account: string) => `A#${account}`;
export const bindingKey = (account: string) => ({ pk: accountPk(account), sk: 'BINDING' });
export const identityKey = (holderIndex: string) => ({ pk: `I#${holderIndex}`, sk: 'ACCOUNT' });
const proofingSk = (record: Pick<ProofingRecord, 'time' | 'id'>) => `PROOFING#${record.time}#${record.id}`;
const failedClaimSk = (record: Pick<ProofingRecord, 'time' | 'id'>) =>
  `FAILED_PROOFING#${record.time}#${record.id}`;
const PROOFING_LOCK_SK = 'PROOFING_LOCK';
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
/** How long a failed claim's marker is kept: past any attempt window. */
const FAILED_CLAIM_TTL_SECONDS = 2 * 86_400;
const deviceKeySk = (keyId: string) => `DEVICE_KEY#${keyId}`;
/** A device key's item: the license repository checks it still active in a bound license's write. */
export const deviceKeyItemKey = (account: string, keyId: string) => ({
  pk: accountPk(account),
  sk: deviceKeySk(keyId),
});
const challengeSk = (nonce: string) => `DEVICE_KEY_CHALLENGE#${nonce}`;

/** At most this many proofings are listed per account, the newest. */
const LIST_LIMIT = 100;

const assurance = z.enum(ASSURANCE_LEVELS);
const bindingItemSchema = z.object({
  account: z.string(),
  codeType: z.string(),
  sealedCode: z.instanceof(Uint8Array),
  holderIndex: z.string(),
  assurance,
  proofingId: z.string(),
  boundAt: z.string(),
  version: z.number().int().min(1),
});
const identityItemSchema = z.object({ account: z.string() });
const proofingItemSchema = z.object({
  id: z.string(),
  account: z.string(),
  provider: z.string(),
  methods: z.array(z.string()),
  assurance,
  outcome: z.enum(['verified', 'failed']),
  reason: z.string().optional(),
  codeType: z.string(),
  holderIndex: z.string(),
  time: z.string(),
});
const deviceKeyItemSchema = z.object({
  id: z.string(),
  account: z.string(),
  jwk: DeviceKeyJwkSchema,
  label: z.string().optional(),
  status: z.enum(['active', 'revoked']),
  registered: z.string(),
  revoked: z.string().optional(),
});

export interface HolderStoreOptions {
  /** Physical name of the `holders` table. */
  table: string;
  /** Physical name of the `audit` table: every write here carries its event. */
  auditTable: string;
  /** Seals and opens the holder code of bindings. */
  cipher: FieldCipher;
  clock?: () => Date;
}

export class DynamoHolderStore implements HolderStore, HolderKeyLookup {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #auditTable: string;
  readonly #cipher: FieldCipher;
  readonly #clock: () => Date;

  constructor(documents: DynamoDBDocumentClient, options: HolderStoreOptions) {
    this.#documents = documents;
    this.#table = options.table;
    this.#auditTable = options.auditTable;
    this.#cipher = options.cipher;
    this.#clock = options.clock ?? (() => new Date());
  }

  async bindingOf(account: string): Promise<HolderBinding | undefined> {
    const stored = await this.#storedBinding(account);
    if (stored === undefined) return undefined;
    const opened = await this.#cipher.decryptFields(this.#sealBinding(account), stored.sealedCode);
    const code = opened.holderCode;
    if (typeof code !== 'string') {
      throw this.#invalid(bindingKey(account), [
        { path: 'sealedCode', message: 'expected a sealed holderCode' },
      ]);
    }
    return {
      account,
      codeType: stored.codeType,
      code,
      holderIndex: stored.holderIndex,
      assurance: stored.assurance,
      proofingId: stored.proofingId,
      boundAt: stored.boundAt,
    };
  }

  async accountOf(holderIndex: string): Promise<string | undefined> {
    const key = identityKey(holderIndex);
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = identityItemSchema.safeParse(Item);
    if (!parsed.success) throw this.#invalid(key, issuesOf(parsed.error));
    return parsed.data.account;
  }

  async recordProofing(
    record: ProofingRecord,
    bind: IdentityToBind | undefined,
    auditEvent: AuditEvent,
  ): Promise<HolderBinding | undefined> {
    const proofingPut: TransactItem = {
      Put: {
        TableName: this.#table,
        Item: {
          pk: accountPk(record.account),
          sk: proofingSk(record),
          kind: 'proofing',
          ...dropUndefined(record),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const current = bind === undefined ? undefined : await this.#storedBinding(record.account);
    if (bind === undefined || (current !== undefined && !this.#raises(current, bind, record))) {
      // Nothing to bind, or a proofing of the bound identity that does not raise its level.
      if (current !== undefined && bind !== undefined && current.holderIndex !== bind.holderIndex) {
        throw new AccountBoundToAnotherIdentity(record.account);
      }
      const failedClaim: TransactItem[] =
        record.outcome === 'failed'
          ? [
              {
                Put: {
                  TableName: this.#table,
                  Item: {
                    pk: identityKey(record.holderIndex).pk,
                    sk: failedClaimSk(record),
                    kind: 'failed-proofing',
                    time: record.time,
                    expiresAt: Math.floor(Date.parse(record.time) / 1000) + FAILED_CLAIM_TTL_SECONDS,
                  },
                },
              },
            ]
          : [];
      await this.#write([proofingPut, ...failedClaim], auditEvent, 'recordProofing', () => {});
      return current === undefined ? undefined : this.bindingOf(record.account);
    }
    if (current !== undefined) {
      // Same identity, stronger proofing: the binding takes its level, if nobody changed it meanwhile.
      await this.#write(
        [
          proofingPut,
          {
            Update: {
              TableName: this.#table,
              Key: bindingKey(record.account),
              ConditionExpression: 'holderIndex = :index AND #version = :version',
              UpdateExpression:
                'SET assurance = :assurance, proofingId = :proofing, updated = :now, #version = #version + :one',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: {
                ':index': bind.holderIndex,
                ':version': current.version,
                ':assurance': record.assurance,
                ':proofing': record.id,
                ':now': record.time,
                ':one': 1,
              },
            },
          },
        ],
        auditEvent,
        'raiseBinding',
        (reasons) => {
          if (reasons[1] === 'ConditionalCheckFailed')
            throw new AccountBoundToAnotherIdentity(record.account);
        },
      );
      return this.bindingOf(record.account);
    }
    const sealedCode = await this.#cipher.encryptFields(this.#sealBinding(record.account), {
      holderCode: bind.code,
    });
    await this.#write(
      [
        proofingPut,
        {
          Put: {
            TableName: this.#table,
            Item: {
              ...bindingKey(record.account),
              kind: 'binding',
              account: record.account,
              codeType: bind.codeType,
              sealedCode,
              holderIndex: bind.holderIndex,
              assurance: record.assurance,
              proofingId: record.id,
              boundAt: record.time,
              updated: record.time,
              version: 1,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: this.#table,
            Item: {
              ...identityKey(bind.holderIndex),
              kind: 'identity',
              account: record.account,
              codeType: bind.codeType,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      auditEvent,
      'bindIdentity',
      (reasons) => {
        if (reasons[1] === 'ConditionalCheckFailed') throw new AccountBoundToAnotherIdentity(record.account);
        if (reasons[2] === 'ConditionalCheckFailed') throw new IdentityBoundToAnotherAccount();
      },
    );
    return {
      account: record.account,
      codeType: bind.codeType,
      code: bind.code,
      holderIndex: bind.holderIndex,
      assurance: record.assurance,
      proofingId: record.id,
      boundAt: record.time,
    };
  }

  async listProofings(account: string): Promise<ProofingRecord[]> {
    const items = await this.#query(account, 'PROOFING#', false);
    return items.map((item) => {
      const parsed = proofingItemSchema.safeParse(item);
      if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
      return parsed.data;
    });
  }

  async failedProofingsSince(
    scope: { account: string } | { holderIndex: string },
    since: Date,
  ): Promise<string[]> {
    // Proofing sort keys start with their RFC 3339 time, so a key range is a time range.
    const [pk, prefix] =
      'account' in scope
        ? [accountPk(scope.account), 'PROOFING#']
        : [identityKey(scope.holderIndex).pk, 'FAILED_PROOFING#'];
    // The account's verified proofings share the range and are filtered out after each page is
    // read, so pages are followed until the range ends or enough failures are found.
    const times: string[] = [];
    const pages = paginateQuery(
      { client: this.#documents },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ...('account' in scope ? { FilterExpression: 'outcome = :failed' } : {}),
        ProjectionExpression: '#time',
        ExpressionAttributeNames: { '#time': 'time' },
        ExpressionAttributeValues: {
          ':pk': pk,
          ':from': `${prefix}${since.toISOString()}`,
          ':to': `${prefix}\uffff`,
          ...('account' in scope ? { ':failed': 'failed' } : {}),
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) times.push(String(item.time));
      if (times.length >= LIST_LIMIT) break;
    }
    return times.slice(0, LIST_LIMIT);
  }

  async lockProofing(account: string, holderIndex: string, until: Date): Promise<string> {
    const token = randomUUID();
    const lock = (pk: string): TransactItem => ({
      Put: {
        TableName: this.#table,
        Item: { pk, sk: PROOFING_LOCK_SK, kind: 'proofing-lock', token, expiresAt: epochSeconds(until) },
        // TTL deletion is lazy: a lapsed lock is taken over, not waited for.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': epochSeconds(this.#clock()) },
      },
    });
    try {
      await transactWrite(
        this.#documents,
        [lock(accountPk(account)), lock(identityKey(holderIndex).pk)],
        'lockProofing',
      );
    } catch (error) {
      if (
        error instanceof TransactionCancelled &&
        error.reasons.some((r) => r.code === 'ConditionalCheckFailed')
      ) {
        throw new ProofingInProgress();
      }
      throw error;
    }
    return token;
  }

  async unlockProofing(account: string, holderIndex: string, token: string): Promise<void> {
    // Two conditional deletes, not one transaction: each lock is released if it is still ours.
    await Promise.all(
      [accountPk(account), identityKey(holderIndex).pk].map(async (pk) => {
        try {
          await this.#documents.send(
            new DeleteCommand({
              TableName: this.#table,
              Key: { pk, sk: PROOFING_LOCK_SK },
              ConditionExpression: '#token = :token',
              ExpressionAttributeNames: { '#token': 'token' },
              ExpressionAttributeValues: { ':token': token },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }),
    );
  }

  clearFailedClaims(holderIndex: string, auditEventOf: (cleared: number) => AuditEvent): Promise<number> {
    return clearFailedClaims(
      this.#documents,
      { table: this.#table, auditTable: this.#auditTable },
      holderIndex,
      auditEventOf,
    );
  }

  async openDeviceKeyChallenge(account: string, nonce: string, expiresAt: Date): Promise<void> {
    await this.#documents.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: accountPk(account),
          sk: challengeSk(nonce),
          kind: 'device-key-challenge',
          expiresAt: Math.floor(expiresAt.getTime() / 1000),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async registerDeviceKey(key: DeviceKey, nonce: string, auditEvent: AuditEvent): Promise<void> {
    await this.#write(
      [
        {
          Delete: {
            TableName: this.#table,
            Key: { pk: accountPk(key.account), sk: challengeSk(nonce) },
            ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
            ExpressionAttributeValues: { ':now': Math.floor(this.#clock().getTime() / 1000) },
          },
        },
        {
          Put: {
            TableName: this.#table,
            Item: {
              pk: accountPk(key.account),
              sk: deviceKeySk(key.id),
              kind: 'device-key',
              ...dropUndefined(key),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      auditEvent,
      'registerDeviceKey',
      (reasons) => {
        if (reasons[0] === 'ConditionalCheckFailed') throw new DeviceKeyChallengeUnknown();
        if (reasons[1] === 'ConditionalCheckFailed') throw new DeviceKeyExists(key.id);
      },
    );
  }

  async listDeviceKeys(account: string): Promise<DeviceKey[]> {
    // Every key, not a first page: the sort key is the thumbprint, not the time, so a page would
    // be the highest thumbprints, and could leave out the newest key, the one issuance binds.
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.#documents },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': accountPk(account), ':prefix': 'DEVICE_KEY#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items
      .map((item) => this.#parseDeviceKey(item))
      .sort((a, b) => (a.registered === b.registered ? 0 : a.registered < b.registered ? 1 : -1));
  }

  async revokeDeviceKey(account: string, keyId: string, auditEvent: AuditEvent): Promise<DeviceKey> {
    const key = { pk: accountPk(account), sk: deviceKeySk(keyId) };
    try {
      await this.#write(
        [
          {
            Update: {
              TableName: this.#table,
              Key: key,
              ConditionExpression: 'attribute_exists(pk) AND #status = :active',
              UpdateExpression: 'SET #status = :revoked, revoked = :now',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':active': 'active',
                ':revoked': 'revoked',
                ':now': auditEvent.time,
              },
            },
          },
        ],
        auditEvent,
        'revokeDeviceKey',
        () => {},
      );
    } catch (error) {
      if (!(error instanceof TransactionCancelled) || error.reasons[0]?.code !== 'ConditionalCheckFailed') {
        throw error;
      }
      const current = await this.#getDeviceKey(account, keyId);
      if (current?.revoked !== undefined) throw new DeviceKeyAlreadyRevoked(keyId, current.revoked);
      throw new DeviceKeyNotFound(keyId);
    }
    const revoked = await this.#getDeviceKey(account, keyId);
    if (revoked === undefined) throw new DeviceKeyNotFound(keyId);
    return revoked;
  }

  async deviceKeyOf(holderIndex: string): Promise<DeviceKey | undefined> {
    const account = await this.accountOf(holderIndex);
    if (account === undefined) return undefined;
    const keys = await this.listDeviceKeys(account);
    return keys.find((key) => key.status === 'active');
  }

  #raises(
    current: { holderIndex: string; assurance: Assurance },
    bind: IdentityToBind,
    record: ProofingRecord,
  ) {
    return current.holderIndex === bind.holderIndex && !meetsAssurance(current.assurance, record.assurance);
  }

  async #storedBinding(account: string): Promise<z.infer<typeof bindingItemSchema> | undefined> {
    const key = bindingKey(account);
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = bindingItemSchema.safeParse(Item);
    if (!parsed.success) throw this.#invalid(key, issuesOf(parsed.error));
    return parsed.data;
  }

  async #getDeviceKey(account: string, keyId: string): Promise<DeviceKey | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: accountPk(account), sk: deviceKeySk(keyId) },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : this.#parseDeviceKey(Item);
  }

  #parseDeviceKey(item: Record<string, unknown>): DeviceKey {
    const parsed = deviceKeyItemSchema.safeParse(item);
    if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
    return parsed.data;
  }

  async #query(account: string, prefix: string, consistent: boolean): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await this.#documents.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': accountPk(account), ':prefix': prefix },
        ScanIndexForward: false,
        Limit: LIST_LIMIT,
        ConsistentRead: consistent,
      }),
    );
    return Items;
  }

  #write(
    items: TransactItem[],
    auditEvent: AuditEvent,
    operation: string,
    interpret: (reasons: readonly string[]) => void,
  ): Promise<void> {
    return writeWithAudit(this.#documents, this.#auditTable, items, auditEvent, operation, interpret);
  }

  #sealBinding(account: string) {
    return { table: this.#table, licenseId: `holder-account:${account}` };
  }

  #invalid(key: Record<string, unknown>, issues: { path: string; message: string }[]): StoredItemInvalid {
    return new StoredItemInvalid(this.#table, `${String(key.pk)} / ${String(key.sk)}`, issues);
  }
}

function dropUndefined<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The most failed-claim markers one unblock deletes: one transaction, with its audit event. */
export const MAX_CLEARED_CLAIMS = 99;

/**
 * Deletes the failed-claim markers of an identity, newest first, at most MAX_CLEARED_CLAIMS of
 * them, in one transaction with the audit event of the decision; resolves to how many. One
 * transaction, so the event's count is what was deleted — deletes in further transactions could
 * fail after the event said they were done. The limits count at most 10 failures of an identity
 * in a day and markers expire two days on, so there are never more; were there, the oldest
 * would stay until they expire, and would count only if still in the limits' window. A function of
 * its own, not only the store's method, for the operator function: it holds no field key, so it
 * cannot build the store.
 */
export async function clearFailedClaims(
  client: DynamoDBDocumentClient,
  tables: { table: string; auditTable: string },
  holderIndex: string,
  auditEventOf: (cleared: number) => AuditEvent,
): Promise<number> {
  const keys: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client },
    {
      TableName: tables.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': identityKey(holderIndex).pk, ':prefix': 'FAILED_PROOFING#' },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
      // Newest first (the key holds the time): a transaction takes 100 items, the event one.
      ScanIndexForward: false,
      Limit: MAX_CLEARED_CLAIMS,
    },
  );
  for await (const page of pages) {
    keys.push(...(page.Items ?? []));
    if (keys.length >= MAX_CLEARED_CLAIMS) break;
  }
  const deletes: TransactItem[] = keys.slice(0, MAX_CLEARED_CLAIMS).map((key) => ({
    Delete: { TableName: tables.table, Key: { pk: key.pk, sk: key.sk } },
  }));
  await writeWithAudit(
    client,
    tables.auditTable,
    deletes,
    auditEventOf(deletes.length),
    'clearFailedClaims',
    () => {},
  );
  return deletes.length;
}

/**
 * Writes the items and the audit event in one transaction; `interpret` turns the cancellation
 * codes (by position of `items`) into a domain error, else the cancellation is rethrown.
 */
async function writeWithAudit(
  client: DynamoDBDocumentClient,
  auditTable: string,
  items: TransactItem[],
  auditEvent: AuditEvent,
  operation: string,
  interpret: (reasons: readonly string[]) => void,
): Promise<void> {
  try {
    await transactWrite(client, [...items, auditPut(auditTable, auditEvent)], operation);
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const codes = error.reasons.map((r) => r.code);
    interpret(codes);
    if (codes[items.length] === 'ConditionalCheckFailed') throw new AuditEventExists(auditEvent.id);
    throw error;
  }
}

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '#core/audit/event.ts';
import { LICENSE_ID_ROOT, parseLicenseId } from '#core/identifiers/license-id.ts';
import { parseLicenseKey } from '#core/license-key.ts';
import { keptHistory, type StatusChange, statusListValue } from '#core/lifecycle.ts';
import { stableShard } from '#core/stable-shard.ts';
import {
  AuditEventExists,
  ConcurrentModification,
  DeviceKeyChangedMeanwhile,
  GrantUseRefused,
  LicenseAlreadyExists,
  LicenseNotFound,
  StatusSlotMismatch,
  StatusSlotTaken,
} from '#core/storage-errors.ts';
import type {
  BoundDeviceKey,
  DocumentAttachWrite,
  HolderLicense,
  HolderListingOptions,
  IssuerListingEntry,
  IssuerListingQuery,
  LicenseRecord,
  LicenseRepository,
  NewLicense,
  ReissueWrite,
  RetrievedVersion,
  StatusChangeWrite,
  StatusSlot,
} from '#ports/license-repository.ts';
import type { Page, PageRequest } from '#ports/page.ts';
import { applicationItemKey } from './application-store.ts';
import { auditPut } from './audit-items.ts';
import { deviceKeyItemKey } from './holder-store.ts';
import {
  assertSlot,
  changedSlotItem,
  describeNewLicense,
  formerHolderItem,
  holderItem,
  holderLicenseOf,
  holderPk,
  holderTypePrefix,
  LICENSE_SK_PREFIX,
  licensePk,
  licenseRecordOf,
  licenseSk,
  listingItem,
  listingPk,
  newLicenseItem,
  slotItem,
  slotPk,
  slotSk,
} from './license-items.ts';
import type { ShardMap, StageTables } from './stage-tables.ts';
import { listingBinding, pageOverSubKeys } from './sub-key-listing.ts';
import {
  type CancellationReason,
  type CapacityMeter,
  meterCapacity,
  rawNumber,
  rawString,
  type TransactItem,
  TransactionCancelled,
  transactWrite,
} from './transact-write.ts';

// The license repository on DynamoDB. Layouts: license-items.ts (licenses, holder index, issuer
// listing, status slots), audit-items.ts (audit events), and the grant item below. Every write is
// one TransactWriteItems whose conditions make it all or nothing; a cancelled transaction is
// translated, by the position of the failed condition, into the typed errors of
// core/storage-errors.ts.
//
// Current version in one request: versions sort as `V#001` < `V#002` < …, and a re-issue
// supersedes the old version in the same transaction that creates the next, so the highest
// version *is* the current one. getCurrent is a Query on the license's partition, descending,
// Limit 1. A separate pointer item would cost a write in every issue and re-issue (2 WCU in a
// transaction), could disagree with the versions it points at, and would still need a second
// read to fetch the version it names — unless it copied the whole record, which doubles every
// status change.
//
// grants (layout owned by the grants store; this repository only counts uses)
//   pk G#<grantId>, sk GRANT; uses (N), maxUses (N), status (active | revoked), expiresAt (RFC
//   3339 UTC with milliseconds, compared as text), version (N, optimistic lock)

/** Default sub-keys per issuer listing month (S); see docs/data-model.md for the choice. */
export const DEFAULT_ISSUER_LISTING_SUBKEYS = 8;
const DEFAULT_LISTING_LIMIT = 100;
const MAX_LISTING_LIMIT = 500;
const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CONDITION_FAILED = 'ConditionalCheckFailed';

export interface DynamoDbLicenseRepositoryOptions {
  client: DynamoDBDocumentClient;
  tables: StageTables;
  /** License table shards per data domain; must match the provisioned tables. */
  shards: ShardMap;
  /** The data domain of a license type, from the catalog. */
  domainOf(typeCode: string): string | Promise<string>;
  /** S: sub-keys per issuer listing month. Fixed for a stage: readers must use the writers' S. */
  issuerListingSubKeys?: number;
  meter?: CapacityMeter;
  /** The applications table: needed only to issue the license of an approval (`approving`). */
  applications?: string;
  /** The holders table: needed only to write a license bound to a device key (`deviceKey`). */
  holders?: string;
}

export class DynamoDbLicenseRepository implements LicenseRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #tables: StageTables;
  readonly #shards: ShardMap;
  readonly #domainOf: (typeCode: string) => string | Promise<string>;
  readonly #subKeys: number;
  readonly #meter: CapacityMeter | undefined;
  readonly #applications: string | undefined;
  readonly #holders: string | undefined;

  constructor(options: DynamoDbLicenseRepositoryOptions) {
    this.#applications = options.applications;
    this.#holders = options.holders;
    this.#client = options.client;
    this.#tables = options.tables;
    this.#shards = options.shards;
    this.#domainOf = options.domainOf;
    this.#subKeys = options.issuerListingSubKeys ?? DEFAULT_ISSUER_LISTING_SUBKEYS;
    if (!Number.isInteger(this.#subKeys) || this.#subKeys < 1 || this.#subKeys > 64) {
      throw new RangeError(`expected 1 to 64 issuer listing sub-keys, found ${this.#subKeys}`);
    }
    this.#meter = options.meter;
  }

  /** The physical table holding a license: its domain's shard chosen by the license key. */
  async licenseTableOf(typeCode: string, licenseKey: string): Promise<{ table: string; domain: string }> {
    const domain = await this.#domainOf(typeCode);
    const shards = this.#shards[domain];
    if (shards === undefined) {
      throw new RangeError(
        `expected type ${typeCode} to belong to a data domain with license tables (${Object.keys(this.#shards).join(', ')}), found ${domain}`,
      );
    }
    return { table: this.#tables.license(domain, stableShard(licenseKey, shards)), domain };
  }

  async issue(
    license: NewLicense,
    auditEvent: AuditEvent,
    options: { approving?: string | undefined; deviceKey?: BoundDeviceKey | undefined } = {},
  ): Promise<LicenseRecord> {
    const parts = describeNewLicense(license);
    const { table, domain } = await this.licenseTableOf(parts.typeCode, parts.licenseKey);
    const item = newLicenseItem(license, domain, parts);
    const items: TransactItem[] = [
      { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.#tables.holderIndex, Item: holderItem(license, domain, parts) } },
      this.#claimSlot(license.statusSlot, license.id),
      { Put: { TableName: this.#tables.issuerListing, Item: listingItem(license, parts, this.#subKeys) } },
      auditPut(this.#tables.audit, auditEvent),
    ];
    const { approving, deviceKey } = options;
    const approval = approving === undefined ? -1 : items.push(this.#markApproval(approving, license.id)) - 1;
    const keyCheck = deviceKey === undefined ? -1 : items.push(this.#keyStillActive(deviceKey)) - 1;
    await this.#write(items, 'issue', (reasons) => {
      if (failed(reasons, 0)) return new LicenseAlreadyExists(license.id);
      if (failed(reasons, 2)) return new StatusSlotTaken(license.statusSlot.listId, license.statusSlot.index);
      if (failed(reasons, 4)) return new AuditEventExists(auditEvent.id);
      if (failed(reasons, approval)) return new ConcurrentModification(`application ${approving}`, 0);
      if (failed(reasons, keyCheck)) return new DeviceKeyChangedMeanwhile(deviceKey!.keyId);
      return undefined;
    });
    return licenseRecordOf(item, table);
  }

  /**
   * The application whose approval issues the license, marked with it in the license's own write
   * and only while approving: the application store then refuses to reject or withdraw it
   * (application-store.ts), and a rejection or withdrawal that landed first fails this write — two
   * tables, so only one transaction can make the two exclude each other.
   */
  #markApproval(applicationId: string, licenseId: string): TransactItem {
    if (this.#applications === undefined) {
      throw new Error(
        'expected the applications table to issue the license of an approval, found none given',
      );
    }
    return {
      Update: {
        TableName: this.#applications,
        Key: applicationItemKey(applicationId),
        UpdateExpression: 'SET licenseWritten = :license',
        ConditionExpression: '#state = :approving',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':license': licenseId, ':approving': 'approving' },
      },
    };
  }

  /**
   * The device key a license is bound to (its cnf.jwk), checked still active in the license's own
   * write: it was read before the license was signed, and a holder who revoked it meanwhile (a lost
   * phone) must not find the new license bound to it. Two tables, so only the transaction can
   * order the revocation and the license.
   */
  #keyStillActive(key: BoundDeviceKey): TransactItem {
    if (this.#holders === undefined) {
      throw new Error(
        'expected the holders table to write a license bound to a device key, found none given',
      );
    }
    return {
      ConditionCheck: {
        TableName: this.#holders,
        Key: deviceKeyItemKey(key.account, key.keyId),
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'active' },
      },
    };
  }

  async get(licenseId: string): Promise<LicenseRecord | undefined> {
    const { table, licenseKey, version } = await this.#locate(licenseId);
    const result = await this.#client.send(
      new GetCommand({
        TableName: table,
        Key: { pk: licensePk(licenseKey), sk: licenseSk(version) },
        // Retrieval hands data out: a revocation a moment ago must already be seen.
        ConsistentRead: true,
        ...this.#capacity(),
      }),
    );
    meterCapacity(this.#meter, 'read', 'get', result.ConsumedCapacity);
    return result.Item === undefined ? undefined : licenseRecordOf(result.Item, table);
  }

  async getCurrent(licenseKey: string): Promise<LicenseRecord | undefined> {
    const { typeCode } = parseLicenseKey(licenseKey);
    const { table } = await this.licenseTableOf(typeCode, licenseKey);
    const result = await this.#client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :versions)',
        ExpressionAttributeValues: { ':pk': licensePk(licenseKey), ':versions': LICENSE_SK_PREFIX },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
        ...this.#capacity(),
      }),
    );
    meterCapacity(this.#meter, 'read', 'getCurrent', result.ConsumedCapacity);
    const item = result.Items?.[0];
    return item === undefined ? undefined : licenseRecordOf(item, table);
  }

  async listVersions(licenseKey: string): Promise<LicenseRecord[]> {
    const { typeCode } = parseLicenseKey(licenseKey);
    const { table } = await this.licenseTableOf(typeCode, licenseKey);
    return this.#versionsIn(table, licenseKey);
  }

  async listVersionsInEveryShard(licenseKey: string): Promise<LicenseRecord[]> {
    const { typeCode } = parseLicenseKey(licenseKey);
    const { domain } = await this.licenseTableOf(typeCode, licenseKey);
    const records: LicenseRecord[] = [];
    for (let shard = 0; shard < this.#shards[domain]!; shard += 1) {
      records.push(...(await this.#versionsIn(this.#tables.license(domain, shard), licenseKey)));
    }
    return records;
  }

  async #versionsIn(table: string, licenseKey: string): Promise<LicenseRecord[]> {
    const records: LicenseRecord[] = [];
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :versions)',
        ExpressionAttributeValues: { ':pk': licensePk(licenseKey), ':versions': LICENSE_SK_PREFIX },
        ConsistentRead: true,
        ...this.#capacity(),
      },
    );
    for await (const page of pages) {
      meterCapacity(this.#meter, 'read', 'listVersions', page.ConsumedCapacity);
      for (const item of page.Items ?? []) records.push(licenseRecordOf(item, table));
    }
    return records;
  }

  async changeStatus(write: StatusChangeWrite): Promise<{ version: number }> {
    const { licenseId, expectedVersion, history, change, statusSlot, auditEvent } = write;
    if (change.action === 'supersede') {
      throw new RangeError('expected suspend, reinstate or revoke; a supersede is written by reissue');
    }
    assertSlot(statusSlot);
    const { table, licenseKey, version } = await this.#locate(licenseId);
    const items: TransactItem[] = [
      this.#updateStatus(table, licenseKey, version, expectedVersion, history, change, {}),
      this.#setSlot(statusSlot, licenseId, statusListValue(change.to)),
      auditPut(this.#tables.audit, auditEvent),
      this.#markChanged(statusSlot, statusListValue(change.to)),
    ];
    await this.#write(items, 'changeStatus', (reasons) => {
      if (failed(reasons, 0)) return lockFailure(licenseId, expectedVersion, reasons[0]);
      if (failed(reasons, 1)) return new StatusSlotMismatch(statusSlot.listId, statusSlot.index, licenseId);
      if (failed(reasons, 2)) return new AuditEventExists(auditEvent.id);
      return undefined;
    });
    return { version: expectedVersion + 1 };
  }

  async reissue(write: ReissueWrite): Promise<{ superseded: { version: number }; current: LicenseRecord }> {
    const { current, change, next, auditEvent, deviceKey } = write;
    const old = await this.#locate(current.id);
    const parts = describeNewLicense(next);
    if (change.action !== 'supersede' || change.supersededBy !== next.id) {
      throw new RangeError(
        `expected a supersede change naming ${next.id}, found ${change.action} naming ${String(change.supersededBy)}`,
      );
    }
    if (parts.licenseKey !== old.licenseKey || Number(parts.licenseVersion) !== Number(old.version) + 1) {
      throw new RangeError(
        `expected the next version of ${old.licenseKey} after ${old.version}, found ${next.id}`,
      );
    }
    const item = newLicenseItem(next, old.domain, parts);
    const items: TransactItem[] = [
      this.#updateStatus(old.table, old.licenseKey, old.version, current.version, current.history, change, {
        supersededBy: next.id,
      }),
      { Put: { TableName: old.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      this.#setSlot(current.statusSlot, current.id, statusListValue('superseded')),
      this.#claimSlot(next.statusSlot, next.id),
      { Put: { TableName: this.#tables.holderIndex, Item: holderItem(next, old.domain, parts) } },
      { Put: { TableName: this.#tables.issuerListing, Item: listingItem(next, parts, this.#subKeys) } },
      auditPut(this.#tables.audit, auditEvent),
      this.#markChanged(current.statusSlot, statusListValue('superseded')),
    ];
    if (current.holderIndex !== next.holderIndex) {
      // The holder's code changed with the new version: the earlier holder no longer holds the
      // license, but keeps finding the versions that were theirs — their entry is overwritten by a
      // former one naming their last version (a holder it comes back to gets a current one again).
      items.push({
        Put: {
          TableName: this.#tables.holderIndex,
          Item: formerHolderItem(current, old.domain, parts),
        },
      });
    }
    const keyCheck = deviceKey === undefined ? -1 : items.push(this.#keyStillActive(deviceKey)) - 1;
    await this.#write(items, 'reissue', (reasons) => {
      if (failed(reasons, 0)) return lockFailure(current.id, current.version, reasons[0]);
      if (failed(reasons, 1)) return new LicenseAlreadyExists(next.id);
      if (failed(reasons, 2)) {
        return new StatusSlotMismatch(current.statusSlot.listId, current.statusSlot.index, current.id);
      }
      if (failed(reasons, 3)) return new StatusSlotTaken(next.statusSlot.listId, next.statusSlot.index);
      if (failed(reasons, 6)) return new AuditEventExists(auditEvent.id);
      if (failed(reasons, keyCheck)) return new DeviceKeyChangedMeanwhile(deviceKey!.keyId);
      return undefined;
    });
    return { superseded: { version: current.version + 1 }, current: licenseRecordOf(item, old.table) };
  }

  async attachDocument(write: DocumentAttachWrite): Promise<{ version: number }> {
    const { licenseId, expectedVersion, document, auditEvent } = write;
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
      throw new RangeError(`expected a record version ≥ 1, found ${expectedVersion}`);
    }
    const { table, licenseKey, version } = await this.#locate(licenseId);
    const items: TransactItem[] = [
      {
        Update: {
          TableName: table,
          Key: { pk: licensePk(licenseKey), sk: licenseSk(version) },
          UpdateExpression: 'SET content.#document = :document, version = version + :one, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeNames: { '#document': 'document' },
          ExpressionAttributeValues: {
            // Exactly the reference's fields: the content map is read back as stored.
            ':document': {
              key: document.key,
              sha256: document.sha256,
              size: document.size,
              mediaType: document.mediaType,
            },
            ':one': 1,
            ':at': auditEvent.time,
            ':expected': expectedVersion,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      auditPut(this.#tables.audit, auditEvent),
    ];
    await this.#write(items, 'attachDocument', (reasons) => {
      if (failed(reasons, 0)) return lockFailure(licenseId, expectedVersion, reasons[0]);
      if (failed(reasons, 1)) return new AuditEventExists(auditEvent.id);
      return undefined;
    });
    return { version: expectedVersion + 1 };
  }

  async recordGrantUse(
    grantId: string,
    now: string,
    auditEvent: AuditEvent,
    retrieved?: RetrievedVersion,
  ): Promise<void> {
    if (!RFC3339_MS_UTC.test(now)) {
      // expiresAt is compared as text, which is time order only between fixed-width UTC times.
      throw new RangeError(`expected now as RFC 3339 UTC with milliseconds, found '${now}'`);
    }
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.#tables.grants,
          Key: { pk: `G#${grantId}`, sk: 'GRANT' },
          // Exactly the agreed update: the grants store reads its items with a strict schema.
          UpdateExpression:
            'SET uses = uses + :one, lastUsedAt = :now, version = if_not_exists(version, :zero) + :one',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :active AND uses < maxUses AND expiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':active': 'active', ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      auditPut(this.#tables.audit, auditEvent),
    ];
    if (retrieved !== undefined) items.push(await this.#unchanged(retrieved));
    await this.#write(items, 'recordGrantUse', (reasons) => {
      if (failed(reasons, 0)) return grantRefusal(grantId, now, reasons[0]?.item);
      if (failed(reasons, 1)) return new AuditEventExists(auditEvent.id);
      if (retrieved !== undefined && failed(reasons, 2)) {
        return lockFailure(retrieved.licenseId, retrieved.version, reasons[2]);
      }
      return undefined;
    });
  }

  async recordRetrieval(auditEvent: AuditEvent, retrieved: RetrievedVersion): Promise<void> {
    const items: TransactItem[] = [
      auditPut(this.#tables.audit, auditEvent),
      await this.#unchanged(retrieved),
    ];
    await this.#write(items, 'recordRetrieval', (reasons) => {
      if (failed(reasons, 0)) return new AuditEventExists(auditEvent.id);
      if (failed(reasons, 1)) return lockFailure(retrieved.licenseId, retrieved.version, reasons[1]);
      return undefined;
    });
  }

  /** A check that a license version is still as a retrieval read it (a status change moves its version). */
  async #unchanged(retrieved: RetrievedVersion): Promise<TransactItem> {
    const { table, licenseKey, version } = await this.#locate(retrieved.licenseId);
    return {
      ConditionCheck: {
        TableName: table,
        Key: { pk: licensePk(licenseKey), sk: licenseSk(version) },
        ConditionExpression: 'attribute_exists(pk) AND version = :read',
        ExpressionAttributeValues: { ':read': retrieved.version },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async listByHolder(
    holderIndex: string,
    typeCode?: string,
    options: HolderListingOptions = {},
  ): Promise<HolderLicense[]> {
    const licenses: HolderLicense[] = [];
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.#tables.holderIndex,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        // Former entries are left out unless asked for: whoever acts on a holder's licenses sees
        // only those they hold.
        ...(options.includeFormer === true ? {} : { FilterExpression: 'attribute_not_exists(former)' }),
        ExpressionAttributeValues: {
          ':pk': holderPk(holderIndex),
          ':prefix': typeCode === undefined ? 'T#' : holderTypePrefix(typeCode),
        },
        ...this.#capacity(),
      },
    );
    for await (const page of pages) {
      meterCapacity(this.#meter, 'read', 'listByHolder', page.ConsumedCapacity);
      for (const item of page.Items ?? []) licenses.push(holderLicenseOf(item));
    }
    return licenses;
  }

  async listByIssuer(query: IssuerListingQuery, page: PageRequest = {}): Promise<Page<IssuerListingEntry>> {
    const { issuerCode, typeCode, month } = query;
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
      throw new RangeError(`expected a month yyyy-MM, found '${month}'`);
    const limit = page.limit ?? DEFAULT_LISTING_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTING_LIMIT) {
      throw new RangeError(`expected a page limit from 1 to ${MAX_LISTING_LIMIT}, found ${limit}`);
    }
    const binding = listingBinding([issuerCode, typeCode, month, String(this.#subKeys)]);
    const listed = await pageOverSubKeys({
      binding,
      subKeys: this.#subKeys,
      token: page.cursor,
      limit,
      sortKey: (row: { sk: string }) => row.sk,
      query: async (subKey, cursor) => {
        const pk = listingPk(issuerCode, typeCode, month, subKey);
        const result = await this.#client.send(
          new QueryCommand({
            TableName: this.#tables.issuerListing,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            // A page may come entirely from one sub-key, so each is asked for a whole page.
            Limit: limit,
            ...(cursor === null ? {} : { ExclusiveStartKey: { pk, sk: cursor } }),
            ...this.#capacity(),
          }),
        );
        meterCapacity(this.#meter, 'read', 'listByIssuer', result.ConsumedCapacity);
        return {
          rows: (result.Items ?? []).map((item) => ({
            sk: String(item.sk),
            licenseId: String(item.licenseId),
            issuedAt: String(item.issuedAt),
          })),
          exhausted: result.LastEvaluatedKey === undefined,
        };
      },
    });
    return {
      items: listed.items.map(({ licenseId, issuedAt }) => ({ licenseId, issuedAt })),
      ...(listed.cursor === undefined ? {} : { cursor: listed.cursor }),
    };
  }

  async #locate(
    licenseId: string,
  ): Promise<{ table: string; domain: string; licenseKey: string; version: string }> {
    const parsed = parseLicenseId(licenseId);
    if (!parsed.valid) throw new RangeError(`expected a license id, found ${licenseId}: ${parsed.reason}`);
    const { typeCode, issuerCode, serial, version } = parsed.parts;
    const licenseKey = `${LICENSE_ID_ROOT}.${typeCode}.${issuerCode}.${serial}`;
    const { table, domain } = await this.licenseTableOf(typeCode, licenseKey);
    return { table, domain, licenseKey, version };
  }

  #updateStatus(
    table: string,
    licenseKey: string,
    licenseVersion: string,
    expectedVersion: number,
    history: readonly StatusChange[],
    change: StatusChange,
    extra: { supersededBy?: string },
  ): TransactItem {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
      throw new RangeError(`expected a record version ≥ 1, found ${expectedVersion}`);
    }
    const superseding = extra.supersededBy !== undefined;
    return {
      Update: {
        TableName: table,
        Key: { pk: licensePk(licenseKey), sk: licenseSk(licenseVersion) },
        UpdateExpression: `SET #status = :to, version = version + :one, updatedAt = :at, history = :history${superseding ? ', supersededBy = :next' : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND version = :expected AND #status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': change.to,
          ':from': change.from,
          ':one': 1,
          ':at': change.at,
          // The history as the caller read it, with the change, trimmed to the changes a record
          // keeps (keptHistory): appending to the stored list grew the item until no write — a
          // revocation included — fitted in 400 KB. Replacing the list is safe because the update
          // is conditioned on `version = :expected`, the version that history was read at.
          // JSON round trip: changes are plain data, and optional fields left undefined must not reach the marshaller.
          ':history': JSON.parse(JSON.stringify(keptHistory(history, change))) as unknown,
          ':expected': expectedVersion,
          ...(superseding ? { ':next': extra.supersededBy } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  #claimSlot(slot: StatusSlot, licenseId: string): TransactItem {
    return {
      Put: {
        TableName: this.#tables.statusLists,
        Item: slotItem(slot, licenseId, statusListValue('valid')),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  #setSlot(slot: StatusSlot, licenseId: string, value: number): TransactItem {
    return {
      Update: {
        TableName: this.#tables.statusLists,
        Key: { pk: slotPk(slot.listId), sk: slotSk(slot.index) },
        UpdateExpression: 'SET #status = :value',
        // The slot must be this license's: a wrong slot would change another license's status.
        ConditionExpression: 'licenseId = :id',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':value': value, ':id': licenseId },
      },
    };
  }

  /**
   * The changed-slot item of a slot set to `value` (license-items.ts), put in the transaction that
   * sets the slot — after its audit event, so that the positions the errors are read from stay
   * put. Unconditional: the slot's own update checks the slot is the license's.
   */
  #markChanged(slot: StatusSlot, value: number): TransactItem {
    return { Put: { TableName: this.#tables.statusLists, Item: changedSlotItem(slot, value) } };
  }

  #capacity(): { ReturnConsumedCapacity?: 'TOTAL' } {
    return this.#meter === undefined ? {} : { ReturnConsumedCapacity: 'TOTAL' };
  }

  async #write(
    items: TransactItem[],
    operation: string,
    translate: (reasons: readonly CancellationReason[]) => Error | undefined,
  ): Promise<void> {
    try {
      await transactWrite(this.#client, items, operation, this.#meter);
    } catch (error) {
      if (error instanceof TransactionCancelled) throw translate(error.reasons) ?? error;
      throw error;
    }
  }
}

function failed(reasons: readonly CancellationReason[], position: number): boolean {
  return reasons[position]?.code === CONDITION_FAILED;
}

function lockFailure(
  licenseId: string,
  expectedVersion: number,
  reason: CancellationReason | undefined,
): Error {
  if (reason?.item === undefined) return new LicenseNotFound(licenseId);
  return new ConcurrentModification(
    `license ${licenseId}`,
    expectedVersion,
    rawNumber(reason.item, 'version'),
  );
}

function grantRefusal(
  grantId: string,
  now: string,
  item: Record<string, AttributeValue> | undefined,
): GrantUseRefused {
  if (item === undefined) return new GrantUseRefused(grantId, 'not-found', 'no such grant');
  const status = rawString(item, 'status');
  if (status !== 'active') return new GrantUseRefused(grantId, 'revoked', `status ${String(status)}`);
  const uses = rawNumber(item, 'uses');
  const maxUses = rawNumber(item, 'maxUses');
  if (uses === undefined || maxUses === undefined || uses >= maxUses) {
    return new GrantUseRefused(grantId, 'exhausted', `${String(uses)} of ${String(maxUses)} uses made`);
  }
  const expiresAt = rawString(item, 'expiresAt');
  return new GrantUseRefused(grantId, 'expired', `it expired at ${String(expiresAt)}, now is ${now}`);
}

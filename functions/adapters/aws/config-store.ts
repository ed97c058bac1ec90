// ConfigStore on the `config` table (pk/sk strings, no index).
//
// | record                     | pk                          | sk                    | other attributes |
// | -------------------------- | --------------------------- | --------------------- | ---------------- |
// | agency                     | `AGENCY`                    | `<uscc>`              | kind, version, data, links |
// | API key (lookup)           | `APIKEY#<keyId>`            | `APIKEY`              | kind, keyId, agencyUscc, version, data (the agency) |
// | license type               | `TYPE`                      | `<type code>`         | kind, version, data, links, agreementWrites |
// | sharing agreement          | `AGREEMENT`                 | `<agreement id>`      | kind, version, data, links |
// | agreement by relying agency| `AGREEMENT#AGENCY#<uscc>`   | `<type code>#<id>`    | kind, version, data |
// | agreement by type          | `AGREEMENT#TYPE#<code>`     | `<uscc>#<id>`         | kind, version, data |
// | bootstrap mark             | `BOOTSTRAP`                 | `first-operator`      | kind, agency (written once, with the first operator) |
//
// `data` is the catalog record (Agency, LicenseType, SharingAgreement) as a map, validated
// with its core schema on every read. `version` is 1 on creation and +1 per update; a create
// is conditional on the record's absence, an update on `version = :expected`.
//
// Lookup items are copies written in the same transaction as their record, so they are never
// stale: the API-key item carries the whole agency, so request authentication costs one
// GetItem on a partition of its own (`APIKEY#<keyId>`), and the two agreement copies let a
// relying agency's or a type's agreements be listed with one Query, strongly consistent, with
// no index. A record lists the lookup items it owns in `links`, so an update deletes the ones
// it no longer needs (a removed key, an agreement moved to another type) without having to
// parse the old record. Key ids are global: a key item owned by another agency fails its
// condition and the registration with it (ApiKeyIdTaken).
//
// The listings (`AGENCY`, `TYPE`, `AGREEMENT`) are single partitions: the catalog holds
// thousands of records, not millions, and is written by the operator only. This store reads every
// item strongly consistent, every time; the hot paths read license types and agencies through a
// per-container cache (CachedCatalog, functions/app/cached-catalog.ts: at most one read per item
// per container per 60 s), since one item serves at most 3,000 RCU/s and adaptive capacity cannot
// split it. Sharing agreements (a Query per retrieval, by relying agency) and API keys (their own
// partitions) are read uncached.
//
// A license type's item also counts the agreement writes checked against it (`agreementWrites`,
// absent for none): an agreement write adds 1 to it under a condition on the type's version, and a
// type update is conditioned on it being as read before the type's agreements were listed, so a
// type update and an agreement write cannot each pass a check the other makes wrong
// (LicenseTypeAsRead). It is no part of the type: reads parse `version` and `data` alone, so it
// shows in no answer and leaves the version, the type's ETag, as it is.
//
// A write given its audit event puts the event into the `audit` table (layout of audit-items.ts)
// as the last item of the same transaction: the change and its record, both or neither.
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEvent } from '#core/audit/event.ts';
import { type Agency, AgencySchema, MAX_SUCCESSION_LINKS } from '#core/catalog/agency.ts';
import { type LicenseType, LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { type SharingAgreement, SharingAgreementSchema } from '#core/catalog/sharing-agreement.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import {
  type AgreementListRequest,
  ApiKeyIdTaken,
  type ApiKeyRecord,
  ConfigRecordExists,
  ConfigRecordInvalid,
  type ConfigRecordKind,
  ConfigRecordNotFound,
  type ConfigStore,
  ConfigVersionConflict,
  type LicenseTypeAsRead,
  LicenseTypeChanged,
  OperatorRecordChanged,
  type OperatorStanding,
  RegistryAlreadyBootstrapped,
  SharingAgreementsChanged,
  SuccessionChanged,
  type SuccessorAsRead,
  writeNotSent,
} from '#ports/config-store.ts';
import type { Page, PageRequest, Versioned } from '#ports/page.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditPut } from './audit-items.ts';
import { issuesOf, queryPage } from './dynamodb-paging.ts';
import {
  type CancellationReason,
  type TransactItem,
  TransactionCancelled,
  transactWrite,
} from './transact-write.ts';

type Item = Record<string, unknown>;

type ItemKey = {
  pk: string;
  sk: string;
};

/** A lookup item a record writes alongside itself, with the condition its put must meet. */
interface LinkedItem {
  item: Item & ItemKey;
  condition?: { expression: string; values: Record<string, unknown> };
  /** Names the item in errors when its condition fails. */
  onConditionFailed?: () => Error;
}

interface RecordSpec<T> {
  kind: ConfigRecordKind;
  schema: z.ZodType<T>;
  idOf(value: T): string;
  key(id: string): ItemKey;
  linked(value: T, version: number): LinkedItem[];
}

const PARTITION = {
  agency: 'AGENCY',
  type: 'TYPE',
  agreement: 'AGREEMENT',
} as const;

const apiKeyItemKey = (keyId: string): ItemKey => ({ pk: `APIKEY#${keyId}`, sk: 'APIKEY' });
/** Written with the first operator agency, never again: the registry was bootstrapped. */
const BOOTSTRAP_MARK: ItemKey = { pk: 'BOOTSTRAP', sk: 'first-operator' };
const agreementsOfAgencyPk = (uscc: string) => `AGREEMENT#AGENCY#${uscc}`;
const agreementsOfTypePk = (typeCode: string) => `AGREEMENT#TYPE#${typeCode}`;

const AGENCY: RecordSpec<Agency> = {
  kind: 'agency',
  schema: AgencySchema,
  idOf: (agency) => agency.uscc,
  key: (uscc) => ({ pk: PARTITION.agency, sk: uscc }),
  linked: (agency, version) =>
    agency.apiKeys.map((key) => ({
      item: {
        ...apiKeyItemKey(key.keyId),
        kind: 'api-key',
        keyId: key.keyId,
        agencyUscc: agency.uscc,
        version,
        data: agency,
      },
      condition: {
        expression: 'attribute_not_exists(pk) OR agencyUscc = :owner',
        values: { ':owner': agency.uscc },
      },
      onConditionFailed: () => new ApiKeyIdTaken(key.keyId),
    })),
};

const operatorRecordChanged = (standing: OperatorStanding) =>
  new OperatorRecordChanged(standing.agency, 'its record changed since it was read');

/** A condition on another item a write holds under, and the refusal when it fails. */
interface WriteCheck {
  item: TransactItem;
  onConditionFailed: () => Error;
}

/**
 * The agreement writes counted on a type's item, which its update keeps and holds under: as the
 * caller read them before checking the agreements, or else as read with the item's head, so an
 * agreement counted meanwhile is not lost from the count.
 */
interface CountedAgreementWrites {
  asRead: number | undefined;
  onChanged: () => Error;
}

const LICENSE_TYPE: RecordSpec<LicenseType> = {
  kind: 'license-type',
  schema: LicenseTypeSchema,
  idOf: (type) => type.code,
  key: (code) => ({ pk: PARTITION.type, sk: code }),
  linked: () => [],
};

const SHARING_AGREEMENT: RecordSpec<SharingAgreement> = {
  kind: 'sharing-agreement',
  schema: SharingAgreementSchema,
  idOf: (agreement) => agreement.id,
  key: (id) => ({ pk: PARTITION.agreement, sk: id }),
  linked: (agreement, version) => [
    {
      item: {
        pk: agreementsOfAgencyPk(agreement.relyingAgency),
        sk: `${agreement.typeCode}#${agreement.id}`,
        kind: 'sharing-agreement-of-agency',
        version,
        data: agreement,
      },
    },
    {
      item: {
        pk: agreementsOfTypePk(agreement.typeCode),
        sk: `${agreement.relyingAgency}#${agreement.id}`,
        kind: 'sharing-agreement-of-type',
        version,
        data: agreement,
      },
    },
  ],
};

const versionSchema = z.number().int().min(1);
const linksSchema = z.array(z.strictObject({ pk: z.string().min(1), sk: z.string().min(1) }));
const agreementWritesSchema = z.number().int().min(0).optional();
const storedHeadSchema = z.object({
  version: versionSchema,
  links: linksSchema,
  agreementWrites: agreementWritesSchema,
});
const apiKeyItemSchema = z.object({
  keyId: z.string(),
  agencyUscc: z.string(),
  version: versionSchema,
  data: AgencySchema,
});

/** Ids longer than this are no record's id; refusing them keeps DynamoDB key limits out of reach. */
const MAX_ID_LENGTH = 256;

export interface ConfigStoreOptions {
  /** The audit table, for writes that carry their audit event (the operator's). */
  auditTable?: string;
}

export class DynamoConfigStore implements ConfigStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #auditTable: string | undefined;

  constructor(documents: DynamoDBDocumentClient, tableName: string, options: ConfigStoreOptions = {}) {
    this.#documents = documents;
    this.#table = tableName;
    this.#auditTable = options.auditTable;
  }

  createAgency(
    agency: Agency,
    auditEvent?: AuditEvent,
    standing?: OperatorStanding,
  ): Promise<Versioned<Agency>> {
    return this.#create(
      AGENCY,
      agency,
      auditEvent,
      undefined,
      standing ? [this.#standingCheck(standing)] : [],
    );
  }

  createFirstOperator(agency: Agency, auditEvent: AuditEvent): Promise<Versioned<Agency>> {
    return this.#create(AGENCY, agency, auditEvent, BOOTSTRAP_MARK);
  }

  updateAgency(
    agency: Agency,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    standing?: OperatorStanding,
  ): Promise<Versioned<Agency>> {
    if (standing === undefined) return this.#update(AGENCY, agency, expectedVersion, auditEvent);
    if (standing.agency === agency.uscc) {
      // The caller's own record is the one written: its version condition is the check.
      if (standing.version !== expectedVersion) throw operatorRecordChanged(standing);
      return this.#update(AGENCY, agency, expectedVersion, auditEvent);
    }
    return this.#update(AGENCY, agency, expectedVersion, auditEvent, [this.#standingCheck(standing)]);
  }

  /** The condition that the calling operator's own record is still as read (OperatorStanding). */
  #standingCheck(standing: OperatorStanding): WriteCheck {
    return {
      item: {
        ConditionCheck: {
          TableName: this.#table,
          Key: AGENCY.key(standing.agency),
          ConditionExpression: 'version = :standing',
          ExpressionAttributeValues: { ':standing': standing.version },
        },
      },
      onConditionFailed: () => operatorRecordChanged(standing),
    };
  }

  designateSuccessor(
    agency: Agency,
    expectedVersion: number,
    chain: readonly SuccessorAsRead[],
    auditEvent?: AuditEvent,
  ): Promise<Versioned<Agency>> {
    const designated = agency.successor;
    if (designated === undefined || chain[0]?.uscc !== designated) {
      throw new RangeError('the chain checked for a designation starts at the successor designated');
    }
    // Within DynamoDB's 100 items a transaction: the record, its MAX_API_KEYS key items, the
    // audit event and MAX_SUCCESSION_LINKS checks.
    if (chain.length > MAX_SUCCESSION_LINKS) {
      throw new RangeError(`a chain of ${chain.length} successors is longer than any designation checks`);
    }
    // On the successor each agency names, not its version: the chain is made of these alone, and
    // another change to one of its agencies (its keys, its name) cannot close a loop.
    const checks = chain.map(({ uscc, successor: named }) => ({
      item: {
        ConditionCheck: {
          TableName: this.#table,
          Key: AGENCY.key(uscc),
          ...(named === undefined
            ? { ConditionExpression: 'attribute_not_exists(#data.#successor)' }
            : {
                ConditionExpression: '#data.#successor = :successor',
                ExpressionAttributeValues: { ':successor': named },
              }),
          ExpressionAttributeNames: { '#data': 'data', '#successor': 'successor' },
        },
      },
      onConditionFailed: () => new SuccessionChanged(agency.uscc, designated, uscc),
    }));
    return this.#update(AGENCY, agency, expectedVersion, auditEvent, checks);
  }

  getAgency(uscc: string): Promise<Versioned<Agency> | undefined> {
    return this.#get(AGENCY, uscc);
  }

  listAgencies(page?: PageRequest): Promise<Page<Versioned<Agency>>> {
    return this.#list(AGENCY, PARTITION.agency, page);
  }

  async findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    if (!isLookupable(keyId)) return undefined;
    const key = apiKeyItemKey(keyId);
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = apiKeyItemSchema.safeParse(Item);
    if (!parsed.success) throw this.#invalid(key, issuesOf(parsed.error));
    const { data: agency, version, agencyUscc } = parsed.data;
    const apiKey = agency.apiKeys.find((candidate) => candidate.keyId === keyId);
    if (apiKey === undefined || agency.uscc !== agencyUscc || parsed.data.keyId !== keyId) {
      throw this.#invalid(key, [
        {
          path: 'data.apiKeys',
          message: `expected agency ${agencyUscc} to hold key ${keyId}, found agency ${agency.uscc} with keys ${agency.apiKeys.map((k) => k.keyId).join(', ') || 'none'}`,
        },
      ]);
    }
    return { agency, key: apiKey, agencyVersion: version };
  }

  createLicenseType(type: LicenseType, auditEvent?: AuditEvent): Promise<Versioned<LicenseType>> {
    return this.#create(LICENSE_TYPE, type, auditEvent);
  }

  async agreementWritesOfType(code: string): Promise<number> {
    if (!isLookupable(code)) return 0;
    const key = LICENSE_TYPE.key(code);
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#table,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: 'agreementWrites',
      }),
    );
    const parsed = agreementWritesSchema.safeParse(Item?.agreementWrites);
    if (!parsed.success) throw this.#invalid(key, issuesOf(parsed.error));
    return parsed.data ?? 0;
  }

  updateLicenseType(
    type: LicenseType,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    agreementWrites?: number,
  ): Promise<Versioned<LicenseType>> {
    return this.#update(LICENSE_TYPE, type, expectedVersion, auditEvent, [], {
      asRead: agreementWrites,
      onChanged: () => new SharingAgreementsChanged(type.code),
    });
  }

  getLicenseType(code: string): Promise<Versioned<LicenseType> | undefined> {
    return this.#get(LICENSE_TYPE, code);
  }

  listLicenseTypes(page?: PageRequest): Promise<Page<Versioned<LicenseType>>> {
    return this.#list(LICENSE_TYPE, PARTITION.type, page);
  }

  createSharingAgreement(
    agreement: SharingAgreement,
    auditEvent?: AuditEvent,
    typeAsRead?: LicenseTypeAsRead,
  ): Promise<Versioned<SharingAgreement>> {
    return this.#create(
      SHARING_AGREEMENT,
      agreement,
      auditEvent,
      undefined,
      this.#typeChecks(agreement, typeAsRead),
    );
  }

  updateSharingAgreement(
    agreement: SharingAgreement,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    typeAsRead?: LicenseTypeAsRead,
  ): Promise<Versioned<SharingAgreement>> {
    return this.#update(
      SHARING_AGREEMENT,
      agreement,
      expectedVersion,
      auditEvent,
      this.#typeChecks(agreement, typeAsRead),
    );
  }

  /**
   * The condition that the agreement's license type is still as it was checked, and the agreement's
   * count on the type's item (LicenseTypeAsRead): an Update, not a bare ConditionCheck, so that a
   * type update that listed the agreements before this one is refused in turn.
   */
  #typeChecks(agreement: SharingAgreement, typeAsRead: LicenseTypeAsRead | undefined): WriteCheck[] {
    if (typeAsRead === undefined) return [];
    return [
      {
        item: {
          Update: {
            TableName: this.#table,
            Key: LICENSE_TYPE.key(typeAsRead.code),
            UpdateExpression: 'ADD agreementWrites :one',
            ConditionExpression: 'version = :typeVersion',
            ExpressionAttributeValues: { ':typeVersion': typeAsRead.version, ':one': 1 },
          },
        },
        onConditionFailed: () => new LicenseTypeChanged(typeAsRead.code, agreement.id),
      },
    ];
  }

  getSharingAgreement(id: string): Promise<Versioned<SharingAgreement> | undefined> {
    return this.#get(SHARING_AGREEMENT, id);
  }

  listSharingAgreements(page?: PageRequest): Promise<Page<Versioned<SharingAgreement>>> {
    return this.#list(SHARING_AGREEMENT, PARTITION.agreement, page);
  }

  listSharingAgreementsOfAgency(
    relyingAgency: string,
    request?: AgreementListRequest,
  ): Promise<Page<Versioned<SharingAgreement>>> {
    return this.#list(SHARING_AGREEMENT, agreementsOfAgencyPk(relyingAgency), request, request?.typeCode);
  }

  listSharingAgreementsOfType(
    typeCode: string,
    page?: PageRequest,
  ): Promise<Page<Versioned<SharingAgreement>>> {
    return this.#list(SHARING_AGREEMENT, agreementsOfTypePk(typeCode), page);
  }

  async #create<T>(
    spec: RecordSpec<T>,
    input: T,
    auditEvent?: AuditEvent,
    onceOnly?: ItemKey,
    /** Conditions on other items the write holds under, checked in the same transaction. */
    checks: WriteCheck[] = [],
  ): Promise<Versioned<T>> {
    const value = this.#checked(spec, input);
    const audit = this.#auditPut(auditEvent);
    const mark: TransactItem[] = onceOnly
      ? [
          {
            Put: {
              TableName: this.#table,
              Item: { ...onceOnly, kind: 'bootstrap', agency: spec.idOf(value) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ]
      : [];
    const id = spec.idOf(value);
    const linked = spec.linked(value, 1);
    const record: Item = {
      ...spec.key(id),
      kind: spec.kind,
      version: 1,
      data: value,
      links: linked.map(({ item }) => ({ pk: item.pk, sk: item.sk })),
    };
    await this.#transact(
      [
        {
          Put: { TableName: this.#table, Item: record, ConditionExpression: 'attribute_not_exists(pk)' },
        },
        ...linked.map((link) => this.#putLinked(link)),
        ...mark,
        ...checks.map((check) => check.item),
        ...audit,
      ],
      (reasons) => {
        if (mark.length > 0 && reasons[linked.length + 1] === 'ConditionalCheckFailed') {
          return new RegistryAlreadyBootstrapped();
        }
        if (reasons[0] === 'ConditionalCheckFailed') return new ConfigRecordExists(spec.kind, id);
        const firstCheck = 1 + linked.length + mark.length;
        const failedCheck = checks.find((_, i) => reasons[firstCheck + i] === 'ConditionalCheckFailed');
        if (failedCheck !== undefined) return failedCheck.onConditionFailed();
        if (auditEvent && reasons.at(-1) === 'ConditionalCheckFailed')
          return new AuditEventExists(auditEvent.id);
        return this.#linkedFailure(linked, reasons) ?? new ConfigVersionConflict(spec.kind, id, 0, undefined);
      },
    );
    return { value, version: 1 };
  }

  async #update<T>(
    spec: RecordSpec<T>,
    input: T,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    /** Conditions on other items the write holds under, checked in the same transaction. */
    checks: WriteCheck[] = [],
    /** A license type's: the agreement writes counted on its item (CountedAgreementWrites). */
    counted?: CountedAgreementWrites,
  ): Promise<Versioned<T>> {
    const value = this.#checked(spec, input);
    const audit = this.#auditPut(auditEvent);
    const id = spec.idOf(value);
    const key = spec.key(id);
    // A read that fails sent nothing of the write: what was made for it (a seal key) is given up.
    const current = await this.#head(key).catch((error: unknown) => {
      throw writeNotSent(error);
    });
    if (current === undefined) throw new ConfigRecordNotFound(spec.kind, id);
    if (current.version !== expectedVersion) {
      throw new ConfigVersionConflict(spec.kind, id, expectedVersion, current.version);
    }
    const writes = counted && (counted.asRead ?? current.agreementWrites ?? 0);
    if (counted && writes !== (current.agreementWrites ?? 0)) throw counted.onChanged();
    const writesHeld =
      writes === undefined
        ? undefined
        : {
            attributes: writes === 0 ? {} : { agreementWrites: writes },
            condition:
              writes === 0 ? ' AND attribute_not_exists(agreementWrites)' : ' AND agreementWrites = :writes',
            values: writes === 0 ? {} : { ':writes': writes },
          };
    const version = expectedVersion + 1;
    const linked = spec.linked(value, version);
    const kept = new Set(linked.map(({ item }) => `${item.pk}\n${item.sk}`));
    const dropped = current.links.filter((link) => !kept.has(`${link.pk}\n${link.sk}`));
    await this.#transact(
      [
        {
          Put: {
            TableName: this.#table,
            Item: {
              ...key,
              kind: spec.kind,
              version,
              data: value,
              links: linked.map(({ item }) => ({ pk: item.pk, sk: item.sk })),
              ...writesHeld?.attributes,
            },
            ConditionExpression: `version = :expected${writesHeld?.condition ?? ''}`,
            ExpressionAttributeValues: { ':expected': expectedVersion, ...writesHeld?.values },
            // To tell a changed count from a changed version when the condition fails.
            ...(writesHeld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
          },
        },
        ...linked.map((link) => this.#putLinked(link)),
        ...dropped.map((link) => ({ Delete: { TableName: this.#table, Key: link } })),
        ...checks.map((check) => check.item),
        ...audit,
      ],
      (reasons, cancelled) => {
        if (reasons[0] === 'ConditionalCheckFailed') {
          const stillAsExpected = cancelled[0]?.item?.version?.N === String(expectedVersion);
          if (counted && stillAsExpected) return counted.onChanged();
          return new ConfigVersionConflict(spec.kind, id, expectedVersion, undefined);
        }
        const firstCheck = 1 + linked.length + dropped.length;
        const failedCheck = checks.find((_, i) => reasons[firstCheck + i] === 'ConditionalCheckFailed');
        if (failedCheck !== undefined) return failedCheck.onConditionFailed();
        if (auditEvent && reasons.at(-1) === 'ConditionalCheckFailed')
          return new AuditEventExists(auditEvent.id);
        return (
          this.#linkedFailure(linked, reasons) ??
          new ConfigVersionConflict(spec.kind, id, expectedVersion, undefined)
        );
      },
    );
    return { value, version };
  }

  async #get<T>(spec: RecordSpec<T>, id: string): Promise<Versioned<T> | undefined> {
    if (!isLookupable(id)) return undefined;
    const key = spec.key(id);
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : this.#parse(spec, Item);
  }

  #list<T>(
    spec: RecordSpec<T>,
    partition: string,
    request: PageRequest | undefined,
    sortKeyPrefix?: string,
  ): Promise<Page<Versioned<T>>> {
    return queryPage(
      this.#documents,
      {
        TableName: this.#table,
        KeyConditionExpression:
          sortKeyPrefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': partition,
          ...(sortKeyPrefix === undefined ? {} : { ':prefix': `${sortKeyPrefix}#` }),
        },
        ConsistentRead: true,
      },
      { pk: partition },
      request,
      (item) => this.#parse(spec, item),
    );
  }

  #checked<T>(spec: RecordSpec<T>, input: T): T {
    const parsed = spec.schema.safeParse(input);
    if (!parsed.success) throw new ConfigRecordInvalid(spec.kind, issuesOf(parsed.error));
    return parsed.data;
  }

  #parse<T>(spec: RecordSpec<T>, item: Item): Versioned<T> {
    const parsed = z.object({ version: versionSchema, data: spec.schema }).safeParse(item);
    if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
    return { value: parsed.data.data, version: parsed.data.version };
  }

  async #head(key: ItemKey): Promise<z.infer<typeof storedHeadSchema> | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#table,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: 'version, links, agreementWrites',
      }),
    );
    if (Item === undefined) return undefined;
    const parsed = storedHeadSchema.safeParse(Item);
    if (!parsed.success) throw this.#invalid(key, issuesOf(parsed.error));
    return parsed.data;
  }

  /** The audit event's put, validated (AuditEventInvalid) before anything is sent; none without an event. */
  #auditPut(auditEvent: AuditEvent | undefined): TransactItem[] {
    if (auditEvent === undefined) return [];
    if (this.#auditTable === undefined) {
      throw new Error('DynamoConfigStore was given an audit event but no audit table to write it to');
    }
    return [auditPut(this.#auditTable, auditEvent)];
  }

  #putLinked(link: LinkedItem): TransactItem {
    return {
      Put: {
        TableName: this.#table,
        Item: link.item,
        ...(link.condition
          ? {
              ConditionExpression: link.condition.expression,
              ExpressionAttributeValues: link.condition.values,
            }
          : {}),
      },
    };
  }

  /** The error of the first linked item whose condition failed (transaction item i + 1). */
  #linkedFailure(linked: LinkedItem[], reasons: (string | undefined)[]): Error | undefined {
    for (const [i, link] of linked.entries()) {
      if (reasons[i + 1] === 'ConditionalCheckFailed' && link.onConditionFailed) {
        return link.onConditionFailed();
      }
    }
    return undefined;
  }

  // Through the shared transactWrite: a transaction cancelled only because another was in flight
  // on one of its items is retried (its conditions are then checked against the winner's write),
  // rather than answered as a version conflict the caller did not cause.
  async #transact(
    items: TransactItem[],
    onCancelled: (reasons: (string | undefined)[], cancelled: readonly CancellationReason[]) => Error,
  ): Promise<void> {
    try {
      await transactWrite(this.#documents, items, 'config-write');
    } catch (error) {
      if (error instanceof TransactionCancelled)
        throw onCancelled(
          error.reasons.map((reason) => reason.code),
          error.reasons,
        );
      throw error;
    }
  }

  #invalid(item: Item, issues: { path: string; message: string }[]): StoredItemInvalid {
    return new StoredItemInvalid(this.#table, `${String(item.pk)} / ${String(item.sk)}`, issues);
  }
}

function isLookupable(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH;
}

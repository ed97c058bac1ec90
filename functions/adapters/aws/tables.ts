// The data model's tables, declared once as plain data. The CDK stateful stack and the local
// platform (dev/provision.ts) both create tables from these definitions, and the handlers find
// them through the environment variables named here, so key schemas, indexes and TTL
// attributes cannot drift between AWS and a laptop.

export type AttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface GlobalIndexDefinition {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /**
   * The non-key attributes the index copies (DynamoDB's INCLUDE projection); absent, it copies
   * whole items (ALL). Keys of the table and of the index are always copied, so they are not
   * listed here (DynamoDB refuses them as non-key attributes).
   */
  projection?: readonly string[];
}

export interface TableDefinition {
  /** Logical name, unique within a stage: `config`, `license-person-0`, … */
  name: string;
  /** What the table holds, for readers of the stack and the README. */
  purpose: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  globalIndexes?: GlobalIndexDefinition[];
  /** Attribute holding an epoch-seconds expiry that DynamoDB deletes after. */
  timeToLiveAttribute?: string;
  /** Hot tables get CloudWatch Contributor Insights on AWS. */
  hot?: boolean;
}

const pk: KeyAttribute = { name: 'pk', type: 'S' };
const sk: KeyAttribute = { name: 'sk', type: 'S' };

/**
 * What an application listing reads of each application (application-store.ts's summary): its
 * state and times, never the sealed content, notes or attachments, which stay in the table.
 */
export const APPLICATION_SUMMARY_ATTRIBUTES = [
  'id',
  'typeCode',
  'agency',
  'holderAccount',
  'holderCodeType',
  'state',
  'created',
  'updated',
  'version',
  'licenseId',
] as const;

/**
 * What the sweep of documents nothing holds reads of an application (application-store.ts's
 * heldAttachments): its key, type and attachment list, and nothing else — its IAM grant names
 * these alone (lib/constructs/api-function.ts bindApplicationAttachments).
 */
export const APPLICATION_ATTACHMENT_ATTRIBUTES = ['pk', 'sk', 'typeCode', 'attachments'] as const;

/** The summary's attributes that are not keys of an index (nor of the table: pk, sk). */
const applicationSummaryBeside = (...keys: KeyAttribute[]): string[] =>
  APPLICATION_SUMMARY_ATTRIBUTES.filter((name) => !keys.some((key) => key.name === name));
const created: KeyAttribute = { name: 'created', type: 'S' };
const holderAccount: KeyAttribute = { name: 'holderAccount', type: 'S' };

/** Tables that exist once per stage, whatever the data domains. */
export const singletonTables: readonly TableDefinition[] = [
  {
    name: 'config',
    purpose: 'agencies, API keys, license types, sharing agreements',
    partitionKey: pk,
    sortKey: sk,
  },
  {
    name: 'holder-index',
    purpose: 'blind index of (holder code type, holder code) → license ids',
    partitionKey: pk,
    sortKey: sk,
    hot: true,
  },
  {
    name: 'issuer-listing',
    purpose: 'licenses by issuer + type + month, write-sharded over sub-keys',
    partitionKey: pk,
    sortKey: sk,
  },
  {
    name: 'grants',
    purpose: 'holder grants (用证授权), their use counters and authorisation-code lookups',
    partitionKey: pk,
    sortKey: sk,
    // Sparse: only grant items carry these attributes, code-lookup items do not.
    globalIndexes: [
      {
        name: 'by-holder',
        partitionKey: { name: 'holderIndex', type: 'S' },
        sortKey: { name: 'created', type: 'S' },
      },
    ],
  },
  {
    name: 'nonces',
    purpose: 'request-signature nonces, kept until they can no longer be replayed',
    partitionKey: pk,
    timeToLiveAttribute: 'expiresAt',
    hot: true,
  },
  {
    // Powertools idempotency's default layout: partition key `id`, TTL `expiration`.
    name: 'idempotency',
    purpose: 'Idempotency-Key records of POST requests',
    partitionKey: { name: 'id', type: 'S' },
    timeToLiveAttribute: 'expiration',
  },
  {
    name: 'audit',
    // No stream: the sealer reads the table on a schedule, in seal order across all shards.
    purpose: 'audit events, partitioned by time bucket + shard; read in seal order by the scheduled sealer',
    partitionKey: pk,
    sortKey: sk,
    hot: true,
    // Sparse: events whose subject names a license, by license (a holder's access history).
    globalIndexes: [{ name: 'by-license', partitionKey: { name: 'licenseKey', type: 'S' }, sortKey: sk }],
  },
  { name: 'status-lists', purpose: 'status list entries and index blocks', partitionKey: pk, sortKey: sk },
  {
    name: 'audit-seals',
    purpose: 'audit checkpoints: the sealed chain head and one item per sealed batch',
    partitionKey: pk,
    sortKey: sk,
  },
  {
    name: 'holders',
    purpose: 'holder accounts, identity-proofing records, device keys, identity bindings, presentations',
    partitionKey: pk,
    sortKey: sk,
    // Short-lived items (proofing challenges, presentation references) carry an expiry.
    timeToLiveAttribute: 'expiresAt',
  },
  {
    name: 'applications',
    purpose: 'license applications (申请 → 审核 → 颁发) and their history',
    partitionKey: pk,
    sortKey: sk,
    // Sparse: only application items carry these attributes. `agencyState` is spread over
    // sub-keys (application-store.ts); both indexes copy the summary only, so each index write
    // of a step costs 1 WCU instead of the whole item's several.
    globalIndexes: [
      {
        name: 'by-agency-state',
        partitionKey: { name: 'agencyState', type: 'S' },
        // `<updated>#<id>`: the queue's order, unique, so a page resumes exactly where one ended
        // even among applications changed in the same millisecond.
        sortKey: { name: 'queueOrder', type: 'S' },
        projection: applicationSummaryBeside(),
      },
      {
        name: 'by-holder',
        partitionKey: holderAccount,
        sortKey: created,
        projection: applicationSummaryBeside(holderAccount, created),
      },
    ],
  },
];

/** One table per data domain and shard: 人口库 person, 法人库 legal entity, … */
export function licenseTables(shardsPerDomain: Readonly<Record<string, number>>): TableDefinition[] {
  return Object.entries(shardsPerDomain).flatMap(([domain, shards]) =>
    Array.from({ length: shards }, (_, shard) => ({
      name: licenseTableName(domain, shard),
      purpose: `licenses of the ${domain} domain, shard ${shard} of ${shards}`,
      partitionKey: pk,
      sortKey: sk,
      hot: true,
    })),
  );
}

export function licenseTableName(domain: string, shard: number): string {
  return `license-${domain}-${shard}`;
}

/** Every table of a stage. */
export function allTables(shardsPerDomain: Readonly<Record<string, number>>): TableDefinition[] {
  return [...singletonTables, ...licenseTables(shardsPerDomain)];
}

/** The physical name on AWS and locally: `elicense-<stage>-<logical name>`. */
export function physicalTableName(stage: string, table: Pick<TableDefinition, 'name'>): string {
  return `elicense-${stage}-${table.name}`;
}

/** The environment variable a function reads a table's physical name from. */
export function tableEnvVar(table: Pick<TableDefinition, 'name'>): string {
  return `TABLE_${table.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

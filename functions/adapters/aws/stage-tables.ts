import { licenseTableName, physicalTableName, singletonTables, tableEnvVar } from './tables.ts';

// The physical table names the storage adapters write to, resolved once at start: from the
// function's environment on AWS (what `bindTable` sets), or from the stage name locally.

export interface StageTables {
  /** Physical name of the license table of a data domain's shard. */
  license(domain: string, shard: number): string;
  holderIndex: string;
  issuerListing: string;
  statusLists: string;
  audit: string;
  grants: string;
}

/** Shard count per data domain: `{ person: 4, 'legal-entity': 2 }`. */
export type ShardMap = Readonly<Record<string, number>>;

const SINGLETONS = {
  holderIndex: 'holder-index',
  issuerListing: 'issuer-listing',
  statusLists: 'status-lists',
  audit: 'audit',
  grants: 'grants',
} as const;

function build(shards: ShardMap, nameOf: (logical: string) => string): StageTables {
  const licenses = new Map<string, string>();
  for (const [domain, count] of Object.entries(shards)) {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`expected a positive shard count for data domain ${domain}, found ${count}`);
    }
    for (let shard = 0; shard < count; shard += 1) {
      const logical = licenseTableName(domain, shard);
      licenses.set(logical, nameOf(logical));
    }
  }
  const known = new Set(singletonTables.map((t) => t.name));
  const singleton = (logical: string): string => {
    if (!known.has(logical)) throw new Error(`table ${logical} is not in the stage's table definitions`);
    return nameOf(logical);
  };
  return {
    license(domain, shard) {
      const name = licenses.get(licenseTableName(domain, shard));
      if (name === undefined) {
        throw new RangeError(
          `expected a data domain of ${Object.keys(shards).join(', ')} with a shard below its count, found ${domain} shard ${shard}`,
        );
      }
      return name;
    },
    holderIndex: singleton(SINGLETONS.holderIndex),
    issuerListing: singleton(SINGLETONS.issuerListing),
    statusLists: singleton(SINGLETONS.statusLists),
    audit: singleton(SINGLETONS.audit),
    grants: singleton(SINGLETONS.grants),
  };
}

/** Names from `TABLE_*` variables of an environment map; throws naming the first one missing. */
export function stageTablesFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  shards: ShardMap,
): StageTables {
  return build(shards, (logical) => {
    const variable = tableEnvVar({ name: logical });
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new Error(`expected ${variable} to name the ${logical} table, found it unset`);
    }
    return value;
  });
}

/** Names of a stage by the naming rule alone (`elicense-<stage>-<logical>`). */
export function stageTablesOf(stage: string, shards: ShardMap): StageTables {
  return build(shards, (logical) => physicalTableName(stage, { name: logical }));
}

import type { ShardMap } from './stage-tables.ts';

// The license tables' shard counts, as a function finds them: one `TABLE_LICENSE_<DOMAIN>_<n>`
// binding per data domain and shard (tables.ts names them; the stack binds them). Data domains
// are lower-case slugs with hyphens and never underscores, so the variable name gives the domain
// back unambiguously: TABLE_LICENSE_LEGAL_ENTITY_1 is shard 1 of `legal-entity`.

const LICENSE_TABLE_VAR = /^TABLE_LICENSE_([A-Z0-9]+(?:_[A-Z0-9]+)*)_(\d+)$/;

/** Shards per data domain from an environment's license-table bindings; throws when a domain's shards are not 0…n-1. */
export function shardsFromTableBindings(env: Readonly<Record<string, string | undefined>>): ShardMap {
  const found = new Map<string, number[]>();
  for (const [name, value] of Object.entries(env)) {
    const match = LICENSE_TABLE_VAR.exec(name);
    if (!match || !value) continue;
    const domain = match[1]!.toLowerCase().replaceAll('_', '-');
    found.set(domain, [...(found.get(domain) ?? []), Number(match[2])]);
  }
  if (found.size === 0) {
    throw new Error('expected TABLE_LICENSE_<DOMAIN>_<n> bindings for the license tables, found none');
  }
  const shards: Record<string, number> = {};
  for (const [domain, indices] of found) {
    const sorted = [...indices].sort((a, b) => a - b);
    if (sorted.some((shard, i) => shard !== i)) {
      throw new Error(
        `expected the ${domain} license tables to be bound as shards 0 to ${sorted.length - 1}, found ${sorted.join(', ')}`,
      );
    }
    shards[domain] = sorted.length;
  }
  return shards;
}

import { z } from 'zod';
import { bucketEnvVar } from '#adapters/aws/buckets.ts';
import type { ShardMap } from '#adapters/aws/stage-tables.ts';
import { tableEnvVar } from '#adapters/aws/tables.ts';
import { CATALOG_MAX_AGE_MS } from '#app/cached-catalog.ts';

// The configuration of a function, validated once when its container starts: what every
// route group shares here, and each group's tables and buckets through `table()`/`bucket()`,
// which a handler calls at module scope so a missing binding fails the container at start.
const EnvironmentSchema = z
  .object({
    ELICENSE_STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'a lower-case stage name'),
    ELICENSE_PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/ })
      .describe('issuer and status-list URIs live under it'),
    // Where signing keys live: KMS on AWS (the platform key's id or ARN), or the local key
    // vault of `npm start` (its folder). Exactly one.
    ELICENSE_PLATFORM_KEY_ID: z.string().min(1).optional(),
    ELICENSE_KEY_VAULT_DIR: z.string().min(1).optional(),
    ELICENSE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
    ELICENSE_VERSION: z.string().default('0.1.0'),
    // Only the local platform and a stage configured with `demoData` take demo records and keys.
    ELICENSE_DEMO_DATA: z.enum(['allowed', 'refused']).default('refused'),
  })
  .refine((e) => (e.ELICENSE_PLATFORM_KEY_ID === undefined) !== (e.ELICENSE_KEY_VAULT_DIR === undefined), {
    message: 'set exactly one of ELICENSE_PLATFORM_KEY_ID (KMS) and ELICENSE_KEY_VAULT_DIR (local key vault)',
    path: ['ELICENSE_PLATFORM_KEY_ID'],
  });

export interface Environment {
  stage: string;
  publicBaseUrl: string;
  keys: { kind: 'kms'; platformKeyId: string } | { kind: 'local-vault'; dir: string };
  s3ForcePathStyle: boolean;
  version: string;
  demoData: 'allowed' | 'refused';
}

export function parseEnvironment(env: Record<string, string | undefined>): Environment {
  const result = EnvironmentSchema.safeParse(env);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid function environment — ${fields}`);
  }
  const e = result.data;
  return {
    stage: e.ELICENSE_STAGE,
    publicBaseUrl: e.ELICENSE_PUBLIC_BASE_URL.replace(/\/+$/, ''),
    keys: e.ELICENSE_PLATFORM_KEY_ID
      ? { kind: 'kms', platformKeyId: e.ELICENSE_PLATFORM_KEY_ID }
      : { kind: 'local-vault', dir: e.ELICENSE_KEY_VAULT_DIR! },
    s3ForcePathStyle: e.ELICENSE_S3_FORCE_PATH_STYLE === 'true',
    version: e.ELICENSE_VERSION,
    demoData: e.ELICENSE_DEMO_DATA,
  };
}

export const environment = parseEnvironment(process.env);

/** The physical name of a table bound to this function (`bindTable` on AWS). */
export function table(logicalName: string): string {
  return bound(tableEnvVar({ name: logicalName }), `table ${logicalName}`);
}

/** The physical name of a bucket bound to this function (`bindBucket` on AWS). */
export function bucket(logicalName: 'documents' | 'audit-archive' | 'public'): string {
  return bound(bucketEnvVar({ name: logicalName }), `bucket ${logicalName}`);
}

function bound(variable: string, what: string): string {
  const value = process.env[variable];
  if (!value)
    throw new Error(`invalid function environment — ${variable}: the ${what} is not bound to this function`);
  return value;
}

/**
 * The license tables' shard counts per data domain, from ELICENSE_SHARDS_PER_DOMAIN (JSON, e.g.
 * `{"person":4,"legal-entity":2}`), set by the stack and the local platform from the stage.
 */
export function shardsPerDomain(): ShardMap {
  const raw = bound('ELICENSE_SHARDS_PER_DOMAIN', 'shard map');
  const parsed = z.record(z.string(), z.number().int().min(1)).safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`invalid function environment — ELICENSE_SHARDS_PER_DOMAIN: ${raw}`);
  return parsed.data;
}

/**
 * How long a container trusts a license type or agency it read (CachedCatalog): whole seconds from
 * ELICENSE_CATALOG_MAX_AGE_SECONDS, default and at most CATALOG_MAX_AGE_MS — the bound the README
 * promises operators; the stack sets 5 for the issuer and public functions. 0 reads the registry
 * every time (the e2e platform, whose tests change the catalog and look at once).
 */
export function catalogCacheOptions(): { maxAgeMs: number } {
  const raw = process.env.ELICENSE_CATALOG_MAX_AGE_SECONDS;
  if (raw === undefined) return { maxAgeMs: CATALOG_MAX_AGE_MS };
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds * 1000 > CATALOG_MAX_AGE_MS) {
    throw new Error(
      `invalid function environment — ELICENSE_CATALOG_MAX_AGE_SECONDS: expected whole seconds from 0 to ${CATALOG_MAX_AGE_MS / 1000}, found ${raw}`,
    );
  }
  return { maxAgeMs: seconds * 1000 };
}

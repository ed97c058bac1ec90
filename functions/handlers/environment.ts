import { z } from 'zod';

// The configuration every handler reads, validated once when the container starts.
const EnvironmentSchema = z
  .object({
    ELICENSE_STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'a lower-case stage name'),
    TABLE_CONFIG: z.string().min(3),
    TABLE_STATUS_LISTS: z.string().min(3),
    BUCKET_DOCUMENTS: z.string().min(3),
    ELICENSE_PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/ })
      .describe('issuer and status-list URIs live under it'),
    // Where signing keys live: KMS on AWS (the platform key's id or ARN), or the local key
    // vault of `npm start` (its folder). Exactly one.
    ELICENSE_PLATFORM_KEY_ID: z.string().min(1).optional(),
    ELICENSE_KEY_VAULT_DIR: z.string().min(1).optional(),
    ELICENSE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
    ELICENSE_VERSION: z.string().default('0.1.0'),
  })
  .refine((e) => (e.ELICENSE_PLATFORM_KEY_ID === undefined) !== (e.ELICENSE_KEY_VAULT_DIR === undefined), {
    message: 'set exactly one of ELICENSE_PLATFORM_KEY_ID (KMS) and ELICENSE_KEY_VAULT_DIR (local key vault)',
    path: ['ELICENSE_PLATFORM_KEY_ID'],
  });

export interface Environment {
  stage: string;
  tables: { config: string; statusLists: string };
  buckets: { documents: string };
  publicBaseUrl: string;
  keys: { kind: 'kms'; platformKeyId: string } | { kind: 'local-vault'; dir: string };
  s3ForcePathStyle: boolean;
  version: string;
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
    tables: { config: e.TABLE_CONFIG, statusLists: e.TABLE_STATUS_LISTS },
    buckets: { documents: e.BUCKET_DOCUMENTS },
    publicBaseUrl: e.ELICENSE_PUBLIC_BASE_URL.replace(/\/+$/, ''),
    keys: e.ELICENSE_PLATFORM_KEY_ID
      ? { kind: 'kms', platformKeyId: e.ELICENSE_PLATFORM_KEY_ID }
      : { kind: 'local-vault', dir: e.ELICENSE_KEY_VAULT_DIR! },
    s3ForcePathStyle: e.ELICENSE_S3_FORCE_PATH_STYLE === 'true',
    version: e.ELICENSE_VERSION,
  };
}

export const environment = parseEnvironment(process.env);

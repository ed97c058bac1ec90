import { z } from 'zod';

// The configuration every handler reads, validated once when the container starts.
const EnvironmentSchema = z.object({
  ELICENSE_STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'a lower-case stage name'),
  TABLE_CONFIG: z.string().min(3),
  BUCKET_DOCUMENTS: z.string().min(3),
  ELICENSE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  ELICENSE_VERSION: z.string().default('0.1.0'),
});

export interface Environment {
  stage: string;
  tables: { config: string };
  buckets: { documents: string };
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
    tables: { config: e.TABLE_CONFIG },
    buckets: { documents: e.BUCKET_DOCUMENTS },
    s3ForcePathStyle: e.ELICENSE_S3_FORCE_PATH_STYLE === 'true',
    version: e.ELICENSE_VERSION,
  };
}

export const environment = parseEnvironment(process.env);

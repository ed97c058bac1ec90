import { z } from 'zod';

// The sealer's settings, read from its environment once at start. The local platform reads the
// same variables, so a laptop seals with the settings a stage would use unless told otherwise.
const SealerSettingsSchema = z.object({
  ELICENSE_AUDIT_SEAL_SETTLE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  // 1,000 leaves make a manifest of about 140 KB and one KMS Sign; a run seals up to 50 batches.
  ELICENSE_AUDIT_SEAL_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  ELICENSE_AUDIT_SEAL_MAX_BATCHES: z.coerce.number().int().min(1).max(1_000).default(50),
  // Where the first run of a new log starts reading; by default a week before that run.
  ELICENSE_AUDIT_SEAL_ORIGIN: z.iso.datetime().optional(),
});

export interface SealerSettings {
  settleSeconds: number;
  batchSize: number;
  maxBatchesPerRun: number;
  origin: (now: Date) => Date;
}

const WEEK_MS = 7 * 24 * 3_600_000;

export function parseSealerSettings(env: Readonly<Record<string, string | undefined>>): SealerSettings {
  const result = SealerSettingsSchema.safeParse(env);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid sealer environment — ${fields}`);
  }
  const e = result.data;
  const origin = e.ELICENSE_AUDIT_SEAL_ORIGIN;
  return {
    settleSeconds: e.ELICENSE_AUDIT_SEAL_SETTLE_SECONDS,
    batchSize: e.ELICENSE_AUDIT_SEAL_BATCH_SIZE,
    maxBatchesPerRun: e.ELICENSE_AUDIT_SEAL_MAX_BATCHES,
    origin: origin === undefined ? (now) => new Date(now.getTime() - WEEK_MS) : () => new Date(origin),
  };
}

/** The health check's bound on how far sealing may fall behind before the platform is degraded. */
export function parseMaxSealLagSeconds(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.ELICENSE_AUDIT_SEAL_MAX_LAG_SECONDS;
  const parsed = z.coerce
    .number()
    .positive()
    .default(300)
    .safeParse(raw === '' ? undefined : raw);
  if (!parsed.success) {
    throw new Error(`invalid function environment — ELICENSE_AUDIT_SEAL_MAX_LAG_SECONDS: ${raw}`);
  }
  return parsed.data;
}

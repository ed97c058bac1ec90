import { z } from 'zod';

// The sealer's settings, read from its environment once at start. The local platform reads the
// same variables, so a laptop seals with the settings a stage would use unless told otherwise.
/**
 * The largest batch a sealer may be set to. A batch is held in memory whole while sealed — the
 * events, the manifest and the archive objects — which bench/audit-sealing.bench.ts measures at
 * under 1.6 KB an event (≈ 5 × its 340 canonical bytes): 50,000 events hold < 80 MB, and even
 * events six times that size fit the function's 1,769 MB. Such a batch's archive objects (≈ 20 MB
 * of events.jsonl, ≈ 7 MB of manifest) are far below S3's 5 GB single PutObject; the checkpoint
 * KMS signs and the batch's table item do not grow with the batch. A verifier reads a batch's
 * manifest whole, which is why batches grow only while a backlog lasts.
 */
const MAX_BATCH_LIMIT = 50_000;

const SealerSettingsSchema = z
  .object({
    ELICENSE_AUDIT_SEAL_SETTLE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
    // A run's first batch; 1,000 leaves make a manifest of about 140 KB and one KMS Sign. Each
    // batch that fills doubles the next, up to the largest batch.
    ELICENSE_AUDIT_SEAL_BATCH_SIZE: z.coerce.number().int().min(1).max(MAX_BATCH_LIMIT).default(1_000),
    ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(MAX_BATCH_LIMIT).default(20_000),
    // The run's time budget: below the schedule's one-minute period, so runs seldom overlap (the
    // last batch begun ends after it; an overlap is safe, the chain head's write is conditional),
    // and far inside the function's five-minute timeout. The sealer is idle for the rest of the
    // minute, so its sustained pace is about (budget + one batch) / 60 of its pace in a run.
    ELICENSE_AUDIT_SEAL_RUN_SECONDS: z.coerce.number().int().min(1).max(120).default(50),
    // A safety net behind the budget, should the clock stall: 200 batches of 20,000 events.
    ELICENSE_AUDIT_SEAL_MAX_BATCHES: z.coerce.number().int().min(1).max(10_000).default(200),
    // Where the first run of a new log starts reading; by default a week before that run.
    ELICENSE_AUDIT_SEAL_ORIGIN: z.iso.datetime().optional(),
  })
  .refine((e) => e.ELICENSE_AUDIT_SEAL_BATCH_SIZE <= e.ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE, {
    path: ['ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE'],
    message: 'expected at least ELICENSE_AUDIT_SEAL_BATCH_SIZE',
  });

export interface SealerSettings {
  settleSeconds: number;
  batchSize: number;
  maxBatchSize: number;
  runSeconds: number;
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
    maxBatchSize: e.ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE,
    runSeconds: e.ELICENSE_AUDIT_SEAL_RUN_SECONDS,
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

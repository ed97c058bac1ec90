import type { DependencyProbe } from '#ports/dependency-probe.ts';
import { AuditSealHeadAhead } from './seal-audit-log.ts';

export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** How far audit sealing is behind: seconds since the sealed position, against the allowed most. */
export interface AuditSealCheck {
  /**
   * `unknown` before the first seal, or when the position could not be read; `ahead` when the
   * position is later than now (a clock ran ahead, or the table was edited): nothing is sealed.
   */
  status: 'ok' | 'behind' | 'ahead' | 'unknown';
  lagSeconds: number | null;
  maxLagSeconds: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, DependencyCheck>;
  auditSeal?: AuditSealCheck;
}

export interface SealLagSource {
  maxLagSeconds: number;
  /** Seconds sealing is behind now; null before anything was sealed. */
  lagSeconds(): Promise<number | null>;
}

/**
 * Asks every dependency at once, each bounded by a timeout; one unreachable dependency degrades
 * the platform, and so does audit sealing behind by more than its allowed lag.
 */
export async function checkHealth(
  probes: readonly DependencyProbe[],
  {
    timeoutMs = 2_000,
    now = () => performance.now(),
    sealLag,
  }: { timeoutMs?: number; now?: () => number; sealLag?: SealLagSource } = {},
): Promise<HealthReport> {
  const auditSeal = sealLag === undefined ? undefined : checkSealLag(sealLag);
  const entries = await Promise.all(
    probes.map(async (probe): Promise<[string, DependencyCheck]> => {
      const started = now();
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await probe.check(signal);
        return [probe.name, { status: 'up', latencyMs: Math.round(now() - started) }];
      } catch (error) {
        const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : describe(error);
        return [probe.name, { status: 'down', latencyMs: Math.round(now() - started), error: reason }];
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  const seal = await auditSeal;
  const healthy =
    entries.every(([, c]) => c.status === 'up') && seal?.status !== 'behind' && seal?.status !== 'ahead';
  return { status: healthy ? 'ok' : 'degraded', checks, ...(seal === undefined ? {} : { auditSeal: seal }) };
}

async function checkSealLag(source: SealLagSource): Promise<AuditSealCheck> {
  const { maxLagSeconds } = source;
  try {
    const lag = await source.lagSeconds();
    if (lag === null) return { status: 'unknown', lagSeconds: null, maxLagSeconds };
    const lagSeconds = Math.round(lag);
    return { status: lag > maxLagSeconds ? 'behind' : 'ok', lagSeconds, maxLagSeconds };
  } catch (error) {
    if (error instanceof AuditSealHeadAhead) {
      return { status: 'ahead', lagSeconds: null, maxLagSeconds, error: error.message };
    }
    // The table's own probe reports it unreachable; this says only that the lag is not known.
    return { status: 'unknown', lagSeconds: null, maxLagSeconds, error: describe(error) };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

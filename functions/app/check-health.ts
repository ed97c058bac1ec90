import type { DependencyProbe } from '#ports/dependency-probe.ts';
import { AuditSealHeadAhead, AuditSealHeadMismatch } from './seal-audit-log.ts';

export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  /**
   * What kind of failure, by its name or code alone (`AccessDeniedException`, `ECONNREFUSED`):
   * the report is public, and an AWS error's message names the account, the role and the
   * resource. The whole error goes to `onFailure` (the handler's log).
   */
  error?: string;
}

/** How far audit sealing is behind: seconds since the sealed position, against the allowed most. */
export interface AuditSealCheck {
  /**
   * `unknown` before the first seal, or when the position could not be read; `ahead` when the
   * position is later than now (a clock ran ahead, or the table was edited): nothing is sealed.
   */
  status: 'ok' | 'behind' | 'ahead' | 'mismatch' | 'unknown';
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
    onFailure = () => {},
  }: {
    timeoutMs?: number;
    now?: () => number;
    sealLag?: SealLagSource;
    /** Told each failure whole (the report names only its kind). */
    onFailure?: (check: string, error: unknown) => void;
  } = {},
): Promise<HealthReport> {
  const auditSeal = sealLag === undefined ? undefined : checkSealLag(sealLag, onFailure);
  const entries = await Promise.all(
    probes.map(async (probe): Promise<[string, DependencyCheck]> => {
      const started = now();
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await probe.check(signal);
        return [probe.name, { status: 'up', latencyMs: Math.round(now() - started) }];
      } catch (error) {
        if (!signal.aborted) onFailure(probe.name, error);
        const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : kindOf(error);
        return [probe.name, { status: 'down', latencyMs: Math.round(now() - started), error: reason }];
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  const seal = await auditSeal;
  const healthy =
    entries.every(([, c]) => c.status === 'up') &&
    seal?.status !== 'behind' &&
    seal?.status !== 'ahead' &&
    seal?.status !== 'mismatch';
  return { status: healthy ? 'ok' : 'degraded', checks, ...(seal === undefined ? {} : { auditSeal: seal }) };
}

async function checkSealLag(
  source: SealLagSource,
  onFailure: (check: string, error: unknown) => void,
): Promise<AuditSealCheck> {
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
    if (error instanceof AuditSealHeadMismatch) {
      return { status: 'mismatch', lagSeconds: null, maxLagSeconds, error: error.message };
    }
    // The table's own probe reports it unreachable; this says only that the lag is not known.
    onFailure('auditSeal', error);
    return { status: 'unknown', lagSeconds: null, maxLagSeconds, error: kindOf(error) };
  }
}

/** A failure's kind: its name when it has its own (AWS errors do), else its system code. */
function kindOf(error: unknown): string {
  if (error instanceof Error && error.name && error.name !== 'Error') return error.name;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'Error';
}

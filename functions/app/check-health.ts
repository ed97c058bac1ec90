import type { DependencyProbe } from '#ports/dependency-probe.ts';

export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, DependencyCheck>;
}

/** Asks every dependency at once, each bounded by a timeout; one unreachable dependency degrades the platform. */
export async function checkHealth(
  probes: readonly DependencyProbe[],
  { timeoutMs = 2_000, now = () => performance.now() }: { timeoutMs?: number; now?: () => number } = {},
): Promise<HealthReport> {
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
  const status = entries.every(([, c]) => c.status === 'up') ? 'ok' : 'degraded';
  return { status, checks };
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

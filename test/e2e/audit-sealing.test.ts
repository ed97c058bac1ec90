import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlatformProcess, startPlatformProcess } from './support/platform-process.ts';

// The local platform seals its own audit log in-process, as the scheduled sealer does on AWS:
// a platform of its own (its own emulators and log, sealing every second after a one-second
// settle window) issues a license, and `elicense audit verify --local` finds the events sealed
// and intact in both seal groups' chains, and /health reports the sealing caught up.
const launcher = fileURLToPath(new URL('../../bin/elicense', import.meta.url));
const walkthrough = fileURLToPath(new URL('../../docs/walkthrough/', import.meta.url));

let platform: PlatformProcess;

beforeAll(async () => {
  platform = await startPlatformProcess([], {
    ELICENSE_AUDIT_SEAL_INTERVAL_SECONDS: '1',
    ELICENSE_AUDIT_SEAL_SETTLE_SECONDS: '1',
  });
});

afterAll(() => platform?.stop());

function elicense(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(launcher, args, { timeout: 120_000 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout });
    });
  });
}

describe('the local platform seals its audit log', () => {
  it('seals what happens, and audit verify finds it sealed and intact', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const key = join(platform.dataDir, 'agency-keys', 'demo-psb-1.jwk.json');
    const issued = await elicense(
      'issue',
      `@${walkthrough}issue.json`,
      '--key',
      key,
      '--endpoint',
      platform.url,
    );
    expect(issued.code, issued.stdout).toBe(0);

    const to = new Date(Date.now() + 60_000).toISOString();
    let report:
      | {
          ok: boolean;
          eventsChecked: number;
          pendingEvents: number;
          findings: unknown[];
          chains: { logId: string }[];
        }
      | undefined;
    for (let attempt = 0; attempt < 30; attempt++) {
      const verified = await elicense(
        'audit',
        'verify',
        '--local',
        platform.dataDir,
        '--from',
        from,
        '--to',
        to,
      );
      report = JSON.parse(verified.stdout) as typeof report;
      if (report!.pendingEvents === 0 && report!.eventsChecked > 0) break;
      await new Promise((done) => setTimeout(done, 1000));
    }
    // Two seal groups, as the local platform runs unless told otherwise: two chains, both judged.
    expect(report).toMatchObject({ ok: true, sealGroups: 2, pendingEvents: 0, findings: [] });
    expect(report!.chains.map((c) => c.logId)).toEqual([
      'elicense-local-audit-g0of2',
      'elicense-local-audit-g1of2',
    ]);
    expect(report!.eventsChecked).toBeGreaterThanOrEqual(1);

    const health = (await (await fetch(`${platform.url}/health`)).json()) as {
      auditSeal?: { status: string };
    };
    expect(health.auditSeal?.status).toBe('ok');
  }, 120_000);
});

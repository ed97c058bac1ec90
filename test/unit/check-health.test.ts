import { describe, expect, it } from 'vitest';
import { checkHealth } from '#app/check-health.ts';
import type { DependencyProbe } from '#ports/dependency-probe.ts';

const up = (name: string): DependencyProbe => ({ name, check: async () => {} });
const down = (name: string, message: string): DependencyProbe => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});
const silent = (name: string): DependencyProbe => ({
  name,
  check: (signal) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
});

describe('checkHealth', () => {
  it('is ok when every dependency answers', async () => {
    const report = await checkHealth([up('dynamodb'), up('s3')]);
    expect(report.status).toBe('ok');
    expect(report.checks.dynamodb?.status).toBe('up');
    expect(report.checks.s3?.status).toBe('up');
  });

  it('is degraded and names the reason when one dependency fails', async () => {
    const report = await checkHealth([up('dynamodb'), down('s3', 'connect ECONNREFUSED 127.0.0.1:1')]);
    expect(report.status).toBe('degraded');
    expect(report.checks.s3).toMatchObject({ status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(report.checks.dynamodb?.status).toBe('up');
  });

  it('gives up on a dependency that does not answer within the timeout', async () => {
    const report = await checkHealth([silent('kms')], { timeoutMs: 20 });
    expect(report.checks.kms).toMatchObject({ status: 'down', error: 'no answer within 20 ms' });
  });
});

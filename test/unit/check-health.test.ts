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

  it('is degraded and names the kind of failure when one dependency fails, the whole error only to its log', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/elicense-prod-public/fn is not authorized to perform: kms:GetPublicKey',
      ),
      { name: 'AccessDeniedException' },
    );
    const logged: [string, unknown][] = [];
    const report = await checkHealth(
      [
        up('dynamodb'),
        { name: 's3', check: async () => Promise.reject(refused) },
        { name: 'kms', check: async () => Promise.reject(denied) },
      ],
      { onFailure: (check, error) => logged.push([check, error]) },
    );
    expect(report.status).toBe('degraded');
    expect(report.checks.s3).toMatchObject({ status: 'down', error: 'ECONNREFUSED' });
    expect(report.checks.kms).toMatchObject({ status: 'down', error: 'AccessDeniedException' });
    expect(report.checks.dynamodb?.status).toBe('up');
    // The public report names no account, role or resource; the log has the error whole.
    expect(JSON.stringify(report)).not.toMatch(/123456789012|elicense-prod|127\.0\.0\.1/);
    expect(logged).toEqual([
      ['s3', refused],
      ['kms', denied],
    ]);
    expect((await checkHealth([down('s3', 'something odd')])).checks.s3?.error).toBe('Error');
  });

  it('gives up on a dependency that does not answer within the timeout', async () => {
    const report = await checkHealth([silent('kms')], { timeoutMs: 20 });
    expect(report.checks.kms).toMatchObject({ status: 'down', error: 'no answer within 20 ms' });
  });
});

describe('checkHealth with the audit sealing lag', () => {
  const lag = (seconds: number | null, maxLagSeconds = 300) => ({
    maxLagSeconds,
    lagSeconds: async () => seconds,
  });

  it('is degraded and names the lag when sealing is further behind than allowed', async () => {
    const report = await checkHealth([up('dynamodb')], { sealLag: lag(412.4) });
    expect(report.status).toBe('degraded');
    expect(report.auditSeal).toEqual({ status: 'behind', lagSeconds: 412, maxLagSeconds: 300 });
    expect(report.checks.dynamodb?.status).toBe('up');
  });

  it('is ok while sealing is within the allowed lag', async () => {
    const report = await checkHealth([up('dynamodb')], { sealLag: lag(75) });
    expect(report).toEqual({
      status: 'ok',
      checks: { dynamodb: expect.objectContaining({ status: 'up' }) },
      auditSeal: { status: 'ok', lagSeconds: 75, maxLagSeconds: 300 },
    });
  });

  it('says the lag is unknown before the first seal, without degrading', async () => {
    const report = await checkHealth([up('dynamodb')], { sealLag: lag(null) });
    expect(report.status).toBe('ok');
    expect(report.auditSeal).toEqual({ status: 'unknown', lagSeconds: null, maxLagSeconds: 300 });
  });

  it('reports why the lag could not be read', async () => {
    const report = await checkHealth([up('dynamodb')], {
      sealLag: {
        maxLagSeconds: 300,
        lagSeconds: async () => {
          throw Object.assign(new Error('Requested resource not found: Table: elicense-prod-audit-seals'), {
            name: 'ResourceNotFoundException',
          });
        },
      },
    });
    expect(report.auditSeal).toMatchObject({ status: 'unknown', error: 'ResourceNotFoundException' });
  });
});

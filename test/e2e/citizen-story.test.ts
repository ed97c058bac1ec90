import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { DEMO_HOLDER_ACCOUNTS } from '#dev/demo/holder-accounts.ts';
import { holderToken } from './support/holder-tokens.ts';

// The citizen story of the README, command for command, with the CLI against the local platform:
// 赵欣 signs in (development OIDC issuer), proves who she is, applies for a resident identity
// card; the public security bureau approves; the card appears among her licenses; she grants the
// housing provident fund centre two fields; the centre retrieves; she sees that access in her
// history; she revokes the grant; the centre's next retrieval is refused.
const launcher = fileURLToPath(new URL('../../bin/elicense', import.meta.url));
const walkthrough = fileURLToPath(new URL('../../docs/walkthrough/', import.meta.url));
const endpoint = inject('platformUrl');
const key = (id: string) => join(inject('platformDataDir'), 'agency-keys', `${id}.jwk.json`);

function elicense(...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    execFile(launcher, [...args, '--endpoint', endpoint], { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      const code = typeof error?.code === 'number' ? error.code : 0;
      try {
        resolve({ code, json: JSON.parse(stdout) as Record<string, unknown> });
      } catch {
        reject(new Error(`elicense ${args.join(' ')} printed no JSON (exit ${code}): ${stdout}${stderr}`));
      }
    });
  });
}

describe('the citizen story', () => {
  it('apply → approve → the license appears → grant → retrieve → the holder sees it → revoke → refused, and sees the refusal', async () => {
    const token = await holderToken(DEMO_HOLDER_ACCOUNTS.zhaoXin.username);
    const asHolder = ['--token', token];

    // 1. 赵欣 proves who she is (development-only provider: local stages only).
    const proofed = await elicense(
      'call',
      'POST',
      '/holder/proofings',
      '--json',
      `@${walkthrough}proofing.json`,
      ...asHolder,
    );
    expect(proofed.code, JSON.stringify(proofed.json)).toBe(0);
    expect(proofed.json).toMatchObject({ proofing: { outcome: 'verified' } });

    // 2. She applies for a resident identity card; the bureau finds it in its queue.
    const applied = await elicense(
      'call',
      'POST',
      '/holder/applications',
      '--json',
      `@${walkthrough}application.json`,
      ...asHolder,
    );
    expect(applied.code, JSON.stringify(applied.json)).toBe(0);
    const applicationId = applied.json.id as string;
    expect(applied.json).toMatchObject({ state: 'submitted' });
    const queue = await elicense('call', 'GET', '/applications?state=submitted', '--key', key('demo-psb-1'));
    expect((queue.json.applications as { id: string }[]).map((a) => a.id)).toContain(applicationId);

    // 3. The bureau approves: the license is issued through the same use case as POST /licenses.
    const approved = await elicense(
      'call',
      'POST',
      `/applications/${applicationId}/approve`,
      '--json',
      '{}',
      '--key',
      key('demo-psb-1'),
    );
    expect(approved.code, JSON.stringify(approved.json)).toBe(0);
    const licenseId = (approved.json.license as { licenseId: string }).licenseId;

    // 4. The card is among her licenses, valid; her application reads approved.
    const mine = await elicense('call', 'GET', '/holder/licenses', ...asHolder);
    expect(
      (mine.json.licenses as { licenseId: string; status: string }[]).find((l) => l.licenseId === licenseId),
    ).toMatchObject({
      status: 'valid',
    });
    const application = await elicense('call', 'GET', `/holder/applications/${applicationId}`, ...asHolder);
    expect(application.json).toMatchObject({ state: 'approved', licenseId });

    // 5. She grants the housing provident fund centre 姓名 and 出生 of her ID cards.
    const granted = await elicense('grant', `@${walkthrough}citizen-grant.json`, ...asHolder);
    expect(granted.code, JSON.stringify(granted.json)).toBe(0);
    const code = granted.json.code as string;
    const grantId = (granted.json.grant as { id: string }).id;

    // 6. The centre retrieves with the grant code: only those two fields.
    const request = JSON.stringify({ licenseId, basis: { grant: { code } } });
    const retrieved = await elicense('retrieve', request, '--key', key('demo-hpf-1'));
    expect(retrieved.code, JSON.stringify(retrieved.json)).toBe(0);
    expect((retrieved.json.disclosed as string[]).sort()).toEqual(['出生', '姓名']);

    // 7. She sees who accessed her card, on what basis, for what purpose.
    const history = await elicense(
      'call',
      'GET',
      `/holder/access-history?licenseId=${licenseId}`,
      ...asHolder,
    );
    const retrieval = (history.json.items as Record<string, unknown>[]).find(
      (e) => e.action === 'license.retrieved',
    );
    expect(retrieval).toMatchObject({
      actor: { kind: 'agency', id: '12330100D000001448' },
      basis: { kind: 'grant', grantId, purpose: '住房公积金提取：核验申请人身份' },
    });

    // 8. She revokes the grant; the centre's next retrieval is refused.
    const revoked = await elicense(
      'call',
      'POST',
      `/holder/grants/${grantId}/revoke`,
      '--json',
      '{"reason":"业务已办结"}',
      ...asHolder,
    );
    expect(revoked.code, JSON.stringify(revoked.json)).toBe(0);
    const refused = await elicense('retrieve', request, '--key', key('demo-hpf-1'));
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ status: 403 });

    // 9. Her card's history shows that refused attempt, made on her revoked grant of ID cards.
    const after = await elicense('call', 'GET', `/holder/access-history?licenseId=${licenseId}`, ...asHolder);
    expect(
      (after.json.items as Record<string, unknown>[]).find(
        (e) => e.action === 'license.retrieved' && e.outcome === 'denied',
      ),
    ).toMatchObject({
      actor: { kind: 'agency', id: '12330100D000001448' },
      typeCode: '11100000D00000013G001',
      basis: { kind: 'grant', grantId },
    });
    // Every step is a CLI process (a Node start each): more than the default 30 s on a loaded machine.
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createHolderClient } from '../../sdk/holder.ts';
import { minimalPdf } from '../fixtures/layout-documents.ts';
import { idCardRequest, psb } from './issuer-support.ts';
import { holderToken } from './support/holder-tokens.ts';

const launcher = fileURLToPath(new URL('../../bin/elicense', import.meta.url));
const endpoint = inject('platformUrl');
const keys = join(inject('platformDataDir'), 'agency-keys');

function elicense(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(launcher, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('elicense verify and call, against the local platform', () => {
  it('verify exits 1 and prints the failed checks of something that is no license', async () => {
    const { code, stdout } = await elicense('verify', 'not-a-license~', '--endpoint', endpoint);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      valid: false,
      checks: { format: expect.stringMatching(/^failed/) },
    });
  });

  it('call signs a request with an agency key file written by npm start', async () => {
    const { code, stdout } = await elicense(
      'call',
      'GET',
      '/license-types',
      '--key',
      join(keys, 'demo-operator-1.jwk.json'),
      '--endpoint',
      endpoint,
    );
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { items: unknown[] }).items.length).toBeGreaterThan(0);
  });

  it('exits 3 when the platform cannot be reached', async () => {
    const { code, stderr } = await elicense('verify', 'x~', '--endpoint', 'http://127.0.0.1:9');
    expect(code).toBe(3);
    expect(stderr).toMatch(/could not be reached/);
  });
});

describe('the named commands: issue → grant (holder) → retrieve → status revoke', () => {
  it('runs the walkthrough of the README', async () => {
    const key = (id: string) => join(keys, `${id}.jwk.json`);
    const walkthrough = fileURLToPath(new URL('../../docs/walkthrough/', import.meta.url));
    const issued = await elicense(
      'issue',
      `@${walkthrough}issue.json`,
      '--key',
      key('demo-psb-1'),
      '--endpoint',
      endpoint,
    );
    expect(issued.code).toBe(0);
    const { licenseId } = JSON.parse(issued.stdout) as { licenseId: string };

    const granted = await elicense(
      'grant',
      `@${walkthrough}grant.json`,
      '--token',
      await holderToken('zhangweiming'),
      '--endpoint',
      endpoint,
    );
    expect(granted.code).toBe(0);
    const { code } = JSON.parse(granted.stdout) as { code: string };

    const request = JSON.stringify({ licenseId, basis: { grant: { code } } });
    const retrieved = await elicense('retrieve', request, '--key', key('demo-hpf-1'), '--endpoint', endpoint);
    expect(retrieved.code).toBe(0);
    const { presentation, disclosed } = JSON.parse(retrieved.stdout) as {
      presentation: string;
      disclosed: string[];
    };
    expect(disclosed).toEqual(['姓名', '公民身份号码']);
    expect((await elicense('verify', presentation, '--endpoint', endpoint)).code).toBe(0);

    const revoked = await elicense(
      'status',
      licenseId,
      'revoke',
      '--reason',
      '演示',
      '--key',
      key('demo-psb-1'),
      '--endpoint',
      endpoint,
    );
    expect(revoked.code).toBe(0);
    const after = await elicense('verify', presentation, '--endpoint', endpoint);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({
      checks: { status: expect.stringMatching(/^failed: revoked/) },
    });

    const refused = await elicense(
      'status',
      licenseId,
      'revoke',
      '--reason',
      'again',
      '--key',
      key('demo-psb-1'),
      '--endpoint',
      endpoint,
    );
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 409 });
  });
});

describe('elicense document, and issue --document', () => {
  it('attaches a PDF file by presigned upload or issues with it, and refuses a file of another kind and a revoked license', async () => {
    const key = join(keys, 'demo-psb-1.jwk.json');
    const issued = await psb.issueLicense(idCardRequest());
    const dir = await mkdtemp(join(tmpdir(), 'elicense-document-'));
    try {
      const pdf = minimalPdf('居民身份证 版式文件');
      await writeFile(join(dir, 'card.pdf'), pdf);
      await writeFile(join(dir, 'card.txt'), 'not a document');
      const attached = await elicense(
        'document',
        issued.licenseId,
        join(dir, 'card.pdf'),
        '--key',
        key,
        '--endpoint',
        endpoint,
      );
      expect(attached.code, attached.stderr).toBe(0);
      expect(JSON.parse(attached.stdout)).toMatchObject({
        licenseId: issued.licenseId,
        document: {
          sha256: createHash('sha256').update(pdf).digest('base64url'),
          mediaType: 'application/pdf',
        },
      });

      // Issued with its document in one request: the holder's copy links the same bytes.
      const walkthrough = fileURLToPath(new URL('../../docs/walkthrough/', import.meta.url));
      const withDocument = await elicense(
        'issue',
        `@${walkthrough}issue.json`,
        '--document',
        join(dir, 'card.pdf'),
        '--key',
        key,
        '--endpoint',
        endpoint,
      );
      expect(withDocument.code, withDocument.stderr).toBe(0);
      const zhang = createHolderClient({ endpoint, token: await holderToken('zhangweiming') });
      const seen = await zhang.license((JSON.parse(withDocument.stdout) as { licenseId: string }).licenseId);
      expect(seen.document?.sha256).toBe(createHash('sha256').update(pdf).digest('base64url'));
      const notDocument = await elicense(
        'issue',
        `@${walkthrough}issue.json`,
        '--document',
        join(dir, 'card.txt'),
        '--key',
        key,
        '--endpoint',
        endpoint,
      );
      expect(notDocument.code).toBe(2);
      expect(notDocument.stderr).toContain('.pdf or .ofd');

      const unknownKind = await elicense('document', issued.licenseId, join(dir, 'card.txt'), '--key', key);
      expect(unknownKind.code).toBe(2);
      expect(unknownKind.stderr).toContain('.pdf or .ofd');

      await psb.revoke(issued.licenseId, '注销');
      const refused = await elicense(
        'document',
        issued.licenseId,
        join(dir, 'card.pdf'),
        '--key',
        key,
        '--endpoint',
        endpoint,
      );
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ status: 409 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

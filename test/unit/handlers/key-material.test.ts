import { afterEach, describe, expect, it, vi } from 'vitest';

// A stage deployed before its blind-index key blob is made (README, Deploying): the retrieval
// group must still answer retrievals by license identifier, which look no holder up.
describe('the blind indexer of a group that looks holders up on some requests only', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('is made on its first lookup: without the key blob only a lookup fails, naming the variable', async () => {
    vi.stubEnv('ELICENSE_STAGE', 'dev');
    vi.stubEnv('ELICENSE_PUBLIC_BASE_URL', 'https://api.dev.test');
    vi.stubEnv('ELICENSE_PLATFORM_KEY_ID', 'arn:aws-cn:kms:cn-north-1:123456789012:key/platform');
    vi.stubEnv('ELICENSE_FIELD_KEY_ARN', 'arn:aws-cn:kms:cn-north-1:123456789012:key/field');
    vi.stubEnv('ELICENSE_BLIND_INDEX_KEY_BLOB', '');
    vi.stubEnv('AWS_REGION', 'cn-north-1');
    vi.resetModules();
    const keyMaterial = await import('#handlers/key-material.ts');

    const indexer = keyMaterial.blindIndexerOnFirstUse();

    await expect(indexer.tokenFor('111', '330102199003071230')).rejects.toThrow(
      /ELICENSE_BLIND_INDEX_KEY_BLOB is not set/,
    );
    // The eager accessor, which the groups that always need it call at start, still refuses.
    expect(() => keyMaterial.blindIndexer()).toThrow(/ELICENSE_BLIND_INDEX_KEY_BLOB is not set/);
  });
});

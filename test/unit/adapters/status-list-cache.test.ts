// How the S3 status-list cache reads S3's refusals of a claim: the integration test races real
// conditional puts on moto, which answers 412; S3 also answers 409 to a put racing one still in
// flight, and may answer 503 under load — neither of which moto produces.
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3StatusListCache } from '#adapters/aws/status-list-cache.ts';

function answering(httpStatusCode: number): S3Client {
  return {
    send: async () => {
      throw Object.assign(new Error(`S3 answered ${httpStatusCode}`), { $metadata: { httpStatusCode } });
    },
  } as unknown as S3Client;
}

describe('S3StatusListCache.claimRebuild', () => {
  const of = new Date('2026-11-27T08:00:00.000Z');

  it('reads 412 (created by another) and 409 (being created by another) as a lost claim', async () => {
    expect(await new S3StatusListCache(answering(412), 'b').claimRebuild('list-1', of, 0)).toBe(false);
    expect(await new S3StatusListCache(answering(409), 'b').claimRebuild('list-1', of, 0)).toBe(false);
  });

  it('passes any other refusal on, for the caller to decide', async () => {
    await expect(new S3StatusListCache(answering(503), 'b').claimRebuild('list-1', of, 0)).rejects.toThrow(
      'S3 answered 503',
    );
    await expect(new S3StatusListCache(answering(403), 'b').claimRebuild('list-1', of, 0)).rejects.toThrow(
      'S3 answered 403',
    );
  });
});

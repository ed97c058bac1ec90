// Signed status lists kept in S3 (moto) between publications, and the claim that lets one
// container republish an expired list: the first claim of a copy wins, every other gets 412.

import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { REBUILD_CLAIMS, S3StatusListCache } from '#adapters/aws/status-list-cache.ts';
import { useSuiteAwsEnv } from './aws-env.ts';

useSuiteAwsEnv();

const s3 = new S3Client({ forcePathStyle: process.env.ELICENSE_S3_FORCE_PATH_STYLE === 'true' });
const bucket = `it-status-lists-${randomUUID()}`;
const cache = new S3StatusListCache(s3, bucket);

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of listed.Contents ?? [])
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
});

test('keeps a published list with its signing time, and knows none it was not given', async () => {
  const issuedAt = new Date('2026-11-27T08:00:00.000Z');
  await cache.put('list-1', { token: 'eyJ.a.b', issuedAt });
  expect(await cache.get('list-1')).toEqual({ token: 'eyJ.a.b', issuedAt });
  expect(await cache.get('list-none')).toBeUndefined();
});

test('lets the first claim to republish a copy win, across every cache over the bucket, and no later one', async () => {
  const of = new Date('2026-11-27T08:00:00.000Z');
  const other = new S3StatusListCache(s3, bucket); // another container
  const claims = await Promise.all([
    cache.claimRebuild('list-2', of, 0),
    other.claimRebuild('list-2', of, 0),
  ]);
  expect(claims.sort()).toEqual([false, true]);
  expect(await cache.claimRebuild('list-2', of, 0)).toBe(false);
  // The next round, the next copy's republishing and another list's are claims of their own.
  expect(await cache.claimRebuild('list-2', of, 1)).toBe(true);
  expect(await other.claimRebuild('list-2', new Date('2026-11-27T08:05:00.000Z'), 0)).toBe(true);
  expect(await other.claimRebuild('list-3', of, 0)).toBe(true);
  const claim = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: `${REBUILD_CLAIMS}list-2/${of.getTime()}-0` }),
  );
  expect(claim.ContentLength).toBe(0);
  await expect(cache.claimRebuild('a/b', of, 0)).rejects.toThrow(RangeError);
});

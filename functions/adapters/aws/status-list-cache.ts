import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isStatusListId } from '#core/status-list.ts';
import type { PublishedStatusList, StatusListCache } from '#ports/status-list-cache.ts';

// Signed status lists as objects `status-lists/<list id>` of the public bucket, with the signing
// time in the object's metadata. A claim to republish the copy signed at T, in round r, is the
// empty object `status-list-rebuilds/<list id>/<T, ms>-<r>` written only if absent
// (If-None-Match: *): S3 lets one writer create it and answers every other 412 (or 409 while the
// first is in flight); lifecycle removes the claims after a day.

export class S3StatusListCache implements StatusListCache {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  async get(listId: string): Promise<PublishedStatusList | undefined> {
    try {
      const object = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key(listId) }));
      const issuedAt = new Date(object.Metadata?.['issued-at'] ?? Number.NaN);
      if (Number.isNaN(issuedAt.getTime())) return undefined;
      return { token: await object.Body!.transformToString('utf8'), issuedAt };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async put(listId: string, published: PublishedStatusList): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key(listId),
        Body: published.token,
        ContentType: 'application/statuslist+jwt',
        Metadata: { 'issued-at': published.issuedAt.toISOString() },
      }),
    );
  }

  async claimRebuild(listId: string, of: Date, round: number): Promise<boolean> {
    try {
      await this.#s3.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: `${REBUILD_CLAIMS}${checkedId(listId)}/${of.getTime()}-${round}`,
          Body: '',
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (error) {
      // 412: another container created it. 409: another is creating it right now (S3 asks the
      // loser to retry; the claim is theirs, or, if neither landed, the next request's).
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw error;
    }
  }
}

/** Where the public bucket keeps the signed lists, and the claims to republish them. */
export const LISTS_PREFIX = 'status-lists/';
export const REBUILD_CLAIMS = 'status-list-rebuilds/';

function key(listId: string): string {
  return `${LISTS_PREFIX}${checkedId(listId)}`;
}

function checkedId(listId: string): string {
  if (!isStatusListId(listId)) throw new RangeError(`not a status list id: ${listId}`);
  return listId;
}

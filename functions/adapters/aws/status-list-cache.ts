import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isStatusListId } from '#core/status-list.ts';
import type { PublishedStatusList, StatusListCache } from '#ports/status-list-cache.ts';

// Signed status lists as objects `status-lists/<list id>` of the public bucket (CloudFront
// serves them on AWS), with the signing time in the object's metadata.

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
}

function key(listId: string): string {
  if (!isStatusListId(listId)) throw new RangeError(`not a status list id: ${listId}`);
  return `status-lists/${listId}`;
}

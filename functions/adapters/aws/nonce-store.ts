// NonceStore on the `nonces` table: one item per claimed nonce,
//
//   pk `<keyId>#<nonce>`, expiresAt (epoch seconds; the table's TTL attribute).
//
// A claim is one PutItem on condition that no live claim exists, so of any number of
// concurrent claims of the same nonce exactly one succeeds. Key ids cannot contain `#`
// (ApiKeySchema), so the key names one (key id, nonce) pair only. TTL deletion runs up to
// days late, so an item whose expiresAt has passed counts as absent and may be claimed again.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NonceStore } from '#ports/nonce-store.ts';

/** Longest nonce accepted; RFC 9421 sets none, this keeps the key well inside DynamoDB's 2 KB. */
export const MAX_NONCE_LENGTH = 512;
const MAX_KEY_ID_LENGTH = 128;

export interface NonceStoreOptions {
  /** Milliseconds since the epoch; Date.now unless a test fixes the time. */
  now?: () => number;
}

export class DynamoNonceStore implements NonceStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(documents: DynamoDBDocumentClient, tableName: string, options: NonceStoreOptions = {}) {
    this.#documents = documents;
    this.#table = tableName;
    this.#now = options.now ?? Date.now;
  }

  async claim(keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    if (keyId.length === 0 || keyId.length > MAX_KEY_ID_LENGTH || keyId.includes('#')) {
      throw new RangeError(
        `key id must be 1–${MAX_KEY_ID_LENGTH} characters without #, found ${JSON.stringify(keyId.slice(0, 160))}`,
      );
    }
    if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) {
      throw new RangeError(`nonce must be 1–${MAX_NONCE_LENGTH} characters, found ${nonce.length}`);
    }
    const expiry = expiresAt.getTime();
    if (!Number.isFinite(expiry)) throw new RangeError('expiresAt must be a valid date');
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: nonceKey(keyId, nonce), expiresAt: epochSecondsCeil(expiry) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(this.#now() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** The item key of a nonce claimed with a key. */
export function nonceKey(keyId: string, nonce: string): string {
  return `${keyId}#${nonce}`;
}

/** Rounded up, so the item outlives the instant it guards rather than expiring just before it. */
export function epochSecondsCeil(ms: number): number {
  return Math.ceil(ms / 1000);
}

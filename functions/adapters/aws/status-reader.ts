import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { StatusReader } from '#ports/status-reader.ts';
import { slotPk, slotSk } from './license-items.ts';

/** One GetItem on the slot item that the license repository writes (`SL#<list>` / `I#<index>`). */
export class DynamoDbStatusReader implements StatusReader {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async statusOf(listId: string, index: number): Promise<number | undefined> {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    const { Item } = await this.#client.send(
      // Consistent: a revocation must be visible to the next verification.
      new GetCommand({
        TableName: this.#table,
        Key: { pk: slotPk(listId), sk: slotSk(index) },
        ConsistentRead: true,
      }),
    );
    const status = Item?.status;
    return typeof status === 'number' ? status : undefined;
  }
}

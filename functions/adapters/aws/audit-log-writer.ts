// AuditLogWriter on the `audit` table, in the layout of audit-items.ts (the one the license
// repository writes in its transactions and the audit log reader reads back): one
// conditional PutItem per event, so an event is recorded once and never replaced.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '#core/audit/event.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import { type AuditItem, auditItem } from './audit-items.ts';
import { rawString } from './transact-write.ts';

export class DynamoAuditLogWriter implements AuditLogWriter {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    this.#documents = documents;
    this.#table = tableName;
  }

  async record(event: AuditEvent): Promise<void> {
    // auditItem validates the event (AuditEventInvalid) before anything is sent.
    const item = auditItem(event);
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The SDK retries a PutItem whose answer was lost (a timeout after DynamoDB stored it);
      // the retry then meets our own item. That is the event recorded, not a clash: only a
      // different event under the same key is refused.
      if (sameItem(error.Item, item)) return;
      throw new AuditEventExists(event.id);
    }
  }
}

/**
 * Whether the stored item (raw, as a failed condition returns it) holds every attribute the
 * writer wrote with the same value, and no licenseKey the writer did not write. The canonical
 * `event` text alone would decide it (the rest is derived from it); comparing all is as cheap.
 */
function sameItem(stored: ConditionalCheckFailedException['Item'], written: AuditItem): boolean {
  if (stored === undefined) return false;
  if (written.licenseKey === undefined && stored.licenseKey !== undefined) return false;
  return Object.entries(written).every(([name, value]) => rawString(stored, name) === value);
}

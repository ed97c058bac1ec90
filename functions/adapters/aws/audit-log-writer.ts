// AuditLogWriter on the `audit` table, in the layout of audit-items.ts (the one the license
// repository writes in its transactions and the audit log reader reads back): one
// conditional PutItem per event, so an event is recorded once and never replaced.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '#core/audit/event.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import { auditItem } from './audit-items.ts';

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
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new AuditEventExists(event.id);
      throw error;
    }
  }
}

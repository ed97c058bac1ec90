// Writing audit events one at a time over the wire: what the writer records, the reader reads
// back exactly; an event id is recorded once — the same event again (an SDK retry whose first
// answer was lost) is that record, not a clash; an event that is not well formed, or a table that
// is not there, fails the write — so a caller that awaits it hands nothing out unaudited.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditPut } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { transactWrite } from '#adapters/aws/transact-write.ts';
import { type AuditEvent, AuditEventInvalid } from '#core/audit/event.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import { DEMO_SERVICE_ITEM, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { provisionStoreStage, type StoreStage } from './stage.ts';

let stage: StoreStage;
let writer: DynamoAuditLogWriter;
let reader: DynamoAuditLogReader;

beforeAll(async () => {
  stage = await provisionStoreStage('it-audit-writer');
  writer = new DynamoAuditLogWriter(stage.documents, stage.table('audit'));
  reader = new DynamoAuditLogReader(stage.documents, stage.table('audit'));
});

afterAll(async () => {
  await stage.dispose();
});

function retrieval(id: string, time: string, caseNumber = 'GJJ-2025-000123'): AuditEvent {
  return {
    id,
    time,
    actor: { kind: 'agency', id: DEMO_USCC.housingProvidentFundCentre },
    action: 'license.retrieved',
    subject: {
      licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001.001.Q',
      licenseVersion: '001',
      typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    },
    basis: { purpose: '核验提取申请人身份', caseNumber, serviceItemCode: DEMO_SERVICE_ITEM.code },
    outcome: 'success',
    details: { operatorId: 'op-0042', disclosed: ['姓名', '公民身份号码'] },
  };
}

/**
 * A client whose first answer is dropped after DynamoDB acted on the request, as a timeout would
 * drop it; the SDK's own retry then sends the same request again.
 */
function losingFirstAnswer() {
  const client = new DynamoDBClient({});
  let answers = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      answers += 1;
      if (answers === 1) throw Object.assign(new Error('answer lost'), { name: 'TimeoutError' });
      return result;
    },
    { step: 'deserialize', name: 'loseFirstAnswer' },
  );
  return {
    documents: DynamoDBDocumentClient.from(client),
    answers: () => answers,
    destroy: () => client.destroy(),
  };
}

const range = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) });

describe('recording an audit event', () => {
  test('the reader reads back exactly the event recorded, in its hour', async () => {
    const event = retrieval('ret-1', '2025-03-01T08:15:00.123Z');

    await writer.record(event);

    const page = await reader.readRange(range('2025-03-01T08:00:00.000Z', '2025-03-01T09:00:00.000Z'));
    expect(page.items).toEqual([event]);
  });

  test('an event id recorded before at that time is refused, and the first event stays as it was', async () => {
    const first = retrieval('ret-2', '2025-03-01T10:00:00.000Z', 'GJJ-first');
    await writer.record(first);

    const again = writer.record(retrieval('ret-2', '2025-03-01T10:00:00.000Z', 'GJJ-second'));

    await expect(again).rejects.toBeInstanceOf(AuditEventExists);
    const page = await reader.readRange(range('2025-03-01T10:00:00.000Z', '2025-03-01T11:00:00.000Z'));
    expect(page.items).toEqual([first]);
  });

  test('the same event recorded again succeeds and stays one record', async () => {
    const event = retrieval('ret-5', '2025-03-01T14:00:00.000Z');
    await writer.record(event);

    await writer.record(structuredClone(event));

    const page = await reader.readRange(range('2025-03-01T14:00:00.000Z', '2025-03-01T15:00:00.000Z'));
    expect(page.items).toEqual([event]);
  });

  test('a write stored by DynamoDB whose answer was lost succeeds on the SDK retry', async () => {
    const lossy = losingFirstAnswer();
    const retrying = new DynamoAuditLogWriter(lossy.documents, stage.table('audit'));
    const event = retrieval('ret-6', '2025-03-01T15:00:00.000Z');

    try {
      await retrying.record(event);
    } finally {
      lossy.destroy();
    }

    expect(lossy.answers()).toBe(2);
    const page = await reader.readRange(range('2025-03-01T15:00:00.000Z', '2025-03-01T16:00:00.000Z'));
    expect(page.items).toEqual([event]);
  });

  test('an event that is not well formed is refused before anything is written', async () => {
    const malformed = { ...retrieval('ret-3', '2025-03-01T12:00:00.000Z'), action: 'Retrieved' };

    await expect(writer.record(malformed)).rejects.toBeInstanceOf(AuditEventInvalid);
    const page = await reader.readRange(range('2025-03-01T12:00:00.000Z', '2025-03-01T13:00:00.000Z'));
    expect(page.items).toEqual([]);
  });

  test('a table that cannot be written fails the call', async () => {
    const nowhere = new DynamoAuditLogWriter(stage.documents, `${stage.table('audit')}-missing`);

    await expect(nowhere.record(retrieval('ret-4', '2025-03-01T13:00:00.000Z'))).rejects.toThrow(
      /resource|table/i,
    );
  });
});

describe('recording an audit event in a transaction, as the stores do', () => {
  test('a transaction whose answer was lost succeeds on the SDK retry and records the event once', async () => {
    // The SDK fills in a ClientRequestToken for TransactWriteItems and resends it unchanged on
    // its retries; DynamoDB answers a repeated token (within 10 minutes) with the first success.
    const lossy = losingFirstAnswer();
    const event = retrieval('ret-7', '2025-03-01T16:00:00.000Z');

    try {
      await transactWrite(lossy.documents, [auditPut(stage.table('audit'), event)], 'recordEvent');
    } finally {
      lossy.destroy();
    }

    expect(lossy.answers()).toBe(2);
    const page = await reader.readRange(range('2025-03-01T16:00:00.000Z', '2025-03-01T17:00:00.000Z'));
    expect(page.items).toEqual([event]);
  });
});

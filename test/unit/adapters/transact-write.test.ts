// A transaction DynamoDB cancels for load — throttled, or contended past the writer's retries —
// wrote nothing and is the store being busy (a 503 the caller may send again), not a cancellation
// for the caller to translate; one a condition decided stays a cancellation with its reasons.
// DynamoDB Local neither throttles nor can be made to hold a conflict, so a client that answers
// as DynamoDB does stands in for it here; the happy path and real conditions are tested over the
// wire in test/integration.

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { TransactionCancelled, transactWrite } from '#adapters/aws/transact-write.ts';
import { StoreBusy } from '#core/storage-errors.ts';
import { asProblem } from '#http/domain-problems.ts';
import { HttpProblem } from '#http/problem.ts';

/** A client whose every TransactWriteItems is cancelled with these reasons; counts the attempts. */
function cancelling(...codes: string[]) {
  let sends = 0;
  const client = {
    send: async () => {
      sends += 1;
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sends: () => sends };
}

describe('transactWrite', () => {
  it('calls a transaction throttled on any item, the rest untouched, the store being busy: a 503', async () => {
    const { client, sends } = cancelling('None', 'ThrottlingError', 'None');
    const error = await transactWrite(client, [], 'issue-license').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreBusy);
    expect((error as Error).message).toBe(
      'the store is busy: issue-license was refused for load (ThrottlingError) and not written; send the request again',
    );
    expect(sends()).toBe(1);
    const problem = asProblem(error) as HttpProblem;
    expect(problem).toBeInstanceOf(HttpProblem);
    expect([problem.problemType, problem.status]).toEqual(['dependency-unavailable', 503]);
  });

  it('retries a conflict with another transaction, and calls it busy when it outlasts the retries', async () => {
    const { client, sends } = cancelling('TransactionConflict', 'None');
    const error = await transactWrite(client, [], 'create-grant').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreBusy);
    expect(sends()).toBe(6);
  });

  it('leaves a cancellation a condition decided to its caller, with every reason by position', async () => {
    const { client, sends } = cancelling('ConditionalCheckFailed', 'ThrottlingError');
    const error = await transactWrite(client, [], 'revoke').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCancelled);
    expect((error as TransactionCancelled).reasons.map((r) => r.code)).toEqual([
      'ConditionalCheckFailed',
      'ThrottlingError',
    ]);
    expect(sends()).toBe(1);
  });
});

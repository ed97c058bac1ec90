// Which failed writes wrote nothing for certain — the bytes prepared for them may go — and which
// may still land, so what they point at must stay.
import { describe, expect, it } from 'vitest';
import { TransactionCancelled } from '#adapters/aws/transact-write.ts';
import { LicenseAlreadyExists, RecordTooLarge, StoreBusy, writeRefused } from '#core/storage-errors.ts';

describe('writeRefused', () => {
  it('counts a refusal the store decided, load, and a cancellation no adapter translated', () => {
    expect(writeRefused(new LicenseAlreadyExists('1.2.156.3005.2.X'))).toBe(true);
    expect(writeRefused(new StoreBusy('issue-license', ['ThrottlingError']))).toBe(true);
    expect(
      writeRefused(new RecordTooLarge('issue-license', 'Item size has exceeded the maximum allowed size')),
    ).toBe(true);
    expect(writeRefused(new TransactionCancelled([{ code: 'ValidationError' }], undefined))).toBe(true);
  });

  it('leaves a failure that may still land, or an error of another shape, unrefused', () => {
    expect(writeRefused(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }))).toBe(false);
    expect(writeRefused({ code: 'TRANSACTION_CANCELLED' })).toBe(false);
    expect(writeRefused(undefined)).toBe(false);
  });
});

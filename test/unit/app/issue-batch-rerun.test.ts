// A batch item whose write may have landed (the store failed after it was sent): the issuer is told
// to send the batch again with the same Idempotency-Key, whose answer is then not remembered — and
// that re-run meets what the first run wrote, so no holder gets a second license.

import { describe, expect, it } from 'vitest';
import { issueLicenseBatch } from '#app/issue-license-batch.ts';
import type { LicenseRequest } from '#app/license-issuance.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asBatchItemProblem, unsettledBatchItem } from '#http/domain-problems.ts';
import { issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };

function idCard(holder: (typeof DEMO_HOLDERS)[keyof typeof DEMO_HOLDERS]): LicenseRequest {
  return {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
    data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
  };
}

/** What the SDK throws when it gave up after sending: the write may have landed. */
const lostAnswer = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

describe('a batch item whose fate is unknown', () => {
  it('is settled by the batch sent again with the same key: answered as issued, with no second license and no copy read', async () => {
    const world = issuerWorld();
    const items = [
      { index: 0, request: idCard(DEMO_HOLDERS.zhangWeiming) },
      { index: 1, request: idCard(DEMO_HOLDERS.zhangWeiming) },
    ];
    // Item 0's transaction lands, and its answer is lost on the way back.
    const issue = world.licenses.issue.bind(world.licenses);
    let lose = true;
    world.licenses.issue = async (...args: Parameters<typeof issue>) => {
      const written = await issue(...args);
      if (lose) {
        lose = false;
        throw lostAnswer();
      }
      return written;
    };
    const first = await issueLicenseBatch(items, PSB, world.deps, {
      concurrency: 1,
      requestKey: 'batch-lost',
    });

    const [unknown, issued] = first;
    expect(unknown).toMatchObject({ index: 0, ok: false });
    expect(issued).toMatchObject({ index: 1, ok: true });
    const error = (unknown as { error: unknown }).error;
    expect(asBatchItemProblem(error)).toMatchObject({
      status: 503,
      message: expect.stringMatching(
        /may have been issued .*send the batch again with the same Idempotency-Key/,
      ),
    });
    // So the handler does not remember this answer (AnswerNotRemembered), and the same key runs again.
    expect(unsettledBatchItem(error)).toBe(true);
    expect(world.licenses.records.size).toBe(2);

    world.licenses.issue = issue;
    const again = await issueLicenseBatch(items, PSB, world.deps, {
      concurrency: 1,
      requestKey: 'batch-lost',
    });

    expect(again.every((o) => o.ok)).toBe(true);
    expect(again.some((o) => !o.ok && unsettledBatchItem(o.error))).toBe(false);
    expect(again[1]).toEqual(issued);
    const written = [...world.licenses.records.keys()];
    expect(written).toHaveLength(2);
    expect(again.map((o) => o.ok && o.license.licenseId).sort()).toEqual(written.sort());
    // Met, not issued again, and no copy opened for an answer that carries none.
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.issued']);
  });
});

// A re-issue, status change or issue under a chosen serial sent again under its Idempotency-Key
// after its idempotency record was lost (the function passed its deadline, the record could not
// be saved: 503), over HTTP: the route hands the key to the work, which meets what its first run
// made and answers as it did.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idCardRequest, psb, verify } from './issuer-support.ts';
import { loseIdempotencyRecordsMentioning } from './support/idempotency-records.ts';
import { refusal } from './support/refusals.ts';

describe('sent again after the idempotency record was lost', () => {
  it('a re-issue answers the version it made, with its signed copy, and re-issues nothing more', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const idempotencyKey = randomUUID();
    const first = await psb.reissue(licenseId, { reason: '遗失补发' }, { idempotencyKey });
    expect(await loseIdempotencyRecordsMentioning(first.licenseId)).toBe(1);

    const again = await psb.reissue(licenseId, { reason: '遗失补发' }, { idempotencyKey });

    expect(again).toEqual(first);
    expect((await verify(again.sdJwt)).valid).toBe(true);
    // The version made is still the current one (no 003 was made): re-issued in turn, it becomes 003.
    const next = await psb.reissue(first.licenseId, { reason: '换领' }, { idempotencyKey: randomUUID() });
    expect(next.version).toBe('003');
  });

  it('a revocation answers as it was, not 409 “cannot become revoked”; another reason under the key → 422', async () => {
    const { licenseId } = await psb.issueLicense(idCardRequest());
    const idempotencyKey = randomUUID();
    const first = await psb.revoke(licenseId, '证件注销', { idempotencyKey });
    // The issue's record names the license too.
    expect(await loseIdempotencyRecordsMentioning(licenseId)).toBeGreaterThanOrEqual(1);

    expect(await psb.revoke(licenseId, '证件注销', { idempotencyKey })).toEqual(first);
    await loseIdempotencyRecordsMentioning(licenseId);
    const other = await refusal(psb.revoke(licenseId, '另一个理由', { idempotencyKey }));
    expect(other.status).toBe(422);
    expect(other.problem).toMatchObject({ code: 'CHANGE_KEY_REUSED', licenseId });
  });

  it('an issue under a serial of the issuer’s choice answers the license it issued; another key is still refused', async () => {
    const serial = `RR${Date.now().toString(36).toUpperCase()}`;
    const idempotencyKey = randomUUID();
    const first = await psb.issueLicense({ ...idCardRequest(), serial }, { idempotencyKey });
    expect(await loseIdempotencyRecordsMentioning(first.licenseId)).toBe(1);

    expect(await psb.issueLicense({ ...idCardRequest(), serial }, { idempotencyKey })).toEqual(first);
    const another = await refusal(
      psb.issueLicense({ ...idCardRequest(), serial }, { idempotencyKey: randomUUID() }),
    );
    expect(another.status).toBe(409);
  });
});

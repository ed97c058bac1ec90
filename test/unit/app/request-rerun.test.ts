// A request whose write landed but whose answer was lost (the SDK gave up after sending, the
// function was killed, its idempotency record could not be saved) is answered 503 and sent again
// under the same Idempotency-Key, with no record left to answer it: the work runs again and must
// meet what its first run made — a re-issue's version, a status change, a license under a serial
// the issuer chose — and answer as that run would have, not refuse it as a second change.

import { describe, expect, it } from 'vitest';
import { changeLicenseStatus, type StatusChangeRequest } from '#app/change-license-status.ts';
import { type IssueLicenseRequest, issueLicense } from '#app/issue-license.ts';
import {
  ChangeKeyReused,
  IssuanceKeyReused,
  IssuedLicenseChanged,
  LicenseDataInvalid,
} from '#app/issuer-errors.ts';
import { openLicenseContent } from '#app/license-content.ts';
import type { LicenseRequest } from '#app/license-issuance.ts';
import { type ReissueRequest, reissueLicense } from '#app/reissue-license.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { IllegalTransition } from '#core/lifecycle.ts';
import { RERUN_WINDOW_MS } from '#core/request-window.ts';
import { LicenseAlreadyExists } from '#core/storage-errors.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const NOW = new Date('2025-06-01T02:00:00.000Z');
const holder = DEMO_HOLDERS.zhangWeiming;
const card: LicenseRequest = {
  typeCode: DEMO_TYPE_CODE.residentIdentityCard,
  holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
  data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
};
/** What the SDK throws when it gave up after sending: the write may have landed. */
const lostAnswer = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

type World = ReturnType<typeof issuerWorld>;

/** Runs `work` with the repository's `write` landing and then failing as if its answer were lost. */
async function withLostAnswer<T>(
  world: World,
  write: 'reissue' | 'changeStatus' | 'issue',
  work: () => Promise<T>,
) {
  const repository = world.licenses as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = repository[write]!;
  repository[write] = async (...args) => {
    await real.apply(world.licenses, args);
    throw lostAnswer();
  };
  try {
    const failed = await work().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(asProblem(failed)).toMatchObject({ status: 503, problemType: 'dependency-unavailable' });
  } finally {
    repository[write] = real;
  }
}

async function issuedCard() {
  const world = issuerWorld(NOW);
  const license = await issueLicense(card, PSB, world.deps);
  return { world, licenseId: license.licenseId };
}

describe('a re-issue sent again under its request key after its answer was lost', () => {
  const lost = { reason: '遗失补发', requestKey: 'reissue-7' };

  it('answers the version its first run made, with that version’s copy read back and audited, and re-issues nothing more', async () => {
    const { world, licenseId } = await issuedCard();
    const request: ReissueRequest = { licenseId, ...lost };
    await withLostAnswer(world, 'reissue', () => reissueLicense(request, PSB, world.deps));
    const slotsDrawn = world.statusLists.drawn.length;

    const again = await reissueLicense(request, PSB, world.deps);

    const next = [...world.licenses.records.values()].find((r) => r.licenseVersion === '002')!;
    const { sdJwt } = await openLicenseContent(
      world.deps.cipher,
      { dataDomain: next.dataDomain, licenseId: next.id },
      next.content,
    );
    expect(again).toEqual({
      licenseId: next.id,
      version: '002',
      status: 'valid',
      statusList: {
        uri: expect.stringContaining(encodeURIComponent(next.statusSlot.listId)),
        idx: next.statusSlot.index,
      },
      sdJwt,
      supersedes: licenseId,
    });
    expect(world.licenses.records.size).toBe(2);
    expect(world.statusLists.drawn).toHaveLength(slotsDrawn);
    expect(world.licenses.audit.map((e) => [e.action, e.subject?.licenseId])).toEqual([
      ['license.issued', licenseId],
      ['license.reissued', next.id],
      ['license.issuer_copy_read', next.id],
    ]);
  });

  it('answers the same request spelt the same way: the data sent, the reason with white space around it', async () => {
    const { world, licenseId } = await issuedCard();
    const request: ReissueRequest = {
      licenseId,
      ...lost,
      data: { ...card.data, 住址: '上海市浦东新区世纪大道100号' },
    };
    await withLostAnswer(world, 'reissue', () => reissueLicense(request, PSB, world.deps));
    const again = await reissueLicense({ ...request, reason: ` ${lost.reason} ` }, PSB, world.deps);
    expect(again).toMatchObject({ version: '002', supersedes: licenseId });
    expect(world.licenses.records.size).toBe(2);
  });

  it('refuses another request under the key — other data, holder, validity or reason — as a reused key, writing nothing', async () => {
    const { world, licenseId } = await issuedCard();
    await withLostAnswer(world, 'reissue', () => reissueLicense({ licenseId, ...lost }, PSB, world.deps));
    const next = [...world.licenses.records.values()].find((r) => r.licenseVersion === '002')!;
    const other = DEMO_HOLDERS.liXiaoyan;
    const others: ReissueRequest[] = [
      { licenseId, ...lost, data: { ...card.data, 住址: '上海市浦东新区世纪大道100号' } },
      { licenseId, ...lost, reason: '换发' },
      {
        licenseId,
        ...lost,
        holder: { name: other.name, codeType: other.codeType, code: other.code },
        data: { ...DEMO_LICENSES.find((l) => l.holder === other)!.data, 有效期限: card.data.有效期限 },
      },
      { licenseId, ...lost, data: { ...card.data, 有效期限: { from: '2025-06-01', until: '2035-06-01' } } },
    ];
    for (const request of others) {
      const refused = await reissueLicense(request, PSB, world.deps).catch((e) => e);
      expect(refused).toBeInstanceOf(ChangeKeyReused);
      expect(asProblem(refused)).toMatchObject({
        status: 422,
        problemType: 'idempotency-key-reused',
        extensions: { code: 'CHANGE_KEY_REUSED', licenseId: next.id },
      });
    }
    expect(world.licenses.records.size).toBe(2);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.reissued']);
  });

  it('does not answer with a version since revoked as if it were fresh, nor take another key’s re-issue for its own', async () => {
    const { world, licenseId } = await issuedCard();
    await withLostAnswer(world, 'reissue', () => reissueLicense({ licenseId, ...lost }, PSB, world.deps));
    // Another request (another key, or none) meets the re-issue as before: the lifecycle refuses a second one.
    await expect(
      reissueLicense({ licenseId, reason: lost.reason, requestKey: 'another' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(IllegalTransition);
    await expect(reissueLicense({ licenseId, reason: lost.reason }, PSB, world.deps)).rejects.toBeInstanceOf(
      IllegalTransition,
    );
    const next = [...world.licenses.records.values()].find((r) => r.licenseVersion === '002')!;
    await changeLicenseStatus({ licenseId: next.id, action: 'revoke', reason: '吊销' }, PSB, world.deps);
    await expect(reissueLicense({ licenseId, ...lost }, PSB, world.deps)).rejects.toMatchObject({
      constructor: IssuedLicenseChanged,
      problemMembers: { licenseId: next.id, licenseStatus: 'revoked' },
    });
    expect(world.licenses.audit.map((e) => e.action)).not.toContain('license.issuer_copy_read');
  });
});

describe('a status change sent again under its request key after its answer was lost', () => {
  it('answers a revocation as it was, writing and auditing no second change', async () => {
    const { world, licenseId } = await issuedCard();
    const request: StatusChangeRequest = {
      licenseId,
      action: 'revoke',
      reason: '吊销',
      requestKey: 'revoke-1',
    };
    await withLostAnswer(world, 'changeStatus', () => changeLicenseStatus(request, PSB, world.deps));

    const again = await changeLicenseStatus(request, PSB, world.deps);

    const record = world.licenses.records.get(licenseId)!;
    expect(again).toEqual({
      licenseId,
      version: '001',
      status: 'revoked',
      statusList: { uri: expect.any(String), idx: record.statusSlot.index },
    });
    expect(record.history.map((c) => c.action)).toEqual(['revoke']);
    expect(record.version).toBe(2);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.revoked']);
  });

  it('answers a suspension as it was even after a reinstatement since, suspending nothing again', async () => {
    const { world, licenseId } = await issuedCard();
    const suspend: StatusChangeRequest = {
      licenseId,
      action: 'suspend',
      reason: '挂失',
      requestKey: 'suspend-1',
    };
    await withLostAnswer(world, 'changeStatus', () => changeLicenseStatus(suspend, PSB, world.deps));
    await changeLicenseStatus({ licenseId, action: 'reinstate', requestKey: 'reinstate-1' }, PSB, world.deps);

    // A repeat from the idempotency record answers what the first run did; so does the re-run.
    await expect(changeLicenseStatus(suspend, PSB, world.deps)).resolves.toMatchObject({
      status: 'suspended',
    });
    expect(world.licenses.records.get(licenseId)!.status).toBe('valid');
    expect(world.licenses.audit.map((e) => e.action)).toEqual([
      'license.issued',
      'license.suspended',
      'license.resumed',
    ]);
    // Another key is another request: it suspends again.
    await changeLicenseStatus({ ...suspend, requestKey: 'suspend-2' }, PSB, world.deps);
    expect(world.licenses.records.get(licenseId)!.status).toBe('suspended');
  });

  it('keeps the key only for the change and license it named, and refuses another reason under it', async () => {
    const { world, licenseId } = await issuedCard();
    const suspend: StatusChangeRequest = {
      licenseId,
      action: 'suspend',
      reason: '挂失',
      requestKey: 'key-9',
    };
    await withLostAnswer(world, 'changeStatus', () => changeLicenseStatus(suspend, PSB, world.deps));
    const refused = await changeLicenseStatus({ ...suspend, reason: '暂扣' }, PSB, world.deps).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(ChangeKeyReused);
    expect(asProblem(refused)).toMatchObject({
      status: 422,
      extensions: { code: 'CHANGE_KEY_REUSED', licenseId },
      message: expect.stringContaining(`suspended license ${licenseId}`),
    });
    // The same key on another action is another request (another path, another idempotency record).
    await expect(
      changeLicenseStatus(
        { licenseId, action: 'revoke', reason: '吊销', requestKey: 'key-9' },
        PSB,
        world.deps,
      ),
    ).resolves.toMatchObject({ status: 'revoked' });
    // Without a key nothing is recognised: the lifecycle refuses the change the status no longer allows.
    await expect(
      changeLicenseStatus({ licenseId, action: 'revoke', reason: '吊销' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(IllegalTransition);
  });

  it('keeps the digest of the key, not the key, in the history', async () => {
    const { world, licenseId } = await issuedCard();
    await changeLicenseStatus(
      { licenseId, action: 'suspend', reason: '挂失', requestKey: 'order-000123' },
      PSB,
      world.deps,
    );
    const [change] = world.licenses.records.get(licenseId)!.history;
    expect(change!.requestDigest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(change)).not.toContain('order-000123');
  });
});

describe('an issue under a serial the issuer chose, sent again under its request key', () => {
  const chosen = (requestKey: string, overrides: Partial<IssueLicenseRequest> = {}): IssueLicenseRequest => ({
    ...card,
    serial: 'A0001',
    issuanceKey: { requestKey },
    ...overrides,
  });

  it('answers the license its first run issued, with its copy read back and audited', async () => {
    const world = issuerWorld(NOW);
    await withLostAnswer(world, 'issue', () => issueLicense(chosen('key-1'), PSB, world.deps));
    const again = await issueLicense(chosen('key-1'), PSB, world.deps);
    expect(again).toMatchObject({ licenseId: expect.stringContaining('.A0001.001.'), status: 'valid' });
    expect(world.licenses.records.size).toBe(1);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.issuer_copy_read']);
  });

  it('still refuses the serial to another request: another key, no key, or other data under the key', async () => {
    const world = issuerWorld(NOW);
    await withLostAnswer(world, 'issue', () => issueLicense(chosen('key-1'), PSB, world.deps));
    await expect(issueLicense(chosen('key-2'), PSB, world.deps)).rejects.toBeInstanceOf(LicenseAlreadyExists);
    await expect(issueLicense({ ...card, serial: 'A0001' }, PSB, world.deps)).rejects.toBeInstanceOf(
      LicenseAlreadyExists,
    );
    await expect(
      issueLicense(
        chosen('key-1', { data: { ...card.data, 住址: '上海市浦东新区世纪大道100号' } }),
        PSB,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(IssuanceKeyReused);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });

  it('still refuses a serial holding the holder’s code or a sensitive field’s value under a key', async () => {
    const world = issuerWorld(NOW);
    await expect(
      issueLicense(chosen('key-3', { serial: holder.code }), PSB, world.deps),
    ).rejects.toBeInstanceOf(IdentityNumberInText);
    const demo = DEMO_LICENSES.find((l) => l.typeCode === DEMO_TYPE_CODE.drivingLicence)!;
    const refused = await issueLicense(
      {
        typeCode: demo.typeCode,
        holder: { name: demo.holder.name, codeType: demo.holder.codeType, code: demo.holder.code },
        data: { ...demo.data, 有效期限: { from: '2025-06-01', until: '2031-06-01' } },
        serial: demo.data.档案编号 as string,
        issuanceKey: { requestKey: 'key-4' },
      },
      { agency: DEMO_USCC.vehicleAdministration },
      world.deps,
    ).catch((e) => e);
    expect(refused).toBeInstanceOf(LicenseDataInvalid);
    expect((refused as LicenseDataInvalid).errors).toMatchObject([
      { path: 'serial', code: 'sensitive-value' },
    ]);
    expect(world.licenses.records.size).toBe(0);
  });
});

describe('a request key reused after its idempotency record lapsed', () => {
  /** The world's clock moved on: `ms` after the first run. */
  const later = (world: World, ms: number) => {
    world.deps.now = () => new Date(NOW.getTime() + ms);
  };
  const FORTY_DAYS_MS = 40 * 24 * 3600 * 1000;

  it('changes the status again: a suspension weeks later under the same key suspends, and is audited', async () => {
    const { world, licenseId } = await issuedCard();
    const suspend: StatusChangeRequest = {
      licenseId,
      action: 'suspend',
      reason: '挂失',
      requestKey: `suspend-${licenseId}`,
    };
    await changeLicenseStatus(suspend, PSB, world.deps);
    await changeLicenseStatus({ licenseId, action: 'reinstate', requestKey: 'reinstate-1' }, PSB, world.deps);

    // To the end of the window (the record's life and the function's deadline) it is a re-run …
    later(world, RERUN_WINDOW_MS);
    await changeLicenseStatus(suspend, PSB, world.deps);
    expect(world.licenses.records.get(licenseId)!.status).toBe('valid');
    // … past it, a new request, even with another reason than the first run's.
    later(world, FORTY_DAYS_MS);
    await expect(changeLicenseStatus(suspend, PSB, world.deps)).resolves.toMatchObject({
      status: 'suspended',
    });
    expect(world.licenses.records.get(licenseId)!.status).toBe('suspended');
    await changeLicenseStatus({ licenseId, action: 'reinstate', requestKey: 'reinstate-2' }, PSB, world.deps);
    later(world, 2 * FORTY_DAYS_MS);
    await changeLicenseStatus({ ...suspend, reason: '暂扣' }, PSB, world.deps);
    expect(world.licenses.records.get(licenseId)!.status).toBe('suspended');
    expect(world.licenses.audit.map((e) => e.action)).toEqual([
      'license.issued',
      'license.suspended',
      'license.resumed',
      'license.suspended',
      'license.resumed',
      'license.suspended',
    ]);
  });

  it('does not answer a re-issue with the version made weeks ago: the second re-issue is refused', async () => {
    const { world, licenseId } = await issuedCard();
    const request: ReissueRequest = { licenseId, reason: '遗失补发', requestKey: 'reissue-7' };
    await withLostAnswer(world, 'reissue', () => reissueLicense(request, PSB, world.deps));
    later(world, RERUN_WINDOW_MS + 1000);
    await expect(reissueLicense(request, PSB, world.deps)).rejects.toBeInstanceOf(IllegalTransition);
    expect(world.licenses.records.size).toBe(2);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.reissued']);
  });

  it('refuses the serial the issuer chose, as it would to a request without the key', async () => {
    const world = issuerWorld(NOW);
    const request: IssueLicenseRequest = { ...card, serial: 'A0001', issuanceKey: { requestKey: 'key-1' } };
    await withLostAnswer(world, 'issue', () => issueLicense(request, PSB, world.deps));
    later(world, RERUN_WINDOW_MS + 1000);
    await expect(issueLicense(request, PSB, world.deps)).rejects.toBeInstanceOf(LicenseAlreadyExists);
    expect(world.licenses.records.size).toBe(1);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });
});

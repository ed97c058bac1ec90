// The digest of the issuer's request key a write keeps, over the wire: on a version issued under a
// chosen serial or re-issued, and on a status change's history entry — what a re-run of the same
// request, its idempotency record lost, reads back to know the write for its own.

import { beforeAll, describe, expect, test } from 'vitest';
import { licenseKeyOf } from '#core/license-key.ts';
import { reissue, suspend } from '#core/lifecycle.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import {
  auditEventFor,
  newDemoLicense,
  provisionTestStage,
  rawItem,
  type Stage,
  toggleStatus,
} from './support.ts';

let stage: Stage;
const [card] = DEMO_LICENSES;
const agency = { kind: 'agency' as const, id: card!.issuer };
const at = '2025-03-02T09:30:00.000Z';
const DIGEST = 'q5Yl0o1kZ8Vx3n2mW4rT6sU7vX9yA0bC1dE2fG3hI4j';
const OTHER = 'Z5Yl0o1kZ8Vx3n2mW4rT6sU7vX9yA0bC1dE2fG3hI4j';

beforeAll(async () => {
  stage = await provisionTestStage('lr-digest');
});

async function tableOf(licenseId: string): Promise<string> {
  return (await stage.repository.licenseTableOf(card!.typeCode, licenseKeyOf(licenseId))).table;
}

describe('a version’s request digest', () => {
  test('is stored with the version issued under it and read back; a version issued without one has none', async () => {
    const keyed = { ...(await newDemoLicense(stage, card, { serial: 'DIGEST1' })), requestDigest: DIGEST };
    const plain = await newDemoLicense(stage, card, { serial: 'DIGEST2' });

    const written = await stage.repository.issue(
      keyed,
      auditEventFor('license.issued', { licenseId: keyed.id }),
    );
    await stage.repository.issue(plain, auditEventFor('license.issued', { licenseId: plain.id }));

    expect(written.requestDigest).toBe(DIGEST);
    expect((await stage.repository.get(keyed.id))?.requestDigest).toBe(DIGEST);
    const stored = await stage.repository.get(plain.id);
    expect(stored).toBeDefined();
    expect(stored).not.toHaveProperty('requestDigest');
    const raw = await rawItem(stage, await tableOf(plain.id), `L#${licenseKeyOf(plain.id)}`, 'V#001');
    expect(raw).not.toHaveProperty('requestDigest');
  });

  test('is stored with a re-issued version, and read back by every read of it', async () => {
    const old = await stage.repository.issue(
      await newDemoLicense(stage, card, { serial: 'DIGEST3' }),
      auditEventFor('license.issued', {}),
    );
    const { change, newId } = reissue(old, { actor: agency, at, reason: '遗失补发' });
    const next = {
      ...(await newDemoLicense(stage, card, { serial: 'DIGEST3', version: '002' })),
      requestDigest: DIGEST,
    };

    const { current } = await stage.repository.reissue({
      current: old,
      change,
      next,
      auditEvent: auditEventFor('license.reissued', { licenseId: newId }),
    });

    expect(current.requestDigest).toBe(DIGEST);
    const superseded = await stage.repository.get(old.id);
    expect(superseded).toMatchObject({ status: 'superseded', supersededBy: newId });
    expect(superseded).not.toHaveProperty('requestDigest');
    expect((await stage.repository.get(newId))?.requestDigest).toBe(DIGEST);
    expect((await stage.repository.getCurrent(licenseKeyOf(newId)))?.requestDigest).toBe(DIGEST);
    expect((await stage.repository.listVersions(licenseKeyOf(newId))).map((v) => v.requestDigest)).toEqual([
      undefined,
      DIGEST,
    ]);
  });
});

describe('a status change’s request digest', () => {
  test('is kept in its history entry, beside the other changes’ own, and read back', async () => {
    const license = await stage.repository.issue(
      await newDemoLicense(stage, card, { serial: 'DIGEST4' }),
      auditEventFor('license.issued', {}),
    );
    const suspension = { ...suspend('valid', { actor: agency, at, reason: '挂失' }), requestDigest: DIGEST };
    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: license.version,
      history: license.history,
      change: suspension,
      statusSlot: license.statusSlot,
      auditEvent: auditEventFor('license.suspended', { licenseId: license.id }),
    });
    // A change written without one (a request without a key) keeps none.
    await toggleStatus(stage, license.id, 1, { actor: agency, at, reasonOf: () => '恢复' });
    const read = (await stage.repository.get(license.id))!;
    const again = { ...suspend('valid', { actor: agency, at, reason: '挂失' }), requestDigest: OTHER };
    await stage.repository.changeStatus({
      licenseId: license.id,
      expectedVersion: read.version,
      history: read.history,
      change: again,
      statusSlot: read.statusSlot,
      auditEvent: auditEventFor('license.suspended', { licenseId: license.id }),
    });

    const { history } = (await stage.repository.get(license.id))!;
    expect(history.map((c) => [c.action, c.requestDigest])).toEqual([
      ['suspend', DIGEST],
      ['reinstate', undefined],
      ['suspend', OTHER],
    ]);
    expect(history[1]).not.toHaveProperty('requestDigest');
    expect(history[0]).toEqual(suspension);
  });
});

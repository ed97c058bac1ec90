// A license re-issued to another holder (the holder code corrected, or the license passed on):
// the earlier holder keeps listing and opening the versions that were theirs, marked as no longer
// theirs and naming nothing of the new holder's version, and can no longer grant, present or have
// it retrieved as theirs; the new holder sees only their own version.
import { beforeEach, describe, expect, it } from 'vitest';
import { readAccessHistory } from '#app/access-history.ts';
import { createHolderGrant } from '#app/holder-grants.ts';
import { listHolderLicenses, openHolderLicense } from '#app/holder-licenses.ts';
import { createPresentation } from '#app/holder-presentations.ts';
import { retrieveLicense } from '#app/retrieve-license.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_SERVICE_ITEM, DEMO_USCC } from '#dev/demo/catalog.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import { ACCOUNTS, HolderWorld } from './holder-fakes.ts';

const [ZHANG_CARD, LI_CARD] = DEMO_LICENSES;
const HPF = DEMO_USCC.housingProvidentFundCentre;

let world: HolderWorld;
let v1: LicenseRecord;
let v2: LicenseRecord;
beforeEach(async () => {
  world = await HolderWorld.create();
  v1 = await world.issue(ZHANG_CARD!, { issuedAt: '2025-05-01T00:00:00.000Z' });
  world.clock.set('2025-06-01T03:00:00.000Z');
  // The re-issue as the repository writes it: the next version names 李晓燕, the first is superseded.
  v2 = await world.issue(
    { ...ZHANG_CARD!, holder: DEMO_HOLDERS.liXiaoyan, data: LI_CARD!.data },
    { version: '002' },
  );
  world.licenses.setStatus(v1.id, 'superseded', v2.id);
});

const deps = () => world.holderDeps();

describe('the earlier holder after a re-issue to another holder', () => {
  it('still lists their own version, superseded and no longer theirs, naming nothing of the next', async () => {
    const zhangs = await listHolderLicenses({ account: ACCOUNTS.zhang }, deps());
    const lis = await listHolderLicenses({ account: ACCOUNTS.li }, deps());

    expect(zhangs.licenses).toEqual([
      expect.objectContaining({
        licenseId: v1.id,
        licenseKey: licenseKeyOf(v1.id),
        status: 'superseded',
        current: false,
        former: true,
      }),
    ]);
    expect(zhangs.licenses[0]).not.toHaveProperty('supersededBy');
    expect(JSON.stringify(zhangs.licenses)).not.toContain(v2.id);
    expect(lis.licenses.map((l) => [l.licenseId, l.status, l.current, l.former])).toEqual([
      [v2.id, 'valid', true, false],
    ]);
  });

  it('opens their own version alike; the license key (its current version) reads as not found', async () => {
    const detail = await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: v1.id }, deps());

    expect(detail.fields).toEqual(ZHANG_CARD!.data);
    expect(detail.license).toMatchObject({ licenseId: v1.id, current: false, former: true });
    expect(detail.license).not.toHaveProperty('supersededBy');
    await expect(
      openHolderLicense({ account: ACCOUNTS.zhang, licenseId: licenseKeyOf(v1.id) }, deps()),
    ).rejects.toMatchObject({ name: 'LicenseNotFound' });
  });

  it('finds the events of their own version in the whole access history, none of the next holder’s', async () => {
    world.clock.set('2025-06-01T04:00:00.000Z');
    const onLi = await retrieveLicense(
      {
        requester: { agency: HPF, keyId: 'demo-hpf-1' },
        target: { licenseId: v2.id },
        basis: {
          duty: { serviceItemCode: DEMO_SERVICE_ITEM.code, caseNumber: 'CASE-LI', operatorId: 'op-1' },
        },
      },
      deps(),
    );
    world.clock.set('2025-06-01T05:00:00.000Z');
    const opened = await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: v1.id }, deps());

    const zhangs = await readAccessHistory({ account: ACCOUNTS.zhang }, deps());

    expect(zhangs.items.map((e) => [e.eventId, e.licenseId])).toEqual([[opened.auditEventId, v1.id]]);
    expect(zhangs.items.some((e) => e.eventId === onLi.auditEventId)).toBe(false);
  });

  it('cannot grant it, by their version or by the license key: it reads as not found, nothing recorded', async () => {
    const terms = {
      account: ACCOUNTS.zhang,
      relyingAgency: HPF,
      purpose: '办理住房公积金提取',
      fields: ['姓名'],
      expiresAt: '2025-06-02T00:00:00.000Z',
      maxUses: 1,
    };
    const before = world.audit.events.length;

    for (const licenseId of [v1.id, licenseKeyOf(v1.id)]) {
      await expect(createHolderGrant({ ...terms, scope: { licenseId } }, deps())).rejects.toMatchObject({
        name: 'LicenseNotFound',
      });
    }
    expect(world.audit.events.length).toBe(before);
  });

  it('cannot present it, by their version or by the license key, nothing recorded', async () => {
    const before = world.audit.events.length;

    for (const licenseId of [v1.id, licenseKeyOf(v1.id)]) {
      await expect(
        createPresentation({ account: ACCOUNTS.zhang, licenseId, fields: ['姓名'], form: 'sd-jwt' }, deps()),
      ).rejects.toThrow();
    }
    expect(world.presentations.stored.size).toBe(0);
    expect(world.audit.events.length).toBe(before);
  });

  it('is not found by a retrieval of their license of the type, on their grant of the type', async () => {
    const { code } = await createHolderGrant(
      {
        account: ACCOUNTS.zhang,
        scope: { typeCode: ZHANG_CARD!.typeCode },
        relyingAgency: HPF,
        purpose: '办理住房公积金提取',
        fields: ['姓名'],
        expiresAt: '2025-06-02T00:00:00.000Z',
        maxUses: 1,
      },
      deps(),
    );
    await expect(
      retrieveLicense(
        {
          requester: { agency: HPF, keyId: 'key-1' },
          target: { typeCode: ZHANG_CARD!.typeCode },
          basis: { grant: { code } },
        },
        deps(),
      ),
    ).rejects.toMatchObject({ code: 'HOLDER_LICENSE_NOT_FOUND' });
    const denied = world.audit.events.at(-1);
    expect(denied).toMatchObject({
      action: 'license.retrieved',
      outcome: expect.not.stringMatching(/success/),
    });
    expect(denied?.subject).not.toHaveProperty('licenseId');
  });
});

// Listings over the wire: an issuer's month across its S sub-keys in issue order, page by page;
// a holder's licenses from the holder index.

import { beforeAll, describe, expect, test } from 'vitest';
import { licenseKeyOf } from '#core/license-key.ts';
import { stableShard } from '#core/stable-shard.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import { InvalidCursor } from '#ports/page.ts';
import {
  auditEventFor,
  blindIndexOf,
  LISTING_SUBKEYS,
  newDemoLicense,
  provisionTestStage,
  type Stage,
} from './support.ts';

let stage: Stage;
const [card, , , driving, business] = DEMO_LICENSES;
const issuedIds: string[] = [];

beforeAll(async () => {
  stage = await provisionTestStage('lr-listing');
  // 37 licenses of one issuer and type in March 2025, issued out of time order, some sharing a
  // millisecond; and a few in other months and of another issuer, which must not appear.
  const times = Array.from({ length: 37 }, (_, n) => `2025-03-0${1 + ((n * 5) % 3)}T08:00:0${n % 4}.000Z`);
  await Promise.all(
    times.map(async (issuedAt, n) => {
      const license = await newDemoLicense(stage, card, { serial: `LIST${n}`, issuedAt });
      await stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
      issuedIds.push(`${issuedAt}#${license.id}`);
    }),
  );
  for (const [serial, issuedAt] of [
    ['FEB1', '2025-02-28T23:59:59.999Z'],
    ['APR1', '2025-04-01T00:00:00.000Z'],
  ] as const) {
    const license = await newDemoLicense(stage, card, { serial, issuedAt });
    await stage.repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
  }
  const other = await newDemoLicense(stage, driving, {
    serial: 'LISTD1',
    issuedAt: '2025-03-05T00:00:00.000Z',
  });
  await stage.repository.issue(other, auditEventFor('license.issued', { licenseId: other.id }));
});

describe('listByIssuer', () => {
  test('the month is spread over every sub-key, and listed in issue order across them, page by page', async () => {
    const subKeysUsed = new Set(
      issuedIds.map((entry) => stableShard(licenseKeyOf(entry.split('#')[1]!), LISTING_SUBKEYS)),
    );
    expect(subKeysUsed.size).toBe(LISTING_SUBKEYS);

    const listed: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await stage.repository.listByIssuer(
        { issuerCode: card!.issuer, typeCode: card!.typeCode, month: '2025-03' },
        { limit: 10, ...(cursor === undefined ? {} : { cursor }) },
      );
      pageSizes.push(page.items.length);
      listed.push(...page.items.map((e) => `${e.issuedAt}#${e.licenseId}`));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(listed).toEqual([...issuedIds].sort());
    expect(pageSizes.slice(0, 3)).toEqual([10, 10, 10]);
    expect(pageSizes.reduce((a, b) => a + b)).toBe(37);
  });

  test('one page holds the whole month when the limit allows; other months and issuers stay out', async () => {
    const page = await stage.repository.listByIssuer({
      issuerCode: card!.issuer,
      typeCode: card!.typeCode,
      month: '2025-02',
    });
    expect(page.items.map((e) => e.issuedAt)).toEqual(['2025-02-28T23:59:59.999Z']);
    expect(page.cursor).toBeUndefined();
    const driving = await stage.repository.listByIssuer(
      { issuerCode: DEMO_LICENSES[3]!.issuer, typeCode: DEMO_LICENSES[3]!.typeCode, month: '2025-03' },
      { limit: 500 },
    );
    expect(driving.items).toHaveLength(1);
  });

  test('a cursor of another month is refused with InvalidCursor', async () => {
    const march = await stage.repository.listByIssuer(
      { issuerCode: card!.issuer, typeCode: card!.typeCode, month: '2025-03' },
      { limit: 5 },
    );
    await expect(
      stage.repository.listByIssuer(
        { issuerCode: card!.issuer, typeCode: card!.typeCode, month: '2025-04' },
        { limit: 5, cursor: march.cursor! },
      ),
    ).rejects.toBeInstanceOf(InvalidCursor);
    await expect(
      stage.repository.listByIssuer({ issuerCode: card!.issuer, typeCode: card!.typeCode, month: '2025-3' }),
    ).rejects.toThrow(/expected a month yyyy-MM/);
  });
});

describe('listByHolder', () => {
  test('lists a holder’s current licenses across types and domains, or those of one type', async () => {
    const person = card!.holder;
    const drivingLicence = await newDemoLicense(stage, driving, { serial: 'HOLD1' });
    await stage.repository.issue(
      drivingLicence,
      auditEventFor('license.issued', { licenseId: drivingLicence.id }),
    );
    const company = await newDemoLicense(stage, business, { serial: 'HOLD2' });
    await stage.repository.issue(company, auditEventFor('license.issued', { licenseId: company.id }));

    const all = await stage.repository.listByHolder(blindIndexOf(person.codeType, person.code));
    expect(all.filter((l) => l.typeCode === card!.typeCode)).toHaveLength(37 + 2);
    expect(all.filter((l) => l.typeCode === driving!.typeCode).map((l) => l.licenseId)).toContain(
      drivingLicence.id,
    );
    const ofType = await stage.repository.listByHolder(
      blindIndexOf(person.codeType, person.code),
      driving!.typeCode,
    );
    expect(ofType.every((l) => l.typeCode === driving!.typeCode && l.dataDomain === 'person')).toBe(true);
    expect(
      await stage.repository.listByHolder(blindIndexOf(business!.holder.codeType, business!.holder.code)),
    ).toEqual([expect.objectContaining({ licenseId: company.id, dataDomain: 'legal-entity' })]);
  });
});

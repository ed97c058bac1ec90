// Listing a license's versions over the wire, where the shard map routes its key and from every
// shard of its domain: a license written under another shard count (one shard) is none where a
// two-shard map routes it, and found when every shard is asked.

import { beforeAll, expect, test } from 'vitest';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { stableShard } from '#core/stable-shard.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import {
  auditEventFor,
  domainOf,
  idOf,
  LISTING_SUBKEYS,
  newDemoLicense,
  provisionTestStage,
  SHARDS,
  type Stage,
} from './support.ts';

let stage: Stage;
const [card] = DEMO_LICENSES;

beforeAll(async () => {
  stage = await provisionTestStage('lr-versions');
});

test('listVersionsInEveryShard finds a license written under another shard count; listVersions reads only its routed shard', async () => {
  // A writer that believes its domain has one shard puts every license in shard 0.
  const oneShard = Object.fromEntries(Object.keys(SHARDS).map((domain) => [domain, 1]));
  const writer = new DynamoDbLicenseRepository({
    client: stage.documents,
    tables: stage.tables,
    shards: oneShard,
    domainOf,
    issuerListingSubKeys: LISTING_SUBKEYS,
  });
  let license = await newDemoLicense(stage, card, { serial: 'MOVED0' });
  for (let n = 1; stableShard(licenseKeyOf(license.id), 2) !== 1; n += 1) {
    license = await newDemoLicense(stage, card, { serial: `MOVED${n}` });
  }
  await writer.issue(license, auditEventFor('license.issued', { licenseId: license.id }));
  const key = licenseKeyOf(license.id);

  expect(await stage.repository.listVersions(key)).toEqual([]);
  const found = await stage.repository.listVersionsInEveryShard(key);
  expect(found.map((v) => v.id)).toEqual([license.id]);
  expect(
    await stage.repository.listVersionsInEveryShard(licenseKeyOf(idOf(card!, '001', 'NOSUCHLICENSE'))),
  ).toEqual([]);
});

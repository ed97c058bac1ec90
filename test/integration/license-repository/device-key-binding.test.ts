// A license bound to a holder's device key (its cnf.jwk) over the wire: its write checks, in the
// same transaction, that the key is still active in the holders table, so a key the holder
// revoked while the license was being signed refuses the write and nothing of it is stored.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoHolderStore } from '#adapters/aws/holder-store.ts';
import { localFieldCipher } from '#adapters/local/field-cipher.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { reissue } from '#core/lifecycle.ts';
import { DeviceKeyChangedMeanwhile } from '#core/storage-errors.ts';
import { DEMO_LICENSES } from '#dev/demo/catalog.ts';
import type { BoundDeviceKey } from '#ports/license-repository.ts';
import {
  auditEventFor,
  domainOf,
  LISTING_SUBKEYS,
  newDemoLicense,
  provisionTestStage,
  SHARDS,
  type Stage,
  snapshot,
} from './support.ts';

let stage: Stage;
let repository: DynamoDbLicenseRepository;
let holders: DynamoHolderStore;
let vaultDir: string;
const [card] = DEMO_LICENSES;
const agency = { kind: 'agency' as const, id: card!.issuer };
const JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
} as const;
let sequence = 0;

beforeAll(async () => {
  stage = await provisionTestStage('lr-device-key');
  vaultDir = await mkdtemp(join(tmpdir(), 'elicense-device-key-binding-'));
  const vault = await LocalKeyVault.open({ dir: vaultDir });
  holders = new DynamoHolderStore(stage.documents, {
    table: stage.table('holders'),
    auditTable: stage.tables.audit,
    cipher: await localFieldCipher(vault),
  });
  repository = new DynamoDbLicenseRepository({
    client: stage.documents,
    tables: stage.tables,
    shards: SHARDS,
    domainOf,
    issuerListingSubKeys: LISTING_SUBKEYS,
    holders: stage.table('holders'),
  });
});

afterAll(async () => {
  await rm(vaultDir, { recursive: true, force: true });
});

function holderEvent(account: string, action: string): AuditEvent {
  sequence += 1;
  return {
    id: `device-key-${sequence}`,
    time: new Date().toISOString(),
    actor: { kind: 'holder', id: account },
    action,
    outcome: 'success',
  };
}

/** A key registered through the holder store (its own layout), as the license write will check it. */
async function registeredKey(): Promise<BoundDeviceKey> {
  sequence += 1;
  const account = `acct-${sequence}`;
  const keyId = `key-${sequence}`;
  const nonce = `nonce-${sequence}`;
  await holders.openDeviceKeyChallenge(account, nonce, new Date(Date.now() + 300_000));
  await holders.registerDeviceKey(
    { id: keyId, account, jwk: JWK, status: 'active', registered: new Date().toISOString() },
    nonce,
    holderEvent(account, 'holder.device_key_registered'),
  );
  return { account, keyId };
}

const revoke = (key: BoundDeviceKey) =>
  holders.revokeDeviceKey(key.account, key.keyId, holderEvent(key.account, 'holder.device_key_revoked'));

describe('a license bound to a device key', () => {
  test('is issued while the key is active', async () => {
    const deviceKey = await registeredKey();
    const license = await newDemoLicense(stage, card, { serial: `BOUND${Date.now()}` });

    await repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }), {
      deviceKey,
    });

    expect(await repository.get(license.id)).toMatchObject({ id: license.id, status: 'valid' });
  });

  test('is not issued once the key was revoked meanwhile: nothing of it is written', async () => {
    const deviceKey = await registeredKey();
    const license = await newDemoLicense(stage, card, { serial: `REVOKED${Date.now()}` });
    await revoke(deviceKey);
    const before = await snapshot(stage);

    await expect(
      repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }), { deviceKey }),
    ).rejects.toThrow(DeviceKeyChangedMeanwhile);

    expect(await snapshot(stage)).toEqual(before);
    expect(await repository.get(license.id)).toBeUndefined();
  });

  test('is not issued bound to a key that was never registered', async () => {
    const license = await newDemoLicense(stage, card, { serial: `UNKNOWN${Date.now()}` });
    const before = await snapshot(stage);

    await expect(
      repository.issue(license, auditEventFor('license.issued', { licenseId: license.id }), {
        deviceKey: { account: 'acct-none', keyId: 'no-such-key' },
      }),
    ).rejects.toThrow(DeviceKeyChangedMeanwhile);

    expect(await snapshot(stage)).toEqual(before);
  });

  test('is not re-issued once the key was revoked meanwhile: the old version stays current', async () => {
    const serial = `REISSUED${Date.now()}`;
    const first = await newDemoLicense(stage, card, { serial });
    const current = await repository.issue(first, auditEventFor('license.issued', { licenseId: first.id }));
    const deviceKey = await registeredKey();
    const { change, newId } = reissue(current, {
      actor: agency,
      at: new Date().toISOString(),
      reason: '补领',
    });
    const next = await newDemoLicense(stage, card, { serial, version: '002' });
    expect(next.id).toBe(newId);
    await revoke(deviceKey);
    const before = await snapshot(stage);

    await expect(
      repository.reissue({
        current,
        change,
        next,
        auditEvent: auditEventFor('license.reissued', { licenseId: newId }),
        deviceKey,
      }),
    ).rejects.toThrow(DeviceKeyChangedMeanwhile);

    expect(await snapshot(stage)).toEqual(before);
    expect(await repository.get(first.id)).toMatchObject({ status: 'valid', version: 1 });
  });
});

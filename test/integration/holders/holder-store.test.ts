// The holder store over the wire (DynamoDB Local): a verified proofing binds an account with
// its proofing record and audit event in one transaction; one identity, one account; the
// holder code is stored sealed, never in clear; device keys need an open challenge; the
// issuer's lookup finds the newest active key by holder index.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { bindingKey, DynamoHolderStore } from '#adapters/aws/holder-store.ts';
import { LocalBlindIndexer } from '#adapters/local/blind-indexer.ts';
import { localFieldCipher } from '#adapters/local/field-cipher.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import {
  AccountBoundToAnotherIdentity,
  type DeviceKey,
  DeviceKeyAlreadyRevoked,
  DeviceKeyChallengeUnknown,
  DeviceKeyExists,
  DeviceKeyNotFound,
  IdentityBoundToAnotherAccount,
  ProofingInProgress,
  type ProofingRecord,
} from '#ports/holder-store.ts';
import { provisionStoreStage, type StoreStage } from '../stores/stage.ts';

let stage: StoreStage;
let store: DynamoHolderStore;
let reader: DynamoAuditLogReader;
let indexer: LocalBlindIndexer;
let vaultDir: string;
let clock = new Date('2026-03-01T08:00:00.000Z');
let sequence = 0;

beforeAll(async () => {
  stage = await provisionStoreStage('it-holders');
  vaultDir = await mkdtemp(join(tmpdir(), 'elicense-holder-store-'));
  const vault = await LocalKeyVault.open({ dir: vaultDir });
  indexer = new LocalBlindIndexer(vault);
  store = new DynamoHolderStore(stage.documents, {
    table: stage.table('holders'),
    auditTable: stage.table('audit'),
    cipher: await localFieldCipher(vault),
    clock: () => clock,
  });
  reader = new DynamoAuditLogReader(stage.documents, stage.table('audit'));
});

afterAll(async () => {
  await stage.dispose();
  await rm(vaultDir, { recursive: true, force: true });
});

const CITIZEN = { codeType: '111', code: '330102199003071230' };
const OTHER_CITIZEN = { codeType: '111', code: '330106198511202461' };

function next(): string {
  sequence += 1;
  return `it-${sequence}`;
}

function proofing(
  account: string,
  holderIndex: string,
  overrides: Partial<ProofingRecord> = {},
): ProofingRecord {
  return {
    id: next(),
    account,
    provider: 'development-only',
    methods: ['development-demo-token'],
    assurance: 'low',
    outcome: 'verified',
    codeType: '111',
    holderIndex,
    time: clock.toISOString(),
    ...overrides,
  };
}

function event(account: string, action = 'holder.identity_proofed', id = next()): AuditEvent {
  return {
    id,
    time: clock.toISOString(),
    actor: { kind: 'holder', id: account },
    action,
    outcome: 'success',
  };
}

async function auditIds(): Promise<string[]> {
  const page = await reader.readRange(
    { from: new Date('2026-03-01T08:00:00Z'), to: new Date('2026-03-01T09:00:00Z') },
    { limit: 1000 },
  );
  return page.items.map((e) => e.id);
}

const JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
} as const;

function deviceKey(account: string, id: string, registered = clock.toISOString()): DeviceKey {
  return { id, account, jwk: JWK, status: 'active', registered };
}

describe('binding through proofing', () => {
  test('a verified proofing binds the account, with its record and audit event, and the code stays sealed', async () => {
    const account = 'acct-bind-1';
    const holderIndex = await indexer.tokenFor(CITIZEN.codeType, CITIZEN.code);
    const record = proofing(account, holderIndex);
    const audit = event(account);

    const binding = await store.recordProofing(record, { ...CITIZEN, holderIndex }, audit);

    expect(binding).toMatchObject({
      account,
      ...CITIZEN,
      holderIndex,
      assurance: 'low',
      proofingId: record.id,
    });
    expect(await store.bindingOf(account)).toEqual(binding);
    expect(await store.accountOf(holderIndex)).toBe(account);
    expect(await store.listProofings(account)).toEqual([record]);
    expect(await auditIds()).toContain(audit.id);
    const { Items = [] } = await stage.documents.send(new ScanCommand({ TableName: stage.table('holders') }));
    expect(JSON.stringify(Items)).not.toContain(CITIZEN.code);
  });

  test('one identity, one account: a second account cannot bind it, and nothing of that attempt is written', async () => {
    const holderIndex = await indexer.tokenFor(CITIZEN.codeType, CITIZEN.code);
    const record = proofing('acct-bind-2', holderIndex);
    const audit = event('acct-bind-2');

    await expect(store.recordProofing(record, { ...CITIZEN, holderIndex }, audit)).rejects.toBeInstanceOf(
      IdentityBoundToAnotherAccount,
    );

    expect(await store.bindingOf('acct-bind-2')).toBeUndefined();
    expect(await store.listProofings('acct-bind-2')).toEqual([]);
    expect(await auditIds()).not.toContain(audit.id);
  });

  test('a bound account cannot be proofed as another identity', async () => {
    const holderIndex = await indexer.tokenFor(OTHER_CITIZEN.codeType, OTHER_CITIZEN.code);
    const audit = event('acct-bind-1');

    await expect(
      store.recordProofing(proofing('acct-bind-1', holderIndex), { ...OTHER_CITIZEN, holderIndex }, audit),
    ).rejects.toBeInstanceOf(AccountBoundToAnotherIdentity);

    expect(await store.accountOf(holderIndex)).toBeUndefined();
    expect(await auditIds()).not.toContain(audit.id);
  });

  test('a stronger proofing of the bound identity raises the binding; a weaker one leaves it', async () => {
    const holderIndex = await indexer.tokenFor(CITIZEN.codeType, CITIZEN.code);
    const strong = proofing('acct-bind-1', holderIndex, {
      assurance: 'substantial',
      provider: 'rekognition-compare-faces',
    });
    await store.recordProofing(strong, { ...CITIZEN, holderIndex }, event('acct-bind-1'));
    const weak = proofing('acct-bind-1', holderIndex, { time: '2026-03-01T08:00:01.000Z' });
    await store.recordProofing(weak, { ...CITIZEN, holderIndex }, event('acct-bind-1'));

    const binding = await store.bindingOf('acct-bind-1');
    expect(binding).toMatchObject({ assurance: 'substantial', proofingId: strong.id });
    expect((await store.listProofings('acct-bind-1')).map((p) => p.id)).toEqual(
      expect.arrayContaining([strong.id, weak.id]),
    );
  });

  test('a failed proofing is recorded with its audit event and binds nothing', async () => {
    const holderIndex = await indexer.tokenFor(OTHER_CITIZEN.codeType, OTHER_CITIZEN.code);
    const failed = proofing('acct-failed', holderIndex, { outcome: 'failed', reason: 'no match' });
    const audit = { ...event('acct-failed'), outcome: 'denied' as const };

    expect(await store.recordProofing(failed, undefined, audit)).toBeUndefined();

    expect(await store.bindingOf('acct-failed')).toBeUndefined();
    expect(await store.listProofings('acct-failed')).toEqual([failed]);
    expect(await auditIds()).toContain(audit.id);
  });

  test('failed proofings are counted in a time range per account and per claimed identity, the identity’s marker expiring by TTL', async () => {
    const holderIndex = await indexer.tokenFor('111', '11010519491231002X');
    // Times of the last hour, not the suite's fixed clock: DynamoDB Local deletes items whose TTL
    // has passed, and the markers expire two days after their time.
    const hourAgo = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
    const at = (minute: number) => new Date(hourAgo + minute * 60_000).toISOString();
    const attempts = [
      proofing('acct-limit-1', holderIndex, { outcome: 'failed', time: at(10) }),
      proofing('acct-limit-1', holderIndex, { outcome: 'failed', time: at(20) }),
      proofing('acct-limit-2', holderIndex, { outcome: 'failed', time: at(30) }),
    ];
    for (const attempt of attempts) {
      await store.recordProofing(attempt, undefined, { ...event(attempt.account), outcome: 'denied' });
    }
    // A verified proofing of the same account is not a failure.
    const other = await indexer.tokenFor('111', '110105194912310037');
    await store.recordProofing(
      proofing('acct-limit-1', other, { time: at(25) }),
      { codeType: '111', code: '110105194912310037', holderIndex: other },
      event('acct-limit-1'),
    );

    const since = new Date(at(15));
    expect(await store.failedProofingsSince({ account: 'acct-limit-1' }, since)).toEqual([at(20)]);
    expect(await store.failedProofingsSince({ account: 'acct-limit-1' }, new Date(at(0)))).toEqual([
      at(10),
      at(20),
    ]);
    expect(await store.failedProofingsSince({ holderIndex }, since)).toEqual([at(20), at(30)]);
    expect(await store.failedProofingsSince({ holderIndex: other }, new Date(at(0)))).toEqual([]);

    // The identity's markers name no account and carry an expiry two days on.
    const { Items = [] } = await stage.documents.send(
      new ScanCommand({
        TableName: stage.table('holders'),
        FilterExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `I#${holderIndex}` },
      }),
    );
    const markers = Items.filter((item) => item.kind === 'failed-proofing');
    expect(markers).toHaveLength(3);
    for (const marker of markers) {
      expect(Object.keys(marker).sort()).toEqual(['expiresAt', 'kind', 'pk', 'sk', 'time']);
      expect(marker.expiresAt).toBe(Date.parse(marker.time as string) / 1000 + 2 * 86_400);
    }
  });

  test('clearing the failed claims of an identity deletes its markers only, with the audit event', async () => {
    const hourAgo = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
    const at = (minute: number) => new Date(hourAgo + minute * 60_000).toISOString();
    const target = await indexer.tokenFor('111', '110105194912310096');
    const bystander = await indexer.tokenFor('111', '110105194912310107');
    for (const [account, index, minute] of [
      ['acct-clear-1', target, 1],
      ['acct-clear-2', target, 2],
      ['acct-clear-3', bystander, 3],
    ] as const) {
      await store.recordProofing(
        proofing(account, index, { outcome: 'failed', time: at(minute) }),
        undefined,
        { ...event(account), outcome: 'denied' },
      );
    }
    const decision = { ...event('ops'), actor: { kind: 'operator' as const, id: 'ops' } };
    let counted: number | undefined;
    expect(
      await store.clearFailedClaims(target, (cleared) => {
        counted = cleared;
        return decision;
      }),
    ).toBe(2);
    expect(counted).toBe(2);

    const since = new Date(at(0));
    expect(await store.failedProofingsSince({ holderIndex: target }, since)).toEqual([]);
    expect(await store.failedProofingsSince({ holderIndex: bystander }, since)).toEqual([at(3)]);
    // The accounts keep their own records of the attempts.
    expect(await store.failedProofingsSince({ account: 'acct-clear-1' }, since)).toEqual([at(1)]);
    expect(await auditIds()).toContain(decision.id);
    // Nothing left to clear is no error, and still audited.
    const again = { ...decision, id: next() };
    expect(await store.clearFailedClaims(target, () => again)).toBe(0);
    expect(await auditIds()).toContain(again.id);
  });

  test('clearing more markers than one transaction holds deletes the newest 99 with an event saying 99', async () => {
    const target = await indexer.tokenFor('111', '11010519491231011X');
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 86_400_000;
    const times = Array.from({ length: 120 }, (_, n) => new Date(base + n * 1_000).toISOString());
    // Written straight to the table, as the limits never let this many through.
    for (const time of times) {
      await stage.documents.send(
        new PutCommand({
          TableName: stage.table('holders'),
          Item: {
            pk: `I#${target}`,
            sk: `FAILED_PROOFING#${time}#m-${time}`,
            kind: 'failed-proofing',
            time,
            expiresAt: Math.floor(Date.parse(time) / 1000) + 2 * 86_400,
          },
        }),
      );
    }
    const decision = { ...event('ops'), actor: { kind: 'operator' as const, id: 'ops' } };
    let counted: number | undefined;

    const cleared = await store.clearFailedClaims(target, (n) => {
      counted = n;
      return decision;
    });

    expect([cleared, counted]).toEqual([99, 99]);
    expect(await store.failedProofingsSince({ holderIndex: target }, new Date(base - 1))).toEqual(
      times.slice(0, 21),
    );
    expect(await auditIds()).toContain(decision.id);
  });

  test('proofing locks: both or neither, held until released by their token or lapsed', async () => {
    // The real time, not the suite's fixed clock: DynamoDB Local's TTL deletes locks whose time
    // has passed, which would take them away in the middle of the test.
    const suiteClock = clock;
    clock = new Date();
    try {
      await lockScenario();
    } finally {
      clock = suiteClock;
    }
  });

  async function lockScenario(): Promise<void> {
    const index = await indexer.tokenFor('111', '110105194912310053');
    const otherIndex = await indexer.tokenFor('111', '11010519491231007X');
    const until = new Date(clock.getTime() + 60_000);
    const token = await store.lockProofing('acct-lock-1', index, until);

    // The account's lock and the identity's lock each refuse, and a refusal takes neither.
    await expect(store.lockProofing('acct-lock-1', otherIndex, until)).rejects.toBeInstanceOf(
      ProofingInProgress,
    );
    await expect(store.lockProofing('acct-lock-2', index, until)).rejects.toBeInstanceOf(ProofingInProgress);
    const other = await store.lockProofing('acct-lock-2', otherIndex, until);
    await store.unlockProofing('acct-lock-2', otherIndex, other);

    // Another token releases nothing; the right one releases both.
    await store.unlockProofing('acct-lock-1', index, 'not-the-token');
    await expect(store.lockProofing('acct-lock-3', index, until)).rejects.toBeInstanceOf(ProofingInProgress);
    await store.unlockProofing('acct-lock-1', index, token);
    const again = await store.lockProofing('acct-lock-1', index, until);

    // A lock past its time is taken over, whether or not TTL has deleted it yet.
    const saved = clock;
    clock = new Date(until.getTime() + 1000);
    try {
      const takeover = await store.lockProofing('acct-lock-1', index, new Date(clock.getTime() + 60_000));
      // The lapsed holder's late release leaves the new lock alone.
      await store.unlockProofing('acct-lock-1', index, again);
      await expect(
        store.lockProofing('acct-lock-1', index, new Date(clock.getTime() + 60_000)),
      ).rejects.toBeInstanceOf(ProofingInProgress);
      await store.unlockProofing('acct-lock-1', index, takeover);
    } finally {
      clock = saved;
    }
  }

  test('an audit event id used before fails the whole proofing', async () => {
    const holderIndex = await indexer.tokenFor(OTHER_CITIZEN.codeType, OTHER_CITIZEN.code);
    const audit = event('acct-dup');
    await store.recordProofing(proofing('acct-dup', holderIndex, { outcome: 'failed' }), undefined, audit);

    await expect(
      store.recordProofing(proofing('acct-dup', holderIndex), { ...OTHER_CITIZEN, holderIndex }, audit),
    ).rejects.toBeInstanceOf(AuditEventExists);
    expect(await store.bindingOf('acct-dup')).toBeUndefined();
    expect(await store.accountOf(holderIndex)).toBeUndefined();
  });

  test('a binding whose sealed code was moved to another account does not open', async () => {
    const { Item } = await stage.documents.send(
      new GetCommand({
        TableName: stage.table('holders'),
        Key: bindingKey('acct-bind-1'),
      }),
    );
    await stage.documents.send(
      new PutCommand({
        TableName: stage.table('holders'),
        Item: { ...Item, ...bindingKey('acct-moved'), account: 'acct-moved' },
      }),
    );
    await expect(store.bindingOf('acct-moved')).rejects.toThrow();
  });
});

describe('device keys', () => {
  const account = 'acct-keys';

  test('a key is registered only against an open challenge, which it consumes', async () => {
    const keyEvent = event(account, 'holder.device_key_registered');
    await expect(
      store.registerDeviceKey(deviceKey(account, 'k1'), 'never-issued', keyEvent),
    ).rejects.toBeInstanceOf(DeviceKeyChallengeUnknown);
    expect(await store.listDeviceKeys(account)).toEqual([]);
    expect(await auditIds()).not.toContain(keyEvent.id);

    await store.openDeviceKeyChallenge(account, 'nonce-1', new Date(clock.getTime() + 300_000));
    await store.registerDeviceKey(deviceKey(account, 'k1'), 'nonce-1', keyEvent);

    expect(await store.listDeviceKeys(account)).toEqual([deviceKey(account, 'k1')]);
    expect(await auditIds()).toContain(keyEvent.id);
    await expect(
      store.registerDeviceKey(
        deviceKey(account, 'k2'),
        'nonce-1',
        event(account, 'holder.device_key_registered'),
      ),
    ).rejects.toBeInstanceOf(DeviceKeyChallengeUnknown);
  });

  test('an expired challenge is refused even before TTL deletes it', async () => {
    await store.openDeviceKeyChallenge(account, 'nonce-old', new Date(clock.getTime() + 300_000));
    const before = clock;
    clock = new Date(clock.getTime() + 301_000);
    try {
      await expect(
        store.registerDeviceKey(
          deviceKey(account, 'k-late'),
          'nonce-old',
          event(account, 'holder.device_key_registered'),
        ),
      ).rejects.toBeInstanceOf(DeviceKeyChallengeUnknown);
    } finally {
      clock = before;
    }
  });

  test('the same key twice is refused', async () => {
    await store.openDeviceKeyChallenge(account, 'nonce-2', new Date(clock.getTime() + 300_000));
    await expect(
      store.registerDeviceKey(
        deviceKey(account, 'k1'),
        'nonce-2',
        event(account, 'holder.device_key_registered'),
      ),
    ).rejects.toBeInstanceOf(DeviceKeyExists);
  });

  test('revoking: once, with its audit event; unknown keys are not found', async () => {
    const revokeEvent = event(account, 'holder.device_key_revoked');
    const revoked = await store.revokeDeviceKey(account, 'k1', revokeEvent);
    expect(revoked).toMatchObject({ id: 'k1', status: 'revoked', revoked: revokeEvent.time });
    expect(await auditIds()).toContain(revokeEvent.id);

    await expect(
      store.revokeDeviceKey(account, 'k1', event(account, 'holder.device_key_revoked')),
    ).rejects.toBeInstanceOf(DeviceKeyAlreadyRevoked);
    await expect(
      store.revokeDeviceKey(account, 'nope', event(account, 'holder.device_key_revoked')),
    ).rejects.toBeInstanceOf(DeviceKeyNotFound);
    await expect(
      store.revokeDeviceKey('acct-other', 'k1', event('acct-other', 'holder.device_key_revoked')),
    ).rejects.toBeInstanceOf(DeviceKeyNotFound);
  });

  test('the issuer lookup finds the newest active key of the identity bound to a holder index', async () => {
    const holderIndex = await indexer.tokenFor(CITIZEN.codeType, CITIZEN.code);
    expect(await store.deviceKeyOf(holderIndex)).toBeUndefined();
    const unbound = await indexer.tokenFor(OTHER_CITIZEN.codeType, '330106198511202461');
    expect(await store.deviceKeyOf(unbound)).toBeUndefined();

    const newer = {
      ...JWK,
      x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0',
      y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps',
    };
    for (const [nonce, key] of [
      ['nonce-a', { ...deviceKey('acct-bind-1', 'old', '2026-03-01T08:00:00.000Z') }],
      ['nonce-b', { ...deviceKey('acct-bind-1', 'new', '2026-03-01T09:00:00.000Z'), jwk: newer }],
    ] as const) {
      await store.openDeviceKeyChallenge('acct-bind-1', nonce, new Date(clock.getTime() + 300_000));
      await store.registerDeviceKey(key, nonce, event('acct-bind-1', 'holder.device_key_registered'));
    }
    expect((await store.deviceKeyOf(holderIndex))?.jwk).toEqual(newer);

    await store.revokeDeviceKey('acct-bind-1', 'new', event('acct-bind-1', 'holder.device_key_revoked'));
    expect(await store.deviceKeyOf(holderIndex)).toMatchObject({
      id: 'old',
      account: 'acct-bind-1',
      jwk: JWK,
    });
  });

  test('past a hundred keys, every one is listed newest first and the newest is the issuer’s, whatever its thumbprint', async () => {
    const account = 'acct-many-keys';
    const identity = { codeType: '111', code: '110101199001011237' };
    const holderIndex = await indexer.tokenFor(identity.codeType, identity.code);
    await store.recordProofing(proofing(account, holderIndex), { ...identity, holderIndex }, event(account));
    const newest = {
      ...JWK,
      x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0',
      y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps',
    };
    // Ids falling as registration times rise: the newest key has the lowest id, the sort key.
    const keys = Array.from({ length: 101 }, (_, i) => ({
      ...deviceKey(
        account,
        `k-${String(101 - i).padStart(3, '0')}`,
        new Date(Date.UTC(2026, 2, 2, 0, 0, i)).toISOString(),
      ),
      ...(i === 100 ? { jwk: newest } : {}),
    }));
    for (const [i, key] of keys.entries()) {
      await store.openDeviceKeyChallenge(account, `nonce-many-${i}`, new Date(clock.getTime() + 300_000));
      await store.registerDeviceKey(key, `nonce-many-${i}`, event(account, 'holder.device_key_registered'));
    }

    expect(await store.listDeviceKeys(account)).toEqual(keys.toReversed());
    expect((await store.deviceKeyOf(holderIndex))?.jwk).toEqual(newest);
  });
});

// Device keys (手机盾) with in-memory ports: registration needs a proofed account, an open
// challenge and a proof signed by the key over it; the newest active key becomes cnf.jwk of
// licenses issued afterwards, and a revoked one no longer does.

import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_SECONDS,
  type DeviceKeyDeps,
  listDeviceKeys,
  openDeviceKeyChallenge,
  registerDeviceKey,
  revokeDeviceKey,
} from '#app/device-keys.ts';
import { issueLicense } from '#app/issue-license.ts';
import { IdentityNotProofed } from '#app/proof-identity.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import { parseAuditEvent } from '#core/audit/event.ts';
import {
  DEVICE_KEY_PROOF_TYP,
  type DeviceKeyJwk,
  DeviceKeyLimitReached,
  DeviceKeyProofInvalid,
} from '#core/holders/device-key.ts';
import { decodeCompactJws } from '#core/jws.ts';
import { DeviceKeyChangedMeanwhile } from '#core/storage-errors.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import {
  DeviceKeyAlreadyRevoked,
  DeviceKeyChallengeUnknown,
  DeviceKeyNotFound,
} from '#ports/holder-store.ts';
import { hmacIndexer, issuerWorld } from '../app/issuer-fakes.ts';
import { TestAuditLog } from '../app/retrieval-fakes.ts';
import { MemoryHolderStore } from './holder-identity-fakes.ts';

const AUDIENCE = 'https://elicense.example';
const holder = DEMO_HOLDERS.zhangWeiming;

async function deviceKey() {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const jwk = { kty, crv, x, y } as DeviceKeyJwk;
  const prove = (claims: Record<string, unknown>, typ = DEVICE_KEY_PROOF_TYP) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', typ })
      .sign(privateKey);
  return { jwk, prove };
}

async function world() {
  let clock = new Date('2025-06-01T02:00:00.000Z');
  const store = new MemoryHolderStore(() => clock);
  // The holder index the issuer computes for this holder (the same indexer on both sides).
  const holderIndex = await hmacIndexer.tokenFor(holder.codeType, holder.code);
  let n = 0;
  const deps: DeviceKeyDeps = { store, audience: AUDIENCE, now: () => clock, newEventId: () => `evt-${++n}` };
  const bind = (account: string) => {
    store.bindings.set(account, {
      account,
      codeType: holder.codeType,
      code: holder.code,
      holderIndex,
      assurance: 'low',
      proofingId: 'p-1',
      boundAt: clock.toISOString(),
    });
    store.owners.set(holderIndex, account);
  };
  return { store, deps, bind, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

describe('registerDeviceKey', () => {
  it('registers a key that proves possession over an open challenge, once, with its audit event', async () => {
    const { store, deps, bind } = await world();
    bind('acct-1');
    const key = await deviceKey();
    const challenge = await openDeviceKeyChallenge('acct-1', deps);
    expect(challenge.audience).toBe(AUDIENCE);

    const registered = await registerDeviceKey(
      {
        account: 'acct-1',
        jwk: key.jwk,
        proof: await key.prove({ nonce: challenge.nonce, aud: AUDIENCE }),
        label: 'phone',
      },
      deps,
    );

    expect(registered).toMatchObject({ account: 'acct-1', jwk: key.jwk, status: 'active', label: 'phone' });
    expect(registered.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.events.map((e) => e.action)).toEqual(['holder.device_key_registered']);
    await expect(
      registerDeviceKey(
        {
          account: 'acct-1',
          jwk: key.jwk,
          proof: await key.prove({ nonce: challenge.nonce, aud: AUDIENCE }),
        },
        deps,
      ),
    ).rejects.toBeInstanceOf(DeviceKeyChallengeUnknown);
  });

  it('refuses an unproofed account, before any challenge', async () => {
    const { store, deps } = await world();
    await expect(openDeviceKeyChallenge('acct-new', deps)).rejects.toBeInstanceOf(IdentityNotProofed);
    expect(store.challenges.size).toBe(0);
  });

  it('refuses proofs by another key, for another audience, of another typ, or over an expired challenge', async () => {
    const { store, deps, bind, advance } = await world();
    bind('acct-1');
    const key = await deviceKey();
    const other = await deviceKey();
    const { nonce } = await openDeviceKeyChallenge('acct-1', deps);
    const attempts = [
      await other.prove({ nonce, aud: AUDIENCE }),
      await key.prove({ nonce, aud: 'https://elsewhere.example' }),
      await key.prove({ nonce, aud: AUDIENCE }, 'JWT'),
      'not-a-jws',
    ];
    for (const proof of attempts) {
      await expect(
        registerDeviceKey({ account: 'acct-1', jwk: key.jwk, proof }, deps),
      ).rejects.toBeInstanceOf(DeviceKeyProofInvalid);
    }
    advance(CHALLENGE_SECONDS * 1000 + 1);
    await expect(
      registerDeviceKey(
        { account: 'acct-1', jwk: key.jwk, proof: await key.prove({ nonce, aud: AUDIENCE }) },
        deps,
      ),
    ).rejects.toBeInstanceOf(DeviceKeyChallengeUnknown);
    expect(store.keys.size).toBe(0);
    expect(store.events).toHaveLength(0);
  });

  it('refuses a 101st active key, writing nothing, until one is revoked; revoked keys do not count', async () => {
    const { store, deps, bind, advance } = await world();
    bind('acct-1');
    const register = async (key: Awaited<ReturnType<typeof deviceKey>>) => {
      const { nonce } = await openDeviceKeyChallenge('acct-1', deps);
      return registerDeviceKey(
        { account: 'acct-1', jwk: key.jwk, proof: await key.prove({ nonce, aud: AUDIENCE }) },
        deps,
      );
    };
    const first = await register(await deviceKey());
    advance(1000);
    await revokeDeviceKey('acct-1', first.id, deps);
    for (let i = 0; i < 100; i += 1) {
      advance(1000);
      await register(await deviceKey());
    }
    const events = store.events.length;

    const extra = await deviceKey();
    const refused = register(extra);
    await expect(refused).rejects.toBeInstanceOf(DeviceKeyLimitReached);
    await expect(refused).rejects.toThrow('at most 100 active device keys');
    expect(store.keys.size).toBe(101);
    expect(store.events).toHaveLength(events);

    const [newest] = await store.listDeviceKeys('acct-1');
    await revokeDeviceKey('acct-1', newest!.id, deps);
    advance(1000);
    expect(await register(extra)).toMatchObject({ jwk: extra.jwk, status: 'active' });
  });
});

describe('listDeviceKeys', () => {
  async function withTwoKeys() {
    const { store, deps, bind, advance } = await world();
    bind('acct-1');
    const registered = [];
    for (const label of ['old phone', 'new phone']) {
      const key = await deviceKey();
      const { nonce } = await openDeviceKeyChallenge('acct-1', deps);
      registered.push(
        await registerDeviceKey(
          { account: 'acct-1', jwk: key.jwk, proof: await key.prove({ nonce, aud: AUDIENCE }), label },
          deps,
        ),
      );
      advance(1000);
    }
    const audit = new TestAuditLog();
    const listDeps = {
      store,
      audit,
      now: () => new Date('2025-06-02T00:00:00.000Z'),
      newEventId: () => 'read-1',
    };
    return { store, audit, listDeps, registered };
  }

  it('answers the keys once its holder.device_keys_listed event, naming key ids only, is written', async () => {
    const { audit, listDeps, registered } = await withTwoKeys();

    const { keys, auditEventId } = await listDeviceKeys('acct-1', listDeps);

    expect(keys.map((k) => k.label)).toEqual(['new phone', 'old phone']);
    expect(auditEventId).toBe('read-1');
    expect(audit.events).toEqual([
      {
        id: 'read-1',
        time: '2025-06-02T00:00:00.000Z',
        actor: { kind: 'holder', id: 'acct-1' },
        action: 'holder.device_keys_listed',
        outcome: 'success',
        details: { deviceKeys: 2, deviceKeyIds: keys.map((k) => k.id) },
      },
    ]);
    expect(parseAuditEvent(audit.events[0])).toEqual(audit.events[0]);
    // No key material beyond the thumbprints: not the coordinates, nor the labels.
    const written = JSON.stringify(audit.events);
    for (const key of registered) {
      expect(written).not.toContain(key.jwk.x);
      expect(written).not.toContain(key.jwk.y);
      expect(written).not.toContain(key.label);
    }
  });

  it('audits the read of an account with no keys too', async () => {
    const { audit, listDeps } = await withTwoKeys();

    const { keys } = await listDeviceKeys('acct-2', listDeps);

    expect(keys).toEqual([]);
    expect(audit.events).toMatchObject([
      {
        actor: { kind: 'holder', id: 'acct-2' },
        action: 'holder.device_keys_listed',
        details: { deviceKeys: 0, deviceKeyIds: [] },
      },
    ]);
  });

  it('answers nothing when its event cannot be written', async () => {
    const { audit, listDeps } = await withTwoKeys();
    audit.failing = true;

    await expect(listDeviceKeys('acct-1', listDeps)).rejects.toThrow(/audit/);
  });
});

describe('malformed device-key input', () => {
  it('refuses a proof whose nonce is not of the shape challenges have, without asking the store', async () => {
    const { store, deps, bind } = await world();
    bind('acct-1');
    const key = await deviceKey();
    await openDeviceKeyChallenge('acct-1', deps);
    for (const nonce of ['n'.repeat(2000), 'short', `${'a'.repeat(42)}=`]) {
      await expect(
        registerDeviceKey(
          { account: 'acct-1', jwk: key.jwk, proof: await key.prove({ nonce, aud: AUDIENCE }) },
          deps,
        ),
      ).rejects.toThrow(/expected the nonce of a challenge/);
    }
    expect(store.keys.size).toBe(0);
    expect(store.events).toHaveLength(0);
  });

  it('answers a revocation of an id that is no key thumbprint as not found', async () => {
    const { store, deps, bind } = await world();
    bind('acct-1');
    for (const keyId of ['k'.repeat(1100), 'no-such-key']) {
      await expect(revokeDeviceKey('acct-1', keyId, deps)).rejects.toBeInstanceOf(DeviceKeyNotFound);
    }
    expect(store.events).toHaveLength(0);
  });
});

describe('cnf at issuance', () => {
  const PSB = { agency: DEMO_USCC.publicSecurityBureau };
  const request = {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
    data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
  };
  const cnfOf = (sdJwt: string) => decodeCompactJws(sdJwt.split('~')[0]!).payload.cnf;

  it('binds a license to the holder’s newest active device key, and stops once it is revoked', async () => {
    const { store, deps, bind } = await world();
    bind('acct-1');
    const key = await deviceKey();
    const { nonce } = await openDeviceKeyChallenge('acct-1', deps);
    const registered = await registerDeviceKey(
      { account: 'acct-1', jwk: key.jwk, proof: await key.prove({ nonce, aud: AUDIENCE }) },
      deps,
    );
    const issuer = issuerWorld();
    issuer.licenses.deviceKeyActive = store.deviceKeyActive;

    const withoutLookup = await issueLicense(request, PSB, issuer.deps);
    const bound = await issueLicense(request, PSB, { ...issuer.deps, holderKeys: store });
    await revokeDeviceKey('acct-1', registered.id, deps);
    const afterRevocation = await issueLicense(request, PSB, { ...issuer.deps, holderKeys: store });

    expect(cnfOf(withoutLookup.sdJwt)).toBeUndefined();
    expect(cnfOf(bound.sdJwt)).toEqual({ jwk: key.jwk });
    expect(cnfOf(afterRevocation.sdJwt)).toBeUndefined();
    await expect(revokeDeviceKey('acct-1', registered.id, deps)).rejects.toBeInstanceOf(
      DeviceKeyAlreadyRevoked,
    );
  });

  /** A holder with two keys registered a second apart (the second the newest), and an issuer. */
  async function twoKeys() {
    const { store, deps, bind, advance } = await world();
    bind('acct-1');
    const register = async () => {
      const key = await deviceKey();
      const { nonce } = await openDeviceKeyChallenge('acct-1', deps);
      const { id } = await registerDeviceKey(
        { account: 'acct-1', jwk: key.jwk, proof: await key.prove({ nonce, aud: AUDIENCE }) },
        deps,
      );
      advance(1000);
      return { id, jwk: key.jwk };
    };
    const older = await register();
    const newer = await register();
    const issuer = issuerWorld();
    issuer.licenses.deviceKeyActive = store.deviceKeyActive;
    const issuerDeps = { ...issuer.deps, holderKeys: store };
    return { issuer, issuerDeps, older, newer, revoke: (id: string) => revokeDeviceKey('acct-1', id, deps) };
  }

  it('binds the key active at the write when the one read was revoked while the license was signed', async () => {
    const { issuer, issuerDeps, older, newer, revoke } = await twoKeys();
    // The holder revokes the lost phone's key after the issuer read it, before the license lands.
    issuer.licenses.beforeNextIssue = async () => void (await revoke(newer.id));

    const issued = await issueLicense(request, PSB, issuerDeps);

    expect(cnfOf(issued.sdJwt)).toEqual({ jwk: older.jwk });
    const stored = issuer.licenses.records.get(issued.licenseId)!;
    expect(cnfOf(stored.content.issuerJwt as string)).toEqual({ jwk: older.jwk });
    // One license, one audit event, one slot: the refused write left nothing and drew no other slot.
    expect(issuer.licenses.records.size).toBe(1);
    expect(issuer.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
    expect(issuer.statusLists.drawn).toEqual([stored.statusSlot]);
  });

  it('binds no key when the holder revoked their only active one meanwhile', async () => {
    const { issuer, issuerDeps, older, newer, revoke } = await twoKeys();
    await revoke(older.id);
    issuer.licenses.beforeNextIssue = async () => void (await revoke(newer.id));

    const issued = await issueLicense(request, PSB, issuerDeps);

    expect(cnfOf(issued.sdJwt)).toBeUndefined();
  });

  it('re-issues bound to the key active at the write when the one read was revoked meanwhile', async () => {
    const { issuer, issuerDeps, older, newer, revoke } = await twoKeys();
    const first = await issueLicense(request, PSB, issuerDeps);
    expect(cnfOf(first.sdJwt)).toEqual({ jwk: newer.jwk });
    issuer.licenses.beforeNextReissue = async () => void (await revoke(newer.id));

    const next = await reissueLicense({ licenseId: first.licenseId, reason: '补领' }, PSB, issuerDeps);

    expect(cnfOf(next.sdJwt)).toEqual({ jwk: older.jwk });
    expect(issuer.licenses.records.get(first.licenseId)?.status).toBe('superseded');
  });

  it('answers a conflict, writing nothing, when the key keeps changing under the issue', async () => {
    const { issuer, issuerDeps } = await twoKeys();
    // Every key read is revoked again before its write lands.
    issuer.licenses.deviceKeyActive = () => false;

    const refused = await issueLicense(request, PSB, issuerDeps).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(DeviceKeyChangedMeanwhile);
    expect(asProblem(refused)).toMatchObject({
      status: 409,
      extensions: { code: 'DEVICE_KEY_CHANGED_MEANWHILE' },
    });

    expect(issuer.licenses.records.size).toBe(0);
    expect(issuer.licenses.audit).toHaveLength(0);
    // Drawn once, as for any refused write: the second signing used the same slot.
    expect(issuer.statusLists.drawn).toHaveLength(1);
  });
});

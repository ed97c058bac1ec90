// Creating and revoking holder grants (用证授权) through the operator, over in-memory ports:
// terms checked against the catalog, the grant stored with its audit event, the code once.
import { beforeEach, describe, expect, it } from 'vitest';
import { type CreateGrantRequest, createGrant } from '#app/create-grant.ts';
import { GrantRequestInvalid, LicenseTypeNotFound } from '#app/retrieval-errors.ts';
import { revokeGrant } from '#app/revoke-grant.ts';
import type { Grant } from '#core/grants/grant.ts';
import { isGrantCodeShape } from '#core/grants/grant-code.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { LicenseNotFound } from '#core/storage-errors.ts';
import { DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC, RESIDENT_IDENTITY_CARD } from '#dev/demo/catalog.ts';
import { GrantAlreadyRevoked, GrantNotFound } from '#ports/grant-store.ts';
import { blindIndexer, RetrievalWorld } from './retrieval-fakes.ts';

const ID_CARD = DEMO_LICENSES[0]!;
const OPERATOR = { kind: 'operator' as const, id: DEMO_USCC.platformOperator, keyId: 'demo-operator-1' };
let world: RetrievalWorld;

beforeEach(() => {
  world = new RetrievalWorld();
});

function request(overrides: Partial<CreateGrantRequest> = {}): CreateGrantRequest {
  return {
    actor: OPERATOR,
    scope: { typeCode: ID_CARD.typeCode, holder: { codeType: '111', code: ID_CARD.holder.code } },
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    purpose: '办理住房公积金提取',
    fields: ['姓名', '公民身份号码'],
    expiresAt: '2025-06-08T10:00:00+08:00',
    maxUses: 5,
    ...overrides,
  };
}

describe('creating a grant', () => {
  it('on one license, names it across versions, as its holder, and returns a code once', async () => {
    const license = await world.issue(ID_CARD);

    const { grant, code } = await createGrant(
      request({ scope: { licenseId: license.id } }),
      world.grantDeps(),
    );

    expect(grant.value).toMatchObject({
      scope: { kind: 'license', licenseId: license.licenseKey },
      holderIndex: license.holderIndex,
      status: 'active',
      uses: 0,
      expiresAt: '2025-06-08T02:00:00.000Z',
    });
    expect(isGrantCodeShape(code)).toBe(true);
    expect((await world.grants.findByCode(code))?.value.id).toBe(grant.value.id);
  });

  it('on a type, binds it to the holder by blind index', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());

    expect(grant.value.scope).toEqual({ kind: 'type', typeCode: ID_CARD.typeCode });
    expect(grant.value.holderIndex).toBe(await blindIndexer.tokenFor('111', ID_CARD.holder.code));
  });

  it('records the grant.created event with the grant, naming no holder code', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());

    expect(world.audit.events).toEqual([
      {
        id: 'evt-1',
        time: '2025-06-01T02:00:00.000Z',
        actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
        action: 'grant.created',
        subject: { grantId: grant.value.id, typeCode: ID_CARD.typeCode },
        basis: { purpose: '办理住房公积金提取' },
        outcome: 'success',
        details: {
          relyingAgency: DEMO_USCC.housingProvidentFundCentre,
          scope: 'type',
          fields: ['姓名', '公民身份号码'],
          expiresAt: '2025-06-08T02:00:00.000Z',
          maxUses: 5,
          keyId: 'demo-operator-1',
        },
      },
    ]);
    expect(JSON.stringify(world.audit.events)).not.toContain(ID_CARD.holder.code);
  });

  it('refuses fields the type lacks or does not let out on their own, naming each', async () => {
    world.config.types.set(DEMO_TYPE_CODE.residentIdentityCard, {
      ...RESIDENT_IDENTITY_CARD,
      fields: RESIDENT_IDENTITY_CARD.fields.map((f) =>
        f.name === '民族' ? { ...f, disclosable: false } : f,
      ),
    });

    const refused = createGrant(request({ fields: ['姓名', '血型', '民族', '姓名'] }), world.grantDeps());

    await expect(refused).rejects.toBeInstanceOf(GrantRequestInvalid);
    await expect(refused).rejects.toMatchObject({
      errors: [
        { path: 'fields.1', message: expect.stringContaining('no field 血型') },
        { path: 'fields.2', message: expect.stringContaining('民族') },
        { path: 'fields', message: 'fields must be distinct' },
      ],
    });
    expect(world.audit.events).toEqual([]);
  });

  it('refuses a relying agency that is not registered, or not registered as relying', async () => {
    const unknown = createGrant(request({ relyingAgency: '12330100D00000160X' }), world.grantDeps());
    const issuer = createGrant(request({ relyingAgency: DEMO_USCC.publicSecurityBureau }), world.grantDeps());

    await expect(unknown).rejects.toMatchObject({ errors: [{ path: 'relyingAgency' }] });
    await expect(issuer).rejects.toMatchObject({
      errors: [{ path: 'relyingAgency', message: expect.stringContaining('not relying') }],
    });
  });

  it('refuses an expiry that is not in the future', async () => {
    const refused = createGrant(request({ expiresAt: '2025-06-01T02:00:00.000Z' }), world.grantDeps());

    await expect(refused).rejects.toMatchObject({ errors: [{ path: 'expiresAt' }] });
  });

  it('refuses a purpose naming an identity number, storing and auditing nothing', async () => {
    // The purpose is audited with the grant and with every retrieval on it.
    const refused = createGrant(
      request({
        purpose: `为持证人 ${ID_CARD.holder.code.replace(/(.{6})(.{8})/, '$1 $2 ')} 办理公积金提取`,
      }),
      world.grantDeps(),
    );

    await expect(refused).rejects.toBeInstanceOf(IdentityNumberInText);
    await expect(refused).rejects.toMatchObject({ errors: [{ path: 'purpose' }] });
    expect(world.audit.events).toEqual([]);
  });

  it('answers a license or type that does not exist with not found', async () => {
    const license = createGrant(
      request({ scope: { licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.NOSUCH1' } }),
      world.grantDeps(),
    );
    const type = createGrant(
      request({
        scope: { typeCode: '11100000D00000013G999', holder: { codeType: '111', code: ID_CARD.holder.code } },
      }),
      world.grantDeps(),
    );

    await expect(license).rejects.toBeInstanceOf(LicenseNotFound);
    await expect(type).rejects.toBeInstanceOf(LicenseTypeNotFound);
  });
});

describe('revoking a grant', () => {
  const deps = () => ({ grants: world.grants, now: world.clock.now, newEventId: world.newEventId });

  it('revokes it and records grant.revoked with the reason', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());
    world.clock.set('2025-06-02T00:00:00.000Z');

    const revoked = await revokeGrant(
      { actor: OPERATOR, grantId: grant.value.id, reason: '持证人撤回授权' },
      deps(),
    );

    expect(revoked.value).toMatchObject({ status: 'revoked', revoked: '2025-06-02T00:00:00.000Z' });
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'grant.revoked',
      time: '2025-06-02T00:00:00.000Z',
      subject: { grantId: grant.value.id, typeCode: ID_CARD.typeCode },
      details: { reason: '持证人撤回授权', usesBefore: 0 },
    });
  });

  /**
   * Hooks the world's grant reads: after each read the `landsAfter` says, a use of the grant lands
   * (a retrieval under it). Counts the reads; `unhooked` reads as before.
   */
  function useAfterReads(grant: Grant, landsAfter: (read: number) => boolean) {
    const unhooked = world.grants.get.bind(world.grants);
    const reads = { count: 0, unhooked };
    world.grants.get = async (grantId) => {
      const read = await unhooked(grantId);
      reads.count += 1;
      if (landsAfter(reads.count)) {
        await world.grants.use(grant.id, '2025-06-01T12:00:00.000Z', {
          id: `use-${reads.count}`,
          time: '2025-06-01T12:00:00.000Z',
          actor: { kind: 'agency', id: grant.relyingAgency },
          action: 'grant.used',
          subject: { grantId: grant.id },
          outcome: 'success',
        });
      }
      return read;
    };
    return reads;
  }

  it('records the uses at the revocation: a use landing between its read and its write makes it read again', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());
    const id = grant.value.id;
    // A retrieval under the grant lands right after the revocation's first read.
    const reads = useAfterReads(grant.value, (read) => read === 1);

    await revokeGrant({ actor: OPERATOR, grantId: id }, deps());

    expect(reads.count).toBe(2);
    expect(world.audit.events.filter((e) => e.action === 'grant.revoked')).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ usesBefore: 1 }) }),
    ]);
  });

  it('revokes all the same when uses keep landing between its reads and its writes, its event saying the count is a lower bound', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());
    const id = grant.value.id;
    const reads = useAfterReads(grant.value, () => true);

    const revoked = await revokeGrant({ actor: OPERATOR, grantId: id }, deps());

    // Four reads, each followed by a use; the last write is conditioned on the status alone, and
    // once revoked the grant counts no more uses: its count is exact, the event's is as last read.
    expect(revoked.value).toMatchObject({ status: 'revoked', uses: 4 });
    expect(await reads.unhooked(id)).toEqual(revoked);
    const events = world.audit.events.filter((e) => e.action === 'grant.revoked');
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ usesAtLeast: 3 });
    expect(events[0]!.details).not.toHaveProperty('usesBefore');
  });

  it('refuses a reason naming an identity number, leaving the grant active and recording nothing', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());
    const events = world.audit.events.length;

    const refused = revokeGrant(
      { actor: OPERATOR, grantId: grant.value.id, reason: `持证人（${ID_CARD.holder.code}）撤回授权` },
      deps(),
    );

    await expect(refused).rejects.toMatchObject({
      name: 'IdentityNumberInText',
      errors: [{ path: 'reason' }],
    });
    expect((await world.grants.get(grant.value.id))?.value.status).toBe('active');
    expect(world.audit.events).toHaveLength(events);
  });

  it('answers an unknown grant with not found and a revoked one with already revoked, recording nothing', async () => {
    const { grant } = await createGrant(request(), world.grantDeps());
    await revokeGrant({ actor: OPERATOR, grantId: grant.value.id }, deps());
    const events = world.audit.events.length;

    await expect(revokeGrant({ actor: OPERATOR, grantId: 'no-such-grant' }, deps())).rejects.toBeInstanceOf(
      GrantNotFound,
    );
    await expect(revokeGrant({ actor: OPERATOR, grantId: grant.value.id }, deps())).rejects.toBeInstanceOf(
      GrantAlreadyRevoked,
    );
    expect(world.audit.events).toHaveLength(events);
  });
});

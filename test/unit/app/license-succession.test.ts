// The successor (承继机关) of a dissolved or merged issuing agency acts on its licenses through the
// issuer's own use cases, with in-memory ports: it suspends, reinstates (when registered for the
// type) and revokes them, each audit event naming it and whom it succeeds; it may not re-issue
// them (the identifier names the original issuer); everyone else is still refused.

import { describe, expect, it } from 'vitest';
import { attachLicenseDocument } from '#app/attach-license-document.ts';
import { changeLicenseStatus } from '#app/change-license-status.ts';
import { issueLicense } from '#app/issue-license.ts';
import { IssuerNotRegistered, NotTheIssuer, SuccessorCannotReissue } from '#app/issuer-errors.ts';
import type { LicenseRequest } from '#app/license-issuance.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import { SuccessionUnresolved } from '#app/succession.ts';
import { verifySdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const AMR = { agency: DEMO_USCC.marketRegulationBureau };
const VEHICLE = { agency: DEMO_USCC.vehicleAdministration };
const NOW = new Date('2025-06-01T02:00:00.000Z');
const ID_CARD = DEMO_TYPE_CODE.residentIdentityCard;

const card: LicenseRequest = {
  typeCode: ID_CARD,
  holder: {
    name: DEMO_HOLDERS.zhangWeiming.name,
    codeType: DEMO_HOLDERS.zhangWeiming.codeType,
    code: DEMO_HOLDERS.zhangWeiming.code,
  },
  data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
};

type World = ReturnType<typeof issuerWorld>;

/** The operator's designation, as the registry then holds it: `successor` on the predecessor's record. */
function designate(world: World, predecessor: string, successor: string): void {
  const at = world.catalog.agencies.findIndex((a) => a.uscc === predecessor);
  world.catalog.agencies[at] = { ...world.catalog.agencies[at]!, successor };
}

/** 机构撤并: the bureau loses the issuer role and the market regulation bureau takes over. */
async function dissolvedBureau() {
  const world = issuerWorld(NOW);
  const license = await issueLicense(card, PSB, world.deps);
  const at = world.catalog.agencies.findIndex((a) => a.uscc === PSB.agency);
  world.catalog.agencies[at] = { ...world.catalog.agencies[at]!, roles: ['relying'] };
  world.catalog.removeIssuer(ID_CARD, PSB.agency);
  designate(world, PSB.agency, AMR.agency);
  return { world, license };
}

async function verify(world: World, sdJwt: string) {
  return verifySdJwtVc(sdJwt, {
    now: NOW.getTime() / 1000,
    resolveIssuerKey: (_iss, kid) => [...world.catalog.seals.values()].find((s) => s.kid === kid)?.publicJwk,
    status: (ref) =>
      world.licenses.slotValue({ listId: decodeURIComponent(ref.uri.split('/').at(-1)!), index: ref.idx }) ??
      3,
  });
}

describe('the successor of a dissolved issuer', () => {
  it('suspends, reinstates and revokes its licenses; each event names the successor and whom it succeeds', async () => {
    const { world, license } = await dissolvedBureau();
    const { licenseId } = license;
    // Reinstating is issuing again: the successor is registered for the type.
    world.catalog.types = world.catalog.types.map((t) =>
      t.code === ID_CARD ? { ...t, issuers: [...t.issuers, AMR.agency] } : t,
    );

    const suspended = await changeLicenseStatus(
      { licenseId, action: 'suspend', reason: '挂失' },
      AMR,
      world.deps,
    );
    expect(suspended).toMatchObject({ licenseId, status: 'suspended', statusList: license.statusList });
    await changeLicenseStatus({ licenseId, action: 'reinstate' }, AMR, world.deps);
    expect((await verify(world, license.sdJwt)).valid).toBe(true);
    await changeLicenseStatus({ licenseId, action: 'revoke', reason: '机构撤并后注销' }, AMR, world.deps);

    const verified = await verify(world, license.sdJwt);
    expect(verified.valid).toBe(false);
    expect(verified.checks.status).toMatch(/^failed: revoked/);
    expect(world.licenses.records.get(licenseId)).toMatchObject({ status: 'revoked' });
    const changes = world.licenses.audit.slice(1);
    expect(changes.map((e) => [e.action, e.actor, e.details])).toEqual([
      [
        'license.suspended',
        { kind: 'agency', id: AMR.agency },
        { from: 'valid', to: 'suspended', reason: '挂失', asSuccessorOf: PSB.agency },
      ],
      [
        'license.resumed',
        { kind: 'agency', id: AMR.agency },
        { from: 'suspended', to: 'valid', reason: null, asSuccessorOf: PSB.agency },
      ],
      [
        'license.revoked',
        { kind: 'agency', id: AMR.agency },
        { from: 'valid', to: 'revoked', reason: '机构撤并后注销', asSuccessorOf: PSB.agency },
      ],
    ]);
  });

  it('withdraws without being registered for the type, and reinstates only once registered', async () => {
    const { world, license } = await dissolvedBureau();
    const { licenseId } = license;
    await changeLicenseStatus({ licenseId, action: 'suspend', reason: '挂失' }, AMR, world.deps);
    const refused = changeLicenseStatus({ licenseId, action: 'reinstate' }, AMR, world.deps);
    await expect(refused).rejects.toBeInstanceOf(IssuerNotRegistered);
    await expect(refused).rejects.toThrow(
      `agency ${AMR.agency} is not registered as an issuer of type ${ID_CARD}`,
    );
    expect(world.licenses.records.get(licenseId)).toMatchObject({ status: 'suspended' });
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued', 'license.suspended']);
  });

  it('refuses every other agency as before (NotTheIssuer), and the successor of nobody', async () => {
    const { world, license } = await dissolvedBureau();
    const { licenseId } = license;
    const refused = changeLicenseStatus({ licenseId, action: 'revoke', reason: 'x' }, VEHICLE, world.deps);
    await expect(refused).rejects.toBeInstanceOf(NotTheIssuer);
    await expect(refused).rejects.toThrow(
      `license ${licenseId} was issued by ${PSB.agency}; agency ${VEHICLE.agency} may not change it`,
    );
    // Without a designation the market regulation bureau is any other agency.
    const undesignated = issuerWorld(NOW);
    const other = await issueLicense(card, PSB, undesignated.deps);
    await expect(
      changeLicenseStatus(
        { licenseId: other.licenseId, action: 'suspend', reason: 'x' },
        AMR,
        undesignated.deps,
      ),
    ).rejects.toBeInstanceOf(NotTheIssuer);
    expect(world.licenses.records.get(licenseId)).toMatchObject({ status: 'valid' });
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });

  it('may not re-issue (409): the new version’s identifier would name the predecessor as its issuer', async () => {
    const { world, license } = await dissolvedBureau();
    const { licenseId } = license;
    const refused = reissueLicense({ licenseId, reason: '换发' }, AMR, world.deps);
    await expect(refused).rejects.toBeInstanceOf(SuccessorCannotReissue);
    await expect(refused).rejects.toMatchObject({ code: 'SUCCESSOR_CANNOT_REISSUE' });
    await expect(refused).rejects.toThrow(/GB\/T 36904 identifier names .* as its issuer/);
    await expect(reissueLicense({ licenseId }, VEHICLE, world.deps)).rejects.toBeInstanceOf(NotTheIssuer);
    expect([...world.licenses.records.keys()]).toEqual([licenseId]);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });

  it('attaches no layout document to them: that amends the predecessor’s license', async () => {
    const { world, license } = await dissolvedBureau();
    const pdf = new TextEncoder().encode('%PDF-1.7\n%demo\n');
    await expect(
      attachLicenseDocument(
        { licenseId: license.licenseId, bytes: pdf, mediaType: 'application/pdf' },
        AMR,
        world.deps,
      ),
    ).rejects.toBeInstanceOf(NotTheIssuer);
    expect(world.documents.stored.size).toBe(0);
  });
});

describe('a chain of successions', () => {
  it('resolves to its last agency: after A → B → C only C acts for A, B no longer does', async () => {
    const { world, license } = await dissolvedBureau();
    const { licenseId } = license;
    designate(world, AMR.agency, VEHICLE.agency);
    await expect(
      changeLicenseStatus({ licenseId, action: 'suspend', reason: '挂失' }, AMR, world.deps),
    ).rejects.toBeInstanceOf(NotTheIssuer);
    await changeLicenseStatus({ licenseId, action: 'suspend', reason: '挂失' }, VEHICLE, world.deps);
    expect(world.licenses.audit.at(-1)).toMatchObject({
      action: 'license.suspended',
      actor: { kind: 'agency', id: VEHICLE.agency },
      details: { asSuccessorOf: PSB.agency },
    });
  });

  it('refuses to act on a loop two designations raced into, naming it a loop', async () => {
    const { world, license } = await dissolvedBureau();
    designate(world, AMR.agency, PSB.agency);
    const refused = changeLicenseStatus(
      { licenseId: license.licenseId, action: 'revoke', reason: 'x' },
      AMR,
      world.deps,
    );
    await expect(refused).rejects.toBeInstanceOf(SuccessionUnresolved);
    await expect(refused).rejects.toMatchObject({ code: 'SUCCESSION_UNRESOLVED' });
    await expect(refused).rejects.toThrow(
      `the successors of ${PSB.agency} loop: ${PSB.agency} → ${AMR.agency} → ${PSB.agency}`,
    );
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });
});

describe('the original issuer', () => {
  it('keeps its own rules with a successor designated: still an issuer, it changes its licenses as before', async () => {
    const world = issuerWorld(NOW);
    const { licenseId } = await issueLicense(card, PSB, world.deps);
    designate(world, PSB.agency, AMR.agency);
    await changeLicenseStatus({ licenseId, action: 'suspend', reason: '挂失' }, PSB, world.deps);
    await changeLicenseStatus({ licenseId, action: 'reinstate' }, PSB, world.deps);
    const reissued = await reissueLicense({ licenseId, reason: '换发' }, PSB, world.deps);
    expect(reissued.supersedes).toBe(licenseId);
    expect(world.licenses.audit.map((e) => [e.action, e.actor.id, e.details?.asSuccessorOf])).toEqual([
      ['license.issued', PSB.agency, undefined],
      ['license.suspended', PSB.agency, undefined],
      ['license.resumed', PSB.agency, undefined],
      ['license.reissued', PSB.agency, undefined],
    ]);
  });

  it('removed from the type’s issuers, still suspends and revokes what it issued, next to its successor', async () => {
    const { world, license } = await dissolvedBureau();
    await changeLicenseStatus(
      { licenseId: license.licenseId, action: 'suspend', reason: '挂失' },
      PSB,
      world.deps,
    );
    await expect(
      changeLicenseStatus({ licenseId: license.licenseId, action: 'reinstate' }, PSB, world.deps),
    ).rejects.toBeInstanceOf(IssuerNotRegistered);
    await changeLicenseStatus(
      { licenseId: license.licenseId, action: 'revoke', reason: '注销' },
      AMR,
      world.deps,
    );
    expect(world.licenses.records.get(license.licenseId)).toMatchObject({ status: 'revoked' });
  });
});

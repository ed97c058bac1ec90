// A license sealed with a key the operator has since withdrawn fails every verification. What
// hands it out says so: retrieval, the holder's listing and single read, a presentation resolved
// by a verifier flag it (`sealWithdrawn`, in the answer and the audit event); a holder's new
// presentation of it and the issuer's copy answered again are refused 409 LICENSE_SEAL_WITHDRAWN.
// A license whose key still verifies carries no flag.
import { beforeEach, describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { createGrant } from '#app/create-grant.ts';
import { listHolderLicenses, openHolderLicense } from '#app/holder-licenses.ts';
import { createPresentation, resolvePresentation } from '#app/holder-presentations.ts';
import { issueLicense } from '#app/issue-license.ts';
import { issuerCopy } from '#app/issuer-copy.ts';
import { LicenseSealWithdrawn } from '#app/issuer-errors.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import { retrieveLicense } from '#app/retrieve-license.ts';
import { type Agency, withSealKeyWithdrawn } from '#core/catalog/agency.ts';
import { decodeCompactJws } from '#core/jws.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { ACCOUNTS, HolderWorld } from './holder-fakes.ts';
import { issuerWorld } from './issuer-fakes.ts';

const [ZHANG_CARD, , , ZHANG_DRIVING] = DEMO_LICENSES;
const WITHDRAWN_AT = '2025-05-31T08:00:00.000Z';
const kidOf = (sdJwt: string) => decodeCompactJws(sdJwt.split('~', 1)[0]!).header.kid as string;

/** The agency with its current seal key withdrawn, as withdraw-seal-key.ts writes it: a new key takes its place. */
function withdrawCurrentSeal(agency: Agency): Agency {
  const replacement = new SoftwareEs256Signer(`${agency.sealKey!.kid}-next`);
  return withSealKeyWithdrawn(
    agency,
    agency.sealKey!.kid,
    { at: WITHDRAWN_AT, reason: '备份介质遗失', operator: DEMO_USCC.platformOperator },
    { keyRef: `${agency.sealKey!.keyRef}-next`, kid: replacement.kid },
  );
}

describe('a license sealed with a withdrawn key, read by its holder and relying agencies', () => {
  let world: HolderWorld;
  const deps = () => world.holderDeps();
  const withdraw = (uscc: string) =>
    world.config.agencies.set(uscc, withdrawCurrentSeal(world.config.agencies.get(uscc)!));

  beforeEach(async () => {
    world = await HolderWorld.create();
  });

  it('is flagged in the holder’s listing — only the licenses of that key — and in the listed event', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const driving = await world.issue(ZHANG_DRIVING!);
    const kid = kidOf(asIssuerJwt(card.content));
    expect(card.issuerCode).not.toBe(driving.issuerCode);

    const before = await listHolderLicenses({ account: ACCOUNTS.zhang }, deps());
    expect(before.licenses.every((l) => l.sealWithdrawn === undefined)).toBe(true);

    withdraw(card.issuerCode);
    const { licenses, auditEventId } = await listHolderLicenses({ account: ACCOUNTS.zhang }, deps());

    const flagged = licenses.find((l) => l.licenseId === card.id)!;
    expect(flagged.status).toBe('valid');
    expect(flagged.sealWithdrawn).toEqual({
      kid,
      since: WITHDRAWN_AT,
      detail: expect.stringMatching(/withdrawn since .*fails verification until its issuer re-issues it/),
    });
    expect(licenses.find((l) => l.licenseId === driving.id)!.sealWithdrawn).toBeUndefined();
    expect(world.audit.events.at(-1)).toMatchObject({
      id: auditEventId,
      action: 'holder.licenses_listed',
      details: { licenses: 2, sealWithdrawn: 1 },
    });
  });

  it('is flagged in the holder’s single read and its audit event; another license is not', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const driving = await world.issue(ZHANG_DRIVING!);
    withdraw(card.issuerCode);

    const detail = await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: card.id }, deps());

    expect(detail.license.sealWithdrawn).toMatchObject({
      kid: kidOf(detail.credential),
      since: WITHDRAWN_AT,
    });
    expect(world.audit.events.at(-1)).toMatchObject({
      id: detail.auditEventId,
      action: 'license.holder_viewed',
      details: { sealWithdrawn: kidOf(detail.credential) },
    });
    const other = await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: driving.id }, deps());
    expect(other.license.sealWithdrawn).toBeUndefined();
    expect(world.audit.events.at(-1)!.details).not.toHaveProperty('sealWithdrawn');
  });

  it('is refused 409 LICENSE_SEAL_WITHDRAWN for a new presentation, recording nothing', async () => {
    const card = await world.issue(ZHANG_CARD!);
    withdraw(card.issuerCode);
    const events = world.audit.events.length;

    for (const form of ['sd-jwt', 'reference'] as const) {
      const refused = await createPresentation(
        { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form },
        deps(),
      ).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(LicenseSealWithdrawn);
      expect(asProblem(refused)).toMatchObject({
        status: 409,
        // The holder knows the license; the issuer's key is no business of hers.
        extensions: { code: 'LICENSE_SEAL_WITHDRAWN', licenseId: card.id },
        message: expect.stringMatching(/withdrawn.*verifier.*re-issue/),
      });
    }
    expect(world.audit.events.length).toBe(events);
    expect(world.presentations.stored.size).toBe(0);
  });

  it('is flagged when a reference made before the withdrawal is resolved', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const created = await createPresentation(
      { account: ACCOUNTS.zhang, licenseId: card.id, fields: ['姓名'], form: 'reference', maxResolutions: 2 },
      deps(),
    );
    if (created.form !== 'reference') throw new Error('expected the reference form');
    const sound = await resolvePresentation({ reference: created.reference, verifier: {} }, deps());
    expect(sound.sealWithdrawn).toBeUndefined();

    withdraw(card.issuerCode);
    const resolved = await resolvePresentation({ reference: created.reference, verifier: {} }, deps());

    expect(resolved.sealWithdrawn).toMatchObject({ kid: kidOf(resolved.presentation), since: WITHDRAWN_AT });
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'presentation.resolved',
      details: { resolution: 2, sealWithdrawn: kidOf(resolved.presentation) },
    });
  });

  it('is flagged to the relying agency that retrieves it, and in the retrieval event', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const driving = await world.issue(ZHANG_DRIVING!);
    const { code } = await createGrant(
      {
        actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
        scope: { licenseId: card.id },
        relyingAgency: DEMO_USCC.housingProvidentFundCentre,
        purpose: '办理住房公积金提取',
        fields: ['姓名'],
        expiresAt: '2025-06-08T02:00:00.000Z',
        maxUses: 3,
      },
      world.grantDeps(),
    );
    const { code: drivingCode } = await createGrant(
      {
        actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
        scope: { licenseId: driving.id },
        relyingAgency: DEMO_USCC.housingProvidentFundCentre,
        purpose: '办理住房公积金提取',
        fields: ['姓名'],
        expiresAt: '2025-06-08T02:00:00.000Z',
        maxUses: 3,
      },
      world.grantDeps(),
    );
    const retrieve = (grantCode: string, licenseId: string) =>
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.housingProvidentFundCentre, keyId: 'key-1' },
          target: { licenseId },
          basis: { grant: { code: grantCode } },
        },
        world.retrievalDeps(),
      );
    const sound = await retrieve(code, card.id);
    expect(sound.sealWithdrawn).toBeUndefined();
    expect(decodeCompactJws(sound.annotation).payload).not.toHaveProperty('seal_withdrawn');
    expect(world.audit.events.at(-1)!.details).not.toHaveProperty('sealWithdrawn');

    withdraw(card.issuerCode);
    const retrieval = await retrieve(code, card.id);

    expect(retrieval.sealWithdrawn).toMatchObject({
      kid: kidOf(retrieval.presentation),
      since: WITHDRAWN_AT,
    });
    // The platform-signed copy says it too, for a relying agency that trusts it offline.
    expect(decodeCompactJws(retrieval.annotation).payload.seal_withdrawn).toEqual({
      kid: kidOf(retrieval.presentation),
      since: WITHDRAWN_AT,
    });
    expect(world.audit.events.at(-1)).toMatchObject({
      id: retrieval.auditEventId,
      action: 'license.retrieved',
      outcome: 'success',
      details: { sealWithdrawn: kidOf(retrieval.presentation) },
    });
    expect((await retrieve(drivingCode, driving.id)).sealWithdrawn).toBeUndefined();
  });
});

describe('the issuer’s copy of a license sealed with a since withdrawn key, asked for again', () => {
  const PSB = { agency: DEMO_USCC.publicSecurityBureau };
  const card = {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    holder: {
      name: DEMO_HOLDERS.zhangWeiming.name,
      codeType: DEMO_HOLDERS.zhangWeiming.codeType,
      code: DEMO_HOLDERS.zhangWeiming.code,
    },
    data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
  };

  it('is refused 409 LICENSE_SEAL_WITHDRAWN, handing out and recording nothing; before, it is handed out', async () => {
    const world = issuerWorld();
    const { licenseId, sdJwt } = await issueLicense(card, PSB, world.deps);
    expect(await issuerCopy(licenseId, PSB, world.deps)).toBe(sdJwt);

    const agencies = world.catalog.agencies;
    const at = agencies.findIndex((a) => a.uscc === PSB.agency);
    agencies[at] = withdrawCurrentSeal(agencies[at]!);
    const events = world.licenses.audit.length;

    const refused = await issuerCopy(licenseId, PSB, world.deps).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(LicenseSealWithdrawn);
    // An agency whose first answer was lost learns, machine-readably, which license to re-issue.
    expect(asProblem(refused)).toMatchObject({
      status: 409,
      extensions: { code: 'LICENSE_SEAL_WITHDRAWN', licenseId, version: '001', kid: kidOf(sdJwt) },
      message: expect.stringMatching(/withdrawn.*re-issue it/),
    });
    expect((asProblem(refused) as { extensions: object }).extensions).not.toHaveProperty('currentLicenseId');
    expect(world.licenses.audit.length).toBe(events);
  });

  it('names the current version, not "re-issue it", when the agency has re-issued it meanwhile', async () => {
    const world = issuerWorld();
    const { licenseId, sdJwt } = await issueLicense(card, PSB, world.deps);
    const agencies = world.catalog.agencies;
    const at = agencies.findIndex((a) => a.uscc === PSB.agency);
    agencies[at] = withdrawCurrentSeal(agencies[at]!);
    world.catalog.seals.set(
      agencies[at]!.sealKey!.keyRef,
      new SoftwareEs256Signer(agencies[at]!.sealKey!.kid),
    );
    const reissued = await reissueLicense({ licenseId, reason: '换发' }, PSB, world.deps);
    const events = world.licenses.audit.length;

    const refused = await issuerCopy(licenseId, PSB, world.deps).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(LicenseSealWithdrawn);
    const problem = asProblem(refused) as { message: string; extensions: Record<string, unknown> };
    expect(problem).toMatchObject({
      status: 409,
      extensions: {
        code: 'LICENSE_SEAL_WITHDRAWN',
        licenseId,
        version: '001',
        kid: kidOf(sdJwt),
        currentLicenseId: reissued.licenseId,
        currentVersion: '002',
      },
    });
    expect(problem.message).toContain(`superseded`);
    expect(problem.message).toContain(reissued.licenseId);
    expect(problem.message).not.toMatch(/re-issue it/);
    expect(world.licenses.audit.length).toBe(events);
  });

  it('says the current version needs re-issuing too when it was re-issued before the withdrawal', async () => {
    const world = issuerWorld();
    const { licenseId } = await issueLicense(card, PSB, world.deps);
    const reissued = await reissueLicense({ licenseId, reason: '换发' }, PSB, world.deps);
    const agencies = world.catalog.agencies;
    const at = agencies.findIndex((a) => a.uscc === PSB.agency);
    agencies[at] = withdrawCurrentSeal(agencies[at]!);

    const refused = await issuerCopy(licenseId, PSB, world.deps).catch((error: unknown) => error);

    const problem = asProblem(refused) as { message: string };
    expect(problem).toMatchObject({
      extensions: { licenseId, currentLicenseId: reissued.licenseId, currentVersion: '002' },
    });
    expect(problem.message).toMatch(
      new RegExp(`${reissued.licenseId.replaceAll('.', '\\.')}.*withdrawn.*re-issue that`),
    );
  });
});

function asIssuerJwt(content: Readonly<Record<string, unknown>>): string {
  return content.issuerJwt as string;
}

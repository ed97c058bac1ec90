// Retrieval (调阅) on a holder's grant or a duty-based sharing agreement: every basis rule, the
// license's status, what leaves (only the allowed disclosures, the annotated copy, the document
// link) and that nothing leaves without its audit event — over in-memory ports.
import { beforeEach, describe, expect, it } from 'vitest';
import { createGrant } from '#app/create-grant.ts';
import { LicenseNotRetrievable, RetrievalRefused, RetrievalRequestInvalid } from '#app/retrieval-errors.ts';
import { type RetrieveLicenseRequest, retrieveLicense } from '#app/retrieve-license.ts';
import { revokeGrant } from '#app/revoke-grant.ts';
import { verifyAnnotatedCopy } from '#core/annotated-copy.ts';
import { newGrantCode } from '#core/grants/grant-code.ts';
import { decodeCompactJws, fromBase64url } from '#core/jws.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { LicenseNotYetValid } from '#core/lifecycle.ts';
import { verifySdJwtVc } from '#core/sd-jwt-vc/index.ts';
import { LicenseNotFound } from '#core/storage-errors.ts';
import {
  DEMO_HOLDERS,
  DEMO_LICENSES,
  DEMO_SERVICE_ITEM,
  DEMO_TYPE_CODE,
  DEMO_USCC,
  type DemoLicense,
} from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { toProblemResponse } from '#http/problem.ts';
import { RetrievalWorld } from './retrieval-fakes.ts';

const ID_CARD = DEMO_LICENSES[0]!; // 张伟明's resident identity card
const OTHER_ID_CARD = DEMO_LICENSES[1]!; // 李晓燕's
const DRIVING_LICENCE = DEMO_LICENSES[3]!; // 张伟明's
const HPF = DEMO_USCC.housingProvidentFundCentre;
const SECOND_RELYING = '12330100D00000160X';
const PURPOSE = '办理住房公积金提取';
const DOCUMENT = {
  key: 'doc-0001',
  sha256: 'm3lw2bAPxKjCZSA4mYkqv1GWDqNXWRkA6lHMaQW1xX4',
  size: 2048,
  mediaType: 'application/pdf' as const,
};

let world: RetrievalWorld;

beforeEach(() => {
  world = new RetrievalWorld();
  world.config.agencies.set(SECOND_RELYING, {
    uscc: SECOND_RELYING,
    name: '演示市不动产登记中心',
    roles: ['relying'],
    apiKeys: [],
    areaCode: '330100',
    demo: true,
  });
});

/** A grant by the operator in the holder's name; the terms a test does not name are ordinary ones. */
async function grant(
  scope: Parameters<typeof createGrant>[0]['scope'],
  terms: Partial<{
    fields: string[];
    maxUses: number;
    expiresAt: string;
    relyingAgency: string;
    purpose: string;
  }> = {},
) {
  return createGrant(
    {
      actor: { kind: 'operator', id: DEMO_USCC.platformOperator },
      scope,
      relyingAgency: terms.relyingAgency ?? HPF,
      purpose: terms.purpose ?? PURPOSE,
      fields: terms.fields ?? ['姓名', '出生'],
      expiresAt: terms.expiresAt ?? '2025-06-08T02:00:00.000Z',
      maxUses: terms.maxUses ?? 3,
    },
    world.grantDeps(),
  );
}

function byGrant(
  code: string,
  target: RetrieveLicenseRequest['target'],
  requester: string = HPF,
  purpose?: string,
): RetrieveLicenseRequest {
  return {
    requester: { agency: requester, keyId: 'key-1' },
    target,
    basis: { grant: { code } },
    ...(purpose === undefined ? {} : { purpose }),
  };
}

function byDuty(
  target: RetrieveLicenseRequest['target'],
  duty: Partial<{ serviceItemCode: string; caseNumber: string; operatorId: string }> = {},
  requester: string = HPF,
): RetrieveLicenseRequest {
  return {
    requester: { agency: requester, keyId: 'demo-hpf-1' },
    target,
    basis: {
      duty: {
        serviceItemCode: duty.serviceItemCode ?? DEMO_SERVICE_ITEM.code,
        caseNumber: duty.caseNumber ?? 'GJJTQ-2025-000123',
        operatorId: duty.operatorId ?? 'hpf-operator-007',
      },
    },
  };
}

const holderOf = (demo: DemoLicense) => ({ codeType: demo.holder.codeType, code: demo.holder.code });

/** The field values a presentation discloses, decoded. */
function disclosedFields(presentation: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const encoded of presentation.split('~').slice(1, -1)) {
    const [, name, value] = JSON.parse(fromBase64url(encoded).toString('utf8')) as [string, string, unknown];
    fields[name] = value;
  }
  return fields;
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the retrieval to be refused, it succeeded');
    },
    (error: unknown) => error,
  );
}

describe('retrieval on a holder grant', () => {
  it('discloses only the granted fields, in a presentation that verifies under the issuer key', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id }, { fields: ['姓名', '出生'] });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect(disclosedFields(result.presentation)).toEqual({ 姓名: '张伟明', 出生: '1990-03-07' });
    expect(result.disclosed).toEqual(['姓名', '出生']);
    expect(result.presentation).not.toContain(Buffer.from('330102199003071230').toString('base64url'));
    const seal = (await world.keys.keyFor(`seal/${ID_CARD.issuer}`)).publicJwk;
    const verified = await verifySdJwtVc(result.presentation, {
      now: 1_750_000_000,
      resolveIssuerKey: () => seal,
      status: () => 0,
    });
    expect(verified.valid).toBe(true);
    expect(verified.claims?.fields).toEqual({ 姓名: '张伟明', 出生: '1990-03-07' });
  });

  it('hands out an annotated copy signed by the platform, bound to the presentation by its digest', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    const now = Math.floor(world.clock.now().getTime() / 1000);
    const check = verifyAnnotatedCopy(result.annotation, {
      platformKey: world.keys.platform.publicJwk,
      presentation: result.presentation,
      now,
    });
    expect(check.valid).toBe(true);
    expect(decodeCompactJws(result.annotation).header).toMatchObject({ typ: 'elicense-annotation+jwt' });
    expect(check.valid && check.claims).toMatchObject({
      iss: 'https://elicense.test',
      aud: HPF,
      requester: HPF,
      sub: license.id,
      license_id: license.id,
      license_version: '001',
      basis: { kind: 'grant', grant_id: created.value.id },
      purpose: PURPOSE,
      disclosed: ['姓名', '出生'],
      iat: now,
      jti: result.auditEventId,
    });
    const tampered = verifyAnnotatedCopy(result.annotation, {
      platformKey: world.keys.platform.publicJwk,
      presentation: `${result.presentation.split('~')[0]}~`,
      now,
    });
    expect(tampered).toMatchObject({ valid: false, failed: 'digest' });
  });

  it('commits the use and the retrieval event together, naming the grant, purpose and what was disclosed', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id });
    const before = world.audit.events.length;

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect((await world.grants.get(created.value.id))?.value.uses).toBe(1);
    expect(world.audit.events.slice(before)).toEqual([
      expect.objectContaining({
        id: result.auditEventId,
        action: 'license.retrieved',
        actor: { kind: 'agency', id: HPF },
        subject: {
          licenseId: license.id,
          licenseVersion: '001',
          typeCode: ID_CARD.typeCode,
          grantId: created.value.id,
        },
        basis: { purpose: PURPOSE, legalBasis: `holder grant ${created.value.id}` },
        outcome: 'success',
        details: expect.objectContaining({ basis: 'grant', keyId: 'key-1', disclosed: ['姓名', '出生'] }),
      }),
    ]);
  });

  it('lets the annotated copy be used until the grant expires, at most 24 hours', async () => {
    const license = await world.issue(ID_CARD);
    const soon = await grant({ licenseId: license.id }, { expiresAt: '2025-06-01T05:30:00.000Z' });
    const later = await grant({ licenseId: license.id }, { expiresAt: '2025-07-01T00:00:00.000Z' });

    const a = await retrieveLicense(byGrant(soon.code, { licenseId: license.id }), world.retrievalDeps());
    const b = await retrieveLicense(byGrant(later.code, { licenseId: license.id }), world.retrievalDeps());

    expect(a.usableUntil).toBe('2025-06-01T05:30:00.000Z');
    expect(b.usableUntil).toBe('2025-06-02T02:00:00.000Z');
    expect(decodeCompactJws(b.annotation).payload.exp).toBe(Date.parse('2025-06-02T02:00:00.000Z') / 1000);
  });

  it('is refused once every use is made, and the refused attempt counts nothing and is recorded as denied', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id }, { maxUses: 2 });
    await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());
    await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());
    const events = world.audit.events.length;

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toBeInstanceOf(RetrievalRefused);
    expect(error).toMatchObject({ code: 'GRANT_EXHAUSTED' });
    expect((await world.grants.get(created.value.id))?.value.uses).toBe(2);
    expect(world.audit.events.slice(events).map((e) => [e.action, e.outcome, e.subject?.grantId])).toEqual([
      ['license.retrieved', 'denied', created.value.id],
    ]);
  });

  it('is refused after the grant expires', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id }, { expiresAt: '2025-06-01T03:00:00.000Z' });
    world.clock.set('2025-06-01T03:00:00.000Z');

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toMatchObject({
      code: 'GRANT_EXPIRED',
      message: expect.stringContaining('2025-06-01T03:00:00.000Z'),
    });
  });

  it('is refused after the grant is revoked', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id });
    await revokeGrant(
      { actor: { kind: 'operator', id: DEMO_USCC.platformOperator }, grantId: created.value.id },
      { grants: world.grants, now: world.clock.now, newEventId: world.newEventId },
    );

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'GRANT_REVOKED' });
  });

  it('is refused when the grant is revoked between reading it and counting the use, recording the refusal', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id });
    const stale = await world.grants.findByCode(code);
    await world.grants.revoke(created.value.id);
    const events = world.audit.events.length;
    const deps = { ...world.retrievalDeps(), grants: { findByCode: async () => stale } };

    const error = await refusal(retrieveLicense(byGrant(code, { licenseId: license.id }), deps));

    expect(error).toBeInstanceOf(RetrievalRefused);
    expect(error).toMatchObject({ code: 'GRANT_REVOKED' });
    // The use's own event went with the refused transaction; the refusal is recorded on its own,
    // under the grant, naming no license (the agency learns only that the grant is revoked).
    expect(world.audit.events.slice(events)).toEqual([
      expect.objectContaining({
        action: 'license.retrieved',
        outcome: 'denied',
        subject: { typeCode: ID_CARD.typeCode, grantId: created.value.id },
        details: expect.objectContaining({ refusal: 'GRANT_REVOKED', basis: 'grant' }),
      }),
    ]);
  });

  it('is refused to another relying agency that presents the code', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id });

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }, SECOND_RELYING), world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'GRANT_NOT_FOR_AGENCY' });
  });

  it('is refused for a code no grant has', async () => {
    const license = await world.issue(ID_CARD);

    const error = await refusal(
      retrieveLicense(byGrant('A'.repeat(43), { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'GRANT_NOT_FOUND' });
  });

  it('does not cover another license, even of the same type and for a license that does not exist', async () => {
    const license = await world.issue(ID_CARD);
    const other = await world.issue(OTHER_ID_CARD);
    const { code } = await grant({ licenseId: license.id });

    const another = await refusal(
      retrieveLicense(byGrant(code, { licenseId: other.id }), world.retrievalDeps()),
    );
    const missing = await refusal(
      retrieveLicense(
        byGrant(code, { licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.NOSUCH1' }),
        world.retrievalDeps(),
      ),
    );

    expect(another).toMatchObject({ code: 'GRANT_DOES_NOT_COVER' });
    expect(missing).toMatchObject({ code: 'GRANT_DOES_NOT_COVER' });
  });

  it('does not cover a license of another type', async () => {
    const license = await world.issue(ID_CARD);
    const licence = await world.issue(DRIVING_LICENCE);
    const { code } = await grant({ licenseId: license.id });

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: licence.id }), world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'GRANT_DOES_NOT_COVER' });
  });

  it('with a type scope, covers the grant holder’s license of that type, asked for by type alone', async () => {
    const license = await world.issue(ID_CARD);
    await world.issue(OTHER_ID_CARD);
    const { code } = await grant(
      { typeCode: ID_CARD.typeCode, holder: holderOf(ID_CARD) },
      { fields: ['性别'] },
    );

    const result = await retrieveLicense(
      byGrant(code, { typeCode: ID_CARD.typeCode }),
      world.retrievalDeps(),
    );

    expect(result.licenseId).toBe(license.id);
    expect(disclosedFields(result.presentation)).toEqual({ 性别: '男' });
    expect(world.audit.events.at(-1)?.details).toMatchObject({ lookup: 'holder' });
  });

  it('with a type scope, covers neither another holder’s license (by id) nor another type', async () => {
    await world.issue(ID_CARD);
    const other = await world.issue(OTHER_ID_CARD);
    const { code } = await grant({ typeCode: ID_CARD.typeCode, holder: holderOf(ID_CARD) });

    const byId = await refusal(
      retrieveLicense(byGrant(code, { licenseId: other.id }), world.retrievalDeps()),
    );
    const byType = await refusal(
      retrieveLicense(byGrant(code, { typeCode: DRIVING_LICENCE.typeCode }), world.retrievalDeps()),
    );

    expect([byId, byType]).toEqual([
      expect.objectContaining({ code: 'GRANT_DOES_NOT_COVER' }),
      expect.objectContaining({ code: 'GRANT_DOES_NOT_COVER' }),
    ]);
  });

  // A holder named under a grant would be compared with the grant's: a wrong one refused without
  // using the grant, the right one answered — an agency granted 姓名 and 出生 could try the few
  // hundred identity numbers that fit the birth date until one was answered.
  it('refuses a holder named under a grant for its shape, before the grant is read: right or wrong, alike, and the grant unused', async () => {
    await world.issue(ID_CARD);
    const { code, grant: created } = await grant(
      { typeCode: ID_CARD.typeCode, holder: holderOf(ID_CARD) },
      { fields: ['姓名', '出生'] },
    );
    const eventsBefore = world.audit.events.length;

    const refusals = [];
    for (const holder of [holderOf(OTHER_ID_CARD), holderOf(ID_CARD)]) {
      refusals.push(
        await refusal(
          retrieveLicense(
            {
              ...byGrant(code, { typeCode: ID_CARD.typeCode }),
              target: { holder, typeCode: ID_CARD.typeCode },
            },
            world.retrievalDeps(),
          ),
        ),
      );
    }

    expect(refusals.map((e) => [(e as Error).constructor.name, (e as Error).message])).toEqual([
      ['RetrievalRequestInvalid', expect.stringContaining('names no holder')],
      ['RetrievalRequestInvalid', expect.stringContaining('names no holder')],
    ]);
    expect((await world.grants.get(created.value.id))?.value.uses).toBe(0);
    expect(world.audit.events.length).toBe(eventsBefore);
  });

  it('with a type scope, answers another holder’s license and one that does not exist alike, naming neither', async () => {
    await world.issue(ID_CARD);
    const other = await world.issue(OTHER_ID_CARD);
    const { code, grant: created } = await grant({ typeCode: ID_CARD.typeCode, holder: holderOf(ID_CARD) });
    const missingKey = '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.NOSUCH1';

    const another = await refusal(
      retrieveLicense(byGrant(code, { licenseId: licenseKeyOf(other.id) }), world.retrievalDeps()),
    );
    const missing = await refusal(
      retrieveLicense(byGrant(code, { licenseId: missingKey }), world.retrievalDeps()),
    );

    expect(
      [another, missing].map((e) => [(e as Error).constructor.name, (e as { code?: string }).code]),
    ).toEqual([
      ['RetrievalRefused', 'GRANT_DOES_NOT_COVER'],
      ['RetrievalRefused', 'GRANT_DOES_NOT_COVER'],
    ]);
    expect((another as Error).message).toBe((missing as Error).message);
    expect((another as Error).message).not.toContain(other.id);
    // Both attempts are on record, under the grant that was used (its holder's history), naming
    // no license — 李晓燕's history holds nothing of 张伟明's grant or purpose.
    expect(world.audit.events.slice(-2)).toEqual([
      expect.objectContaining({
        action: 'license.retrieved',
        outcome: 'denied',
        subject: { typeCode: ID_CARD.typeCode, grantId: created.value.id },
        details: expect.objectContaining({ refusal: 'GRANT_DOES_NOT_COVER' }),
      }),
      expect.objectContaining({
        outcome: 'denied',
        subject: { typeCode: ID_CARD.typeCode, grantId: created.value.id },
      }),
    ]);
    expect(JSON.stringify(world.audit.events)).not.toContain(other.id);
  });

  it('with a grant of one license, takes that license when asked by type, not the holder’s newest', async () => {
    const granted = await world.issue(ID_CARD, {
      serial: 'DEMO0000071',
      issuedAt: '2024-01-01T00:00:00.000Z',
    });
    await world.issue(ID_CARD, { serial: 'DEMO0000072', issuedAt: '2025-01-01T00:00:00.000Z' });
    const { code } = await grant({ licenseId: granted.id });

    const result = await retrieveLicense(
      byGrant(code, { typeCode: ID_CARD.typeCode }),
      world.retrievalDeps(),
    );

    expect(result.licenseId).toBe(granted.id);
  });

  it('covers the current version after a re-issue, since the grant names the license across versions', async () => {
    const first = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: first.id });
    const second = await world.issue(ID_CARD, { version: '002' });
    world.licenses.setStatus(first.id, 'superseded', second.id);

    const current = await retrieveLicense(
      byGrant(code, { licenseId: first.licenseKey }),
      world.retrievalDeps(),
    );
    const old = await refusal(retrieveLicense(byGrant(code, { licenseId: first.id }), world.retrievalDeps()));

    expect(current.licenseId).toBe(second.id);
    expect(current.licenseVersion).toBe('002');
    expect(old).toBeInstanceOf(LicenseNotRetrievable);
    expect(old).toMatchObject({ code: 'LICENSE_SUPERSEDED', message: expect.stringContaining(second.id) });
    // The refusal named the current version: so does its record.
    expect(world.audit.events.at(-1)?.details).toMatchObject({
      refusal: 'LICENSE_SUPERSEDED',
      currentLicenseId: second.id,
    });
  });

  it('names no next version that another holder holds, as the holder API does not', async () => {
    const first = await world.issue(ID_CARD);
    const { code } = await grant({ typeCode: ID_CARD.typeCode, holder: holderOf(ID_CARD) });
    const transferred = await world.issue(
      { ...ID_CARD, holder: OTHER_ID_CARD.holder, data: OTHER_ID_CARD.data },
      { version: '002' },
    );
    world.licenses.setStatus(first.id, 'superseded', transferred.id);

    const onGrant = await refusal(
      retrieveLicense(byGrant(code, { licenseId: first.id }), world.retrievalDeps()),
    );
    const onDuty = await refusal(retrieveLicense(byDuty({ licenseId: first.id }), world.retrievalDeps()));

    for (const error of [onGrant, onDuty]) {
      expect(error).toMatchObject({ code: 'LICENSE_SUPERSEDED', message: expect.stringContaining(first.id) });
      expect((error as Error).message).not.toContain(transferred.id);
    }
  });

  it('takes the grant’s purpose when none is stated, and refuses another one', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id });

    const stated = await retrieveLicense(
      byGrant(code, { licenseId: license.id }, HPF, PURPOSE),
      world.retrievalDeps(),
    );
    const other = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }, HPF, '核查信用状况'), world.retrievalDeps()),
    );

    expect(world.audit.events.find((e) => e.id === stated.auditEventId)?.basis?.purpose).toBe(PURPOSE);
    expect(stated.disclosed).toEqual(['姓名', '出生']);
    expect(other).toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
  });

  it('skips a granted field the license does not carry', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id }, { fields: ['姓名', '照片'] });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect(result.disclosed).toEqual(['姓名']);
  });

  it('is refused, counting no use, when the license type is no longer in the catalog', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id });
    world.config.types.delete(ID_CARD.typeCode);

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'LICENSE_TYPE_NOT_FOUND' });
    expect((await world.grants.get(created.value.id))?.value.uses).toBe(0);
  });

  it('discloses no granted field the operator has since made undisclosable', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id }, { fields: ['姓名', '公民身份号码'] });
    const type = world.config.types.get(ID_CARD.typeCode)!;
    world.config.types.set(ID_CARD.typeCode, {
      ...type,
      fields: type.fields.map((f) => (f.name === '公民身份号码' ? { ...f, disclosable: false } : f)),
    });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect(result.disclosed).toEqual(['姓名']);
    expect(disclosedFields(result.presentation)).toEqual({ 姓名: '张伟明' });
  });

  it('refuses, unused and recorded as denied, a grant whose every field the operator has since made undisclosable', async () => {
    const license = await world.issue(ID_CARD);
    const { code, grant: created } = await grant({ licenseId: license.id }, { fields: ['公民身份号码'] });
    const type = world.config.types.get(ID_CARD.typeCode)!;
    world.config.types.set(ID_CARD.typeCode, {
      ...type,
      fields: type.fields.map((f) => (f.name === '公民身份号码' ? { ...f, disclosable: false } : f)),
    });

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toBeInstanceOf(RetrievalRefused);
    expect(error).toMatchObject({ code: 'NOTHING_DISCLOSABLE' });
    expect((await world.grants.get(created.value.id))?.value.uses).toBe(0);
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'license.retrieved',
      outcome: 'denied',
      subject: { licenseId: license.id, grantId: created.value.id },
      details: { refusal: 'NOTHING_DISCLOSABLE' },
    });
  });
});

describe('a grant refused before any license is looked up', () => {
  // Each refusal answers as it always did (class, code, words) and is first recorded as a denied
  // retrieval: under the grant when one was found, so its holder sees the attempt; naming no
  // license, since none was looked up; and for a code that names no grant, nothing of the code.
  interface Refused {
    request: RetrieveLicenseRequest;
    grantId?: string;
    typeCode: string;
    lookup: 'license' | 'holder';
    code: string;
    message: string;
  }
  const cases: [string, () => Promise<Refused>][] = [
    [
      'a code no grant has',
      async () => {
        const license = await world.issue(ID_CARD);
        return {
          request: byGrant(newGrantCode(), { licenseId: license.id }),
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'GRANT_NOT_FOUND',
          message: 'no grant has this authorisation code',
        };
      },
    ],
    [
      'a grant given to another relying agency',
      async () => {
        const license = await world.issue(ID_CARD);
        const { grant: created, code } = await grant({ licenseId: license.id });
        return {
          request: byGrant(code, { licenseId: license.id }, SECOND_RELYING),
          grantId: created.value.id,
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'GRANT_NOT_FOR_AGENCY',
          message: 'the grant was given to another relying agency',
        };
      },
    ],
    [
      'a revoked grant',
      async () => {
        const license = await world.issue(ID_CARD);
        const { grant: created, code } = await grant({ licenseId: license.id });
        const revoked = await revokeGrant(
          { actor: { kind: 'operator', id: DEMO_USCC.platformOperator }, grantId: created.value.id },
          { grants: world.grants, now: world.clock.now, newEventId: world.newEventId },
        );
        return {
          request: byGrant(code, { licenseId: license.id }),
          grantId: created.value.id,
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'GRANT_REVOKED',
          message: `grant ${created.value.id} was revoked at ${revoked.value.revoked}`,
        };
      },
    ],
    [
      'an expired grant',
      async () => {
        const license = await world.issue(ID_CARD);
        const { grant: created, code } = await grant(
          { licenseId: license.id },
          { expiresAt: '2025-06-01T03:00:00.000Z' },
        );
        world.clock.set('2025-06-01T03:00:00.000Z');
        return {
          request: byGrant(code, { licenseId: license.id }),
          grantId: created.value.id,
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'GRANT_EXPIRED',
          message: `grant ${created.value.id} expired at 2025-06-01T03:00:00.000Z`,
        };
      },
    ],
    [
      'a grant whose uses are all made',
      async () => {
        const license = await world.issue(ID_CARD);
        const { grant: created, code } = await grant({ licenseId: license.id }, { maxUses: 1 });
        await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());
        return {
          request: byGrant(code, { licenseId: license.id }),
          grantId: created.value.id,
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'GRANT_EXHAUSTED',
          message: `grant ${created.value.id} allowed 1 retrievals and all of them have been made`,
        };
      },
    ],
    [
      'a grant of one license asked for another license key',
      async () => {
        const license = await world.issue(ID_CARD);
        const other = await world.issue(OTHER_ID_CARD);
        const { grant: created, code } = await grant({ licenseId: license.id });
        return {
          request: byGrant(code, { licenseId: other.id }),
          grantId: created.value.id,
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'GRANT_DOES_NOT_COVER',
          message: `grant ${created.value.id} covers another license`,
        };
      },
    ],
    [
      'a grant asked for another type',
      async () => {
        const license = await world.issue(ID_CARD);
        const { grant: created, code } = await grant({ licenseId: license.id });
        return {
          request: byGrant(code, { typeCode: DRIVING_LICENCE.typeCode }),
          grantId: created.value.id,
          typeCode: DRIVING_LICENCE.typeCode,
          lookup: 'holder',
          code: 'GRANT_DOES_NOT_COVER',
          message: `grant ${created.value.id} covers licenses of type ${ID_CARD.typeCode}, not ${DRIVING_LICENCE.typeCode}`,
        };
      },
    ],
    [
      'a purpose the grant does not state',
      async () => {
        const license = await world.issue(ID_CARD);
        const { grant: created, code } = await grant({ licenseId: license.id });
        return {
          request: byGrant(code, { licenseId: license.id }, HPF, '核查信用状况'),
          grantId: created.value.id,
          typeCode: ID_CARD.typeCode,
          lookup: 'license',
          code: 'PURPOSE_NOT_ALLOWED',
          message: `grant ${created.value.id} allows the purpose "${PURPOSE}", found "核查信用状况"`,
        };
      },
    ],
  ];

  for (const [name, arrange] of cases) {
    it(`records ${name} as a denied retrieval before answering it as before`, async () => {
      const refused = await arrange();
      const before = world.audit.events.length;
      const uses = refused.grantId && (await world.grants.get(refused.grantId))?.value.uses;

      const error = await refusal(retrieveLicense(refused.request, world.retrievalDeps()));

      expect(error).toBeInstanceOf(RetrievalRefused);
      expect(error).toMatchObject({ code: refused.code, message: refused.message });
      const recorded = world.audit.events.slice(before);
      expect(recorded).toEqual([
        {
          id: expect.any(String),
          time: world.clock.now().toISOString(),
          actor: { kind: 'agency', id: refused.request.requester.agency },
          action: 'license.retrieved',
          subject: {
            typeCode: refused.typeCode,
            ...(refused.grantId === undefined ? {} : { grantId: refused.grantId }),
          },
          ...(refused.grantId === undefined
            ? {}
            : { basis: { legalBasis: `holder grant ${refused.grantId}` } }),
          outcome: 'denied',
          details: { basis: 'grant', keyId: 'key-1', lookup: refused.lookup, refusal: refused.code },
        },
      ]);
      if (refused.grantId !== undefined) {
        expect((await world.grants.get(refused.grantId))?.value.uses).toBe(uses);
      }
      // The code is the agency's secret to use, not the log's to keep: no part of it is recorded.
      const code = 'grant' in refused.request.basis ? refused.request.basis.grant.code : '';
      const text = JSON.stringify(recorded);
      for (let i = 0; i + 8 <= code.length; i += 1) expect(text).not.toContain(code.slice(i, i + 8));
    });

    it(`answers ${name} with no refusal when its record cannot be written`, async () => {
      const refused = await arrange();
      world.audit.failing = true;

      await expect(retrieveLicense(refused.request, world.retrievalDeps())).rejects.toThrow(
        'audit table unreachable',
      );
    });
  }
});

describe('the layout document', () => {
  const allFields = ['姓名', '性别', '民族', '出生', '住址', '公民身份号码', '签发机关', '有效期限'];

  it('comes as a short-lived link, bound into the annotated copy, when the basis allows every field', async () => {
    const license = await world.issue(ID_CARD, { document: DOCUMENT });
    const { code } = await grant({ licenseId: license.id }, { fields: allFields });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect(result.document).toMatchObject({
      url: 'https://documents.test/doc-0001?expires-in=300',
      sha256: DOCUMENT.sha256,
      mediaType: 'application/pdf',
    });
    expect(decodeCompactJws(result.annotation).payload.document).toEqual({
      sha256: DOCUMENT.sha256,
      media_type: 'application/pdf',
    });
    // Which bytes the link opened: an attach replaces a version's document in place.
    expect(world.audit.events.at(-1)?.details).toMatchObject({
      document: true,
      documentSha256: DOCUMENT.sha256,
    });
  });

  it('is withheld when the basis allows only some fields, since it prints them all', async () => {
    const license = await world.issue(ID_CARD, { document: DOCUMENT });
    const { code } = await grant({ licenseId: license.id }, { fields: allFields.slice(1) });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect(result.document).toBeUndefined();
    expect(decodeCompactJws(result.annotation).payload.document).toBeUndefined();
  });

  it('is absent when the license has none', async () => {
    const license = await world.issue(ID_CARD);
    const { code } = await grant({ licenseId: license.id }, { fields: allFields });

    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());

    expect(result.document).toBeUndefined();
  });
});

describe('duty-based retrieval (依职能用证)', () => {
  it('discloses the agreement’s fields of the holder’s ID card for the agreed service item', async () => {
    const license = await world.issue(ID_CARD);

    const result = await retrieveLicense(
      byDuty({ holder: holderOf(ID_CARD), typeCode: DEMO_TYPE_CODE.residentIdentityCard }),
      world.retrievalDeps(),
    );

    expect(result.licenseId).toBe(license.id);
    expect(disclosedFields(result.presentation)).toEqual({
      姓名: '张伟明',
      公民身份号码: '330102199003071230',
    });
  });

  it('names agreement, service item, case number and operator in the annotated copy and the audit event', async () => {
    await world.issue(ID_CARD);

    const result = await retrieveLicense(
      byDuty({ holder: holderOf(ID_CARD), typeCode: DEMO_TYPE_CODE.residentIdentityCard }),
      world.retrievalDeps(),
    );

    expect(decodeCompactJws(result.annotation).payload).toMatchObject({
      basis: {
        kind: 'duty',
        agreement_id: 'demo-hpf-withdrawal-id-card',
        service_item_code: DEMO_SERVICE_ITEM.code,
        service_item_name: DEMO_SERVICE_ITEM.name,
        operator_id: 'hpf-operator-007',
      },
      case_number: 'GJJTQ-2025-000123',
      purpose: '核验提取申请人身份',
    });
    expect(world.audit.events).toEqual([
      expect.objectContaining({
        id: result.auditEventId,
        action: 'license.retrieved',
        basis: {
          purpose: '核验提取申请人身份',
          legalBasis: 'sharing agreement demo-hpf-withdrawal-id-card',
          caseNumber: 'GJJTQ-2025-000123',
          serviceItemCode: DEMO_SERVICE_ITEM.code,
        },
        details: expect.objectContaining({
          agreementId: 'demo-hpf-withdrawal-id-card',
          operatorId: 'hpf-operator-007',
        }),
      }),
    ]);
  });

  it('lets the copy be used at most 24 hours, and never past the agreement’s last day', async () => {
    const license = await world.issue(ID_CARD);
    world.clock.set('2030-12-31T10:00:00.000Z'); // 18:00 on the agreement's last day in China

    const result = await retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps());

    expect(result.usableUntil).toBe('2030-12-31T16:00:00.000Z');
  });

  it('is refused for a service item no agreement names', async () => {
    const license = await world.issue(ID_CARD);

    const error = await refusal(
      retrieveLicense(
        byDuty({ licenseId: license.id }, { serviceItemCode: 'DEMO330100GJJDK002' }),
        world.retrievalDeps(),
      ),
    );

    expect(error).toMatchObject({
      code: 'NO_SHARING_AGREEMENT',
      message: expect.stringContaining('DEMO330100GJJDK002'),
    });
    // The attempt is recorded before it is answered: who, for what type, on which item and case,
    // why — no license (none was looked up), no purpose (none was allowed).
    expect(world.audit.events).toEqual([
      {
        id: expect.any(String),
        time: expect.any(String),
        actor: { kind: 'agency', id: HPF },
        action: 'license.retrieved',
        subject: { typeCode: ID_CARD.typeCode },
        basis: { caseNumber: 'GJJTQ-2025-000123', serviceItemCode: 'DEMO330100GJJDK002' },
        outcome: 'denied',
        details: {
          basis: 'duty',
          keyId: 'demo-hpf-1',
          operatorId: 'hpf-operator-007',
          lookup: 'license',
          refusal: 'NO_SHARING_AGREEMENT',
        },
      },
    ]);
  });

  it('answers nothing when the refusal cannot be recorded', async () => {
    const license = await world.issue(ID_CARD);
    world.clock.set('2030-12-31T16:00:00.000Z');
    const failing = {
      ...world.retrievalDeps(),
      audit: { record: async () => Promise.reject(new Error('audit down')) },
    };
    await expect(retrieveLicense(byDuty({ licenseId: license.id }), failing)).rejects.toThrow('audit down');
  });

  it('is refused for a type the agency has no agreement for', async () => {
    const licence = await world.issue(DRIVING_LICENCE);

    const error = await refusal(retrieveLicense(byDuty({ licenseId: licence.id }), world.retrievalDeps()));

    expect(error).toMatchObject({ code: 'NO_SHARING_AGREEMENT' });
  });

  it('is refused to an agency without an agreement, before it learns whether the license exists', async () => {
    const missing = await refusal(
      retrieveLicense(
        byDuty(
          { licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.NOSUCH1' },
          {},
          SECOND_RELYING,
        ),
        world.retrievalDeps(),
      ),
    );

    expect(missing).toMatchObject({ code: 'NO_SHARING_AGREEMENT' });
  });

  it('is refused outside the agreement’s validity window, in China time', async () => {
    const license = await world.issue(ID_CARD);
    world.clock.set('2030-12-31T16:00:00.000Z'); // 2031-01-01 00:00 in China

    const error = await refusal(retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps()));

    expect(error).toMatchObject({
      code: 'AGREEMENT_NOT_IN_FORCE',
      message: expect.stringContaining('2031-01-01'),
    });
    expect(world.audit.events.map((e) => [e.outcome, e.details?.refusal])).toEqual([
      ['denied', 'AGREEMENT_NOT_IN_FORCE'],
    ]);
  });

  it('finds the agreement on a later page of the agency’s agreements', async () => {
    const license = await world.issue(ID_CARD);
    world.config.agreements.unshift({
      ...world.config.agreements[0]!,
      id: 'demo-hpf-aaa-earlier',
      serviceItem: { code: 'DEMO330100GJJDK002', name: '住房公积金贷款' },
    });

    const result = await retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps());

    expect(decodeCompactJws(result.annotation).payload.basis).toMatchObject({
      agreement_id: 'demo-hpf-withdrawal-id-card',
    });
  });

  it('requires a case number and an operator id', async () => {
    const license = await world.issue(ID_CARD);

    const noCase = await refusal(
      retrieveLicense(byDuty({ licenseId: license.id }, { caseNumber: '  ' }), world.retrievalDeps()),
    );
    const noOperator = await refusal(
      retrieveLicense(byDuty({ licenseId: license.id }, { operatorId: '' }), world.retrievalDeps()),
    );
    const longCase = await refusal(
      retrieveLicense(
        byDuty({ licenseId: license.id }, { caseNumber: 'C'.repeat(65) }),
        world.retrievalDeps(),
      ),
    );

    for (const error of [noCase, noOperator, longCase]) expect(error).toBeInstanceOf(RetrievalRequestInvalid);
    expect(world.audit.events).toEqual([]);
  });

  it('refuses a case number or operator id naming an identity number, handing out and recording nothing', async () => {
    const license = await world.issue(ID_CARD);
    // Both are audited with the retrieval, for good.
    const asCase = await refusal(
      retrieveLicense(
        byDuty({ licenseId: license.id }, { caseNumber: `GJJ-${ID_CARD.holder.code}` }),
        world.retrievalDeps(),
      ),
    );
    const asOperator = await refusal(
      retrieveLicense(
        byDuty({ licenseId: license.id }, { operatorId: '110105 19491231 002x' }),
        world.retrievalDeps(),
      ),
    );

    expect(asCase).toMatchObject({
      name: 'IdentityNumberInText',
      errors: [{ path: 'basis.duty.caseNumber' }],
    });
    expect(asOperator).toMatchObject({
      name: 'IdentityNumberInText',
      errors: [{ path: 'basis.duty.operatorId' }],
    });
    expect(world.audit.events).toEqual([]);
  });

  it('on a lookup by holder, refuses the holder’s own code of any type in the case number, operator id or an unknown service item code', async () => {
    const passport = { codeType: '414', code: 'EA1234567' };
    await world.issue({ ...ID_CARD, holder: { ...ID_CARD.holder, ...passport } });
    const target = { holder: passport, typeCode: ID_CARD.typeCode };

    const errors = [];
    for (const duty of [
      { caseNumber: 'GJJ-ea 123 4567' },
      { operatorId: 'EA1234567' },
      { serviceItemCode: 'GJJEA123456701' },
    ]) {
      errors.push(await refusal(retrieveLicense(byDuty(target, duty), world.retrievalDeps())));
    }

    expect(errors.map((e) => (e as { errors?: { path: string }[] }).errors)).toEqual([
      [expect.objectContaining({ path: 'basis.duty.caseNumber' })],
      [expect.objectContaining({ path: 'basis.duty.operatorId' })],
      [expect.objectContaining({ path: 'basis.duty.serviceItemCode' })],
    ]);
    expect(world.audit.events).toEqual([]);
    // The holder's code is refused, not a reference that merely resembles it.
    const result = await retrieveLicense(byDuty(target, { caseNumber: 'GJJ-EA123' }), world.retrievalDeps());
    expect(result.disclosed.length).toBeGreaterThan(0);
  });

  it('refuses a service item code no agreement names that holds an identity number, recording and echoing nothing', async () => {
    const license = await world.issue(ID_CARD);
    // The schema's 4–64 digits and capitals let an identity number through, X and all; were it
    // refused as NO_SHARING_AGREEMENT, the denied event would keep it for good.
    const errors = [];
    for (const serviceItemCode of [ID_CARD.holder.code, '11010519491231002X', 'GJJ11010519491231002X01']) {
      errors.push(
        await refusal(
          retrieveLicense(byDuty({ licenseId: license.id }, { serviceItemCode }), world.retrievalDeps()),
        ),
      );
    }

    for (const error of errors) {
      expect(error).toMatchObject({
        name: 'IdentityNumberInText',
        errors: [{ path: 'basis.duty.serviceItemCode' }],
      });
      expect((error as Error).message).not.toMatch(/19491231|19900307/);
      expect((error as Error).message).toContain('no agreement names this code');
    }
    expect(world.audit.events).toEqual([]);
  });

  it('retrieves under an agreement whose configured service item code happens to read as an identity number', async () => {
    const license = await world.issue(ID_CARD);
    // The operator's code, already kept with the agreement, is no agency's free text.
    const first = world.config.agreements[0]!;
    world.config.agreements[0] = {
      ...first,
      serviceItem: { ...first.serviceItem, code: '11010519491231002X' },
    };

    const result = await retrieveLicense(
      byDuty({ licenseId: license.id }, { serviceItemCode: '11010519491231002X' }),
      world.retrievalDeps(),
    );

    expect(result.licenseId).toBe(license.id);
  });

  it('discloses no agreed field the type no longer lets be disclosed (a type change racing the agreement’s write)', async () => {
    const license = await world.issue(ID_CARD);
    const type = world.config.types.get(ID_CARD.typeCode)!;
    world.config.types.set(ID_CARD.typeCode, {
      ...type,
      fields: type.fields.map((f) => (f.name === '公民身份号码' ? { ...f, disclosable: false } : f)),
    });

    const result = await retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps());

    expect(result.disclosed).toEqual(['姓名']);
  });

  it('refuses a purpose the agreement does not state', async () => {
    const license = await world.issue(ID_CARD);

    const error = await refusal(
      retrieveLicense({ ...byDuty({ licenseId: license.id }), purpose: '营销' }, world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
  });

  describe('among several agreements in force for the type and service item', () => {
    const FIRST_PURPOSE = '核验提取申请人身份'; // the demo agreement's only purpose
    const SECOND_PURPOSE = '核验委托代办人身份';

    beforeEach(() => {
      world.config.agreements.push({
        ...world.config.agreements[0]!,
        id: 'demo-hpf-zz-agent',
        purposes: [SECOND_PURPOSE],
        fields: ['姓名'],
      });
    });

    it('takes the one whose purposes include the stated purpose, and names it in the copy and the event', async () => {
      const license = await world.issue(ID_CARD);

      const result = await retrieveLicense(
        { ...byDuty({ licenseId: license.id }), purpose: SECOND_PURPOSE },
        world.retrievalDeps(),
      );

      expect(result.disclosed).toEqual(['姓名']);
      expect(decodeCompactJws(result.annotation).payload).toMatchObject({
        basis: { agreement_id: 'demo-hpf-zz-agent' },
        purpose: SECOND_PURPOSE,
      });
      expect(world.audit.events).toEqual([
        expect.objectContaining({
          outcome: 'success',
          basis: expect.objectContaining({
            purpose: SECOND_PURPOSE,
            legalBasis: 'sharing agreement demo-hpf-zz-agent',
          }),
          details: expect.objectContaining({ agreementId: 'demo-hpf-zz-agent' }),
        }),
      ]);
    });

    it('refuses a purpose none of them states, naming every purpose they allow', async () => {
      const license = await world.issue(ID_CARD);

      const error = await refusal(
        retrieveLicense({ ...byDuty({ licenseId: license.id }), purpose: '营销' }, world.retrievalDeps()),
      );

      expect(error).toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
      expect((error as Error).message).toContain(FIRST_PURPOSE);
      expect((error as Error).message).toContain(SECOND_PURPOSE);
    });

    it('asks for the purpose when none is stated and they allow several, recording nothing', async () => {
      const license = await world.issue(ID_CARD);

      const error = await refusal(retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps()));

      expect(error).toBeInstanceOf(RetrievalRequestInvalid);
      expect((error as Error).message).toContain(FIRST_PURPOSE);
      expect((error as Error).message).toContain(SECOND_PURPOSE);
      expect(world.audit.events).toEqual([]);
    });

    it('takes the only one in force when none is stated and it allows one purpose', async () => {
      const license = await world.issue(ID_CARD);
      world.config.agreements[0] = { ...world.config.agreements[0]!, validUntil: '2025-01-31' };

      const result = await retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps());

      expect(decodeCompactJws(result.annotation).payload).toMatchObject({
        basis: { agreement_id: 'demo-hpf-zz-agent' },
        purpose: SECOND_PURPOSE,
      });
    });

    it('when two allow the stated purpose, takes the one in force since the later day', async () => {
      const license = await world.issue(ID_CARD);
      world.config.agreements.push({
        ...world.config.agreements[0]!,
        id: 'demo-hpf-withdrawal-id-card-renewed',
        validFrom: '2025-03-01',
        fields: ['公民身份号码'],
      });

      const result = await retrieveLicense(
        { ...byDuty({ licenseId: license.id }), purpose: FIRST_PURPOSE },
        world.retrievalDeps(),
      );

      expect(decodeCompactJws(result.annotation).payload).toMatchObject({
        basis: { agreement_id: 'demo-hpf-withdrawal-id-card-renewed' },
      });
      expect(result.disclosed).toEqual(['公民身份号码']);
    });
  });

  it('returns nothing when the audit event cannot be written', async () => {
    const license = await world.issue(ID_CARD);
    world.audit.failing = true;

    await expect(retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps())).rejects.toThrow(
      'audit table unreachable',
    );
  });
});

describe('the license must be valid to be retrieved', () => {
  for (const status of ['revoked', 'suspended'] as const) {
    it(`refuses a ${status} license, counting no use and recording the refusal`, async () => {
      const license = await world.issue(ID_CARD);
      const { grant: created, code } = await grant({ licenseId: license.id });
      world.licenses.setStatus(license.id, status);
      const events = world.audit.events.length;

      const error = await refusal(
        retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
      );

      expect(error).toBeInstanceOf(LicenseNotRetrievable);
      expect(error).toMatchObject({ code: `LICENSE_${status.toUpperCase()}`, status });
      expect((await world.grants.get(created.value.id))?.value.uses).toBe(0);
      expect(world.audit.events.slice(events)).toEqual([
        expect.objectContaining({
          action: 'license.retrieved',
          outcome: 'denied',
          subject: expect.objectContaining({ licenseId: license.id }),
          details: expect.objectContaining({ refusal: `LICENSE_${status.toUpperCase()}`, basis: 'grant' }),
        }),
      ]);
    });
  }

  it('on a duty basis, records what a refusal tells — no license of the holder, or its status — before answering', async () => {
    const license = await world.issue(ID_CARD);
    world.licenses.setStatus(license.id, 'revoked');

    const revoked = await refusal(
      retrieveLicense(
        byDuty({ holder: holderOf(ID_CARD), typeCode: ID_CARD.typeCode }),
        world.retrievalDeps(),
      ),
    );
    const none = await refusal(
      retrieveLicense(
        byDuty({
          holder: { codeType: '111', code: DEMO_HOLDERS.wangSiyuan.code },
          typeCode: ID_CARD.typeCode,
        }),
        world.retrievalDeps(),
      ),
    );

    expect([revoked, none].map((e) => (e as { code?: string }).code)).toEqual([
      'LICENSE_REVOKED',
      'HOLDER_LICENSE_NOT_FOUND',
    ]);
    expect(world.audit.events).toEqual([
      expect.objectContaining({
        outcome: 'denied',
        subject: expect.objectContaining({ licenseId: license.id }),
        basis: expect.objectContaining({
          caseNumber: expect.any(String),
          serviceItemCode: expect.any(String),
        }),
        details: expect.objectContaining({ refusal: 'LICENSE_REVOKED', basis: 'duty', lookup: 'holder' }),
      }),
      expect.objectContaining({
        outcome: 'denied',
        subject: { typeCode: ID_CARD.typeCode },
        // Whom it asked about and found nothing of: by blind index, never the number.
        details: expect.objectContaining({
          refusal: 'HOLDER_LICENSE_NOT_FOUND',
          holderIndex: await world.retrievalDeps().blindIndexer.tokenFor('111', DEMO_HOLDERS.wangSiyuan.code),
        }),
      }),
    ]);
    expect(world.audit.events[0]?.details).not.toHaveProperty('holderIndex');
    expect(JSON.stringify(world.audit.events)).not.toContain(DEMO_HOLDERS.wangSiyuan.code);

    // A refusal that cannot be recorded is not answered either.
    world.audit.failing = true;
    await expect(
      retrieveLicense(
        byDuty({ holder: holderOf(ID_CARD), typeCode: ID_CARD.typeCode }),
        world.retrievalDeps(),
      ),
    ).rejects.toThrow('audit table unreachable');
  });

  it('hands nothing out when the license is revoked while its retrieval is prepared: the retrieval runs again and is refused', async () => {
    const license = await world.issue(ID_CARD);
    const { grant: created, code } = await grant({ licenseId: license.id });
    world.licenses.beforeNextWrite = () => world.licenses.setStatus(license.id, 'revoked');

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toMatchObject({ code: 'LICENSE_REVOKED' });
    expect((await world.grants.get(created.value.id))?.value.uses).toBe(0);
    expect(world.audit.events.filter((e) => e.action === 'license.retrieved').map((e) => e.outcome)).toEqual([
      'denied',
    ]);
  });

  it('retrieves on the second run when the license changed meanwhile but stays valid', async () => {
    const license = await world.issue(ID_CARD);
    world.licenses.beforeNextWrite = () => {
      const record = world.licenses.records.get(license.id)!;
      world.licenses.records.set(license.id, { ...record, version: record.version + 1 }); // e.g. a document attached
    };

    const result = await retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps());

    expect(result.licenseId).toBe(license.id);
    expect(world.audit.events.map((e) => [e.action, e.outcome])).toEqual([['license.retrieved', 'success']]);
  });

  it('refuses a license past its last valid day', async () => {
    const license = await world.issue(ID_CARD, { validity: { from: '2015-05-10', until: '2025-05-31' } });

    const error = await refusal(retrieveLicense(byDuty({ licenseId: license.id }), world.retrievalDeps()));

    expect(error).toMatchObject({ code: 'LICENSE_EXPIRED' });
  });

  it('refuses a license whose first valid day is after today, China time, recording the refusal; retrieves it from that day', async () => {
    // A renewal issued ahead of its term; 2025-06-01T02:00Z is 10:00 on 2025-06-01 in China.
    const license = await world.issue(ID_CARD, { validity: { from: '2025-06-02', until: '2045-06-02' } });
    const { grant: created, code } = await grant({ licenseId: license.id });

    const error = await refusal(
      retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps()),
    );

    expect(error).toBeInstanceOf(LicenseNotYetValid);
    expect(error).toMatchObject({ code: 'LICENSE_NOT_YET_VALID', validFrom: '2025-06-02' });
    const problem = toProblemResponse(asProblem(error));
    expect(problem.statusCode).toBe(409);
    expect(JSON.parse(problem.body)).toMatchObject({
      code: 'LICENSE_NOT_YET_VALID',
      licenseId: license.id,
      validFrom: '2025-06-02',
    });
    expect((await world.grants.get(created.value.id))?.value.uses).toBe(0);
    expect(world.audit.events.filter((e) => e.action === 'license.retrieved')).toEqual([
      expect.objectContaining({
        outcome: 'denied',
        subject: expect.objectContaining({ licenseId: license.id }),
        details: expect.objectContaining({ refusal: 'LICENSE_NOT_YET_VALID', basis: 'grant' }),
      }),
    ]);

    world.clock.set('2025-06-01T16:00:00.000Z'); // 00:00 on 2025-06-02 in China
    const result = await retrieveLicense(byGrant(code, { licenseId: license.id }), world.retrievalDeps());
    expect(result.licenseId).toBe(license.id);
  });

  it('among a holder’s licenses of the type, takes the one in force over a newer one not yet in force', async () => {
    const inForce = await world.issue(ID_CARD, {
      serial: 'DEMO0000090',
      issuedAt: '2015-05-10T00:00:00.000Z',
      validity: { from: '2015-05-10', until: '2025-06-14' },
    });
    await world.issue(ID_CARD, {
      serial: 'DEMO0000091',
      issuedAt: '2025-05-20T00:00:00.000Z',
      validity: { from: '2025-06-15', until: '2045-06-15' },
    });

    const result = await retrieveLicense(
      byDuty({ holder: holderOf(ID_CARD), typeCode: DEMO_TYPE_CODE.residentIdentityCard }),
      world.retrievalDeps(),
    );

    expect(result.licenseId).toBe(inForce.id);
  });

  it('among a holder’s licenses of the type, takes the valid one', async () => {
    const old = await world.issue(ID_CARD, { serial: 'DEMO0000091', issuedAt: '2024-01-01T00:00:00.000Z' });
    const current = await world.issue(ID_CARD, {
      serial: 'DEMO0000090',
      issuedAt: '2023-01-01T00:00:00.000Z',
    });
    world.licenses.setStatus(old.id, 'revoked');

    const result = await retrieveLicense(
      byDuty({ holder: holderOf(ID_CARD), typeCode: DEMO_TYPE_CODE.residentIdentityCard }),
      world.retrievalDeps(),
    );

    expect(result.licenseId).toBe(current.id);
  });

  it('answers a license id that names nothing with not found, once the basis allows the request', async () => {
    const error = await refusal(
      retrieveLicense(
        byDuty({ licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.NOSUCH1' }),
        world.retrievalDeps(),
      ),
    );

    expect(error).toBeInstanceOf(LicenseNotFound);
  });

  it('answers a holder without a license of the type with not found', async () => {
    const error = await refusal(
      retrieveLicense(
        byDuty({
          holder: { codeType: '111', code: DEMO_HOLDERS.wangSiyuan.code },
          typeCode: ID_CARD.typeCode,
        }),
        world.retrievalDeps(),
      ),
    );

    expect(error).toMatchObject({ code: 'HOLDER_LICENSE_NOT_FOUND' });
  });

  it('refuses a license id that is neither an identifier nor a license key', async () => {
    const error = await refusal(retrieveLicense(byDuty({ licenseId: '1.2.3' }), world.retrievalDeps()));

    expect(error).toBeInstanceOf(RetrievalRequestInvalid);
  });
});

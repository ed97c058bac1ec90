import { describe, expect, it } from 'vitest';
import { registerLicenseType, updateLicenseType } from '#app/register-license-type.ts';
import { registerSharingAgreement, updateSharingAgreement } from '#app/register-sharing-agreement.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import {
  CatalogCrossCheckFailed,
  DataDomainChangeRefused,
  DemoRecordRefused,
  HolderMappingChangeRefused,
  LicenseTypeChangeBreaksAgreements,
} from '#core/catalog/registration-errors.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import {
  DEMO_AGENCIES,
  DEMO_LICENSE_TYPES,
  DEMO_SHARING_AGREEMENTS,
  DEMO_TYPE_CODE,
  DEMO_USCC,
} from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import type { HttpProblem } from '#http/problem.ts';
import {
  ConfigRecordExists,
  ConfigRecordInvalid,
  ConfigVersionConflict,
  SharingAgreementsChanged,
} from '#ports/config-store.ts';
import { adminDeps, InMemoryConfigStore, OPERATOR, testUscc } from './fakes.ts';

// License types and sharing agreements as the operator registers them: each checked against
// the rest of the catalog, every misfit named, nothing written or recorded when refused.
const idCard = DEMO_LICENSE_TYPES.find((t) => t.code === DEMO_TYPE_CODE.residentIdentityCard)!;
const agreement = DEMO_SHARING_AGREEMENTS.find((a) => a.typeCode === idCard.code)!;

/** The ID card type renumbered, one field made non-disclosable. */
const permit: LicenseType = {
  ...idCard,
  code: `${idCard.definingAgency.uscc}901`,
  name: { zh: '演示许可证', en: 'Demo permit' },
  fields: idCard.fields.map((f) => (f.name === '住址' ? { ...f, disclosable: false } : f)),
  demo: undefined,
};

function setup(stage = 'local', withDemoTypes = true, demoData: 'allowed' | 'refused' = 'allowed') {
  const config = new InMemoryConfigStore({
    agencies: DEMO_AGENCIES,
    types: withDemoTypes ? DEMO_LICENSE_TYPES : [],
    agreements: withDemoTypes ? DEMO_SHARING_AGREEMENTS : [],
  });
  const admin = adminDeps(stage, demoData);
  // The stage's license tables: the demo types' two domains, as the local platform has them.
  const dataDomains = ['person', 'legal-entity'];
  return { config, audit: config.audit, deps: { ...admin, config, dataDomains } };
}

describe('registerLicenseType', () => {
  it('registers a type whose issuers are registered issuers, and records it with its type code', async () => {
    const { deps, audit } = setup();
    const saved = await registerLicenseType(permit, OPERATOR, deps);
    expect(saved).toEqual({ value: permit, version: 1 });
    expect(audit.events).toEqual([
      expect.objectContaining({
        action: 'license_type.registered',
        subject: { typeCode: permit.code },
        details: expect.objectContaining({ version: 1, issuers: permit.issuers, dataDomain: 'person' }),
      }),
    ]);
    // Each field by name with its flags — 住址 registered as not disclosable on its own.
    expect(audit.events[0]?.details?.fields).toContainEqual({
      name: '住址',
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: false,
      searchable: false,
      maxLength: 200,
    });
  });

  it('refuses, registered or updated, a type some license of which could not be stored (400), writing nothing', async () => {
    const { deps, config, audit } = setup();
    // 住址 at 100,000 characters: a license could carry 400 KB of it.
    const huge = {
      ...permit,
      fields: permit.fields.map((f) => (f.name === '住址' ? { ...f, maxLength: 100_000 } : f)),
    };

    const registering = registerLicenseType(huge, OPERATOR, deps);
    await expect(registering).rejects.toBeInstanceOf(ConfigRecordInvalid);
    await expect(registering).rejects.toMatchObject({ issues: [{ path: 'fields' }] });
    expect(await config.getLicenseType(permit.code)).toBeUndefined();

    await registerLicenseType(permit, OPERATOR, deps);
    const eventsBefore = audit.events.length;
    const updating = updateLicenseType({ type: huge, expectedVersion: 1 }, OPERATOR, deps);
    await expect(updating).rejects.toBeInstanceOf(ConfigRecordInvalid);
    expect(await config.getLicenseType(permit.code)).toEqual({ value: permit, version: 1 });
    expect(audit.events).toHaveLength(eventsBefore);
  });

  it('refuses, registered or updated, a pattern that is not RE2 syntax (lookaround, a backreference), naming the field (400), writing nothing', async () => {
    const { deps, config, audit } = setup();
    const index = permit.fields.findIndex((f) => f.name === '姓名');
    const withPattern = (pattern: string): LicenseType => ({
      ...permit,
      fields: permit.fields.map((f) => (f.name === '姓名' ? { ...f, pattern } : f)),
    });

    const lookahead = registerLicenseType(withPattern('(?!admin).+'), OPERATOR, deps);
    await expect(lookahead).rejects.toBeInstanceOf(ConfigRecordInvalid);
    await expect(lookahead).rejects.toMatchObject({
      issues: [
        {
          path: `fields.${index}.pattern`,
          message: expect.stringMatching(
            /^the pattern of field 姓名 is not RE2 syntax \(patterns are RE2, matched in time linear/,
          ),
        },
      ],
    });
    // By machine too: the problem's errors name the field, as a request schema's do.
    expect((asProblem(await lookahead.catch((e: unknown) => e)) as HttpProblem).extensions).toMatchObject({
      code: 'CONFIG_RECORD_INVALID',
      errors: [{ path: `fields.${index}.pattern`, message: expect.stringContaining('not RE2 syntax') }],
    });
    expect(await config.getLicenseType(permit.code)).toBeUndefined();
    expect(audit.events).toEqual([]);

    await registerLicenseType(withPattern('\\p{Han}{2,4}'), OPERATOR, deps);
    const eventsBefore = audit.events.length;
    const backreference = updateLicenseType(
      { type: withPattern('(.)\\1'), expectedVersion: 1 },
      OPERATOR,
      deps,
    );
    await expect(backreference).rejects.toMatchObject({ issues: [{ path: `fields.${index}.pattern` }] });
    expect((await config.getLicenseType(permit.code))?.version).toBe(1);
    expect(audit.events).toHaveLength(eventsBefore);
  });

  it('refuses, registered or updated, control characters in the type name, a field name, label or enum value (400 naming each), writing nothing', async () => {
    const { deps, config, audit } = setup();
    const i = permit.fields.findIndex((f) => f.name === '姓名');
    const e = permit.fields.findIndex((f) => f.values !== undefined);
    const steered: LicenseType = {
      ...permit,
      name: { zh: '演示\u202E许可证', en: 'Demo permit' },
      fields: permit.fields.map((f, j) =>
        j === i
          ? { ...f, name: '姓\u0000名', label: { zh: '姓名', en: 'Name\u001b[31m' } }
          : j === e
            ? { ...f, values: [f.values![0]!, '\u2066x'] }
            : f,
      ),
      holder: { ...permit.holder, nameField: '姓\u0000名' },
    };
    const registering = registerLicenseType(steered, OPERATOR, deps);
    await expect(registering).rejects.toBeInstanceOf(ConfigRecordInvalid);
    await expect(registering).rejects.toMatchObject({
      issues: [
        { path: 'name.zh', message: 'expected text without control characters, found U+202E at character 3' },
        {
          path: `fields.${i}.name`,
          message: 'expected text without control characters, found U+0000 at character 2',
        },
        {
          path: `fields.${i}.label.en`,
          message: 'expected text without control characters, found U+001B at character 5',
        },
        {
          path: `fields.${e}.values.1`,
          message: 'expected text without control characters, found U+2066 at character 1',
        },
      ],
    });
    expect(await config.getLicenseType(permit.code)).toBeUndefined();
    expect(audit.events).toEqual([]);

    await registerLicenseType(permit, OPERATOR, deps);
    const updating = updateLicenseType(
      { type: { ...permit, name: { zh: permit.name.zh, en: 'Demo\u2028permit' } }, expectedVersion: 1 },
      OPERATOR,
      deps,
    );
    await expect(updating).rejects.toMatchObject({ issues: [{ path: 'name.en' }] });
    expect(await config.getLicenseType(permit.code)).toEqual({ value: permit, version: 1 });
    expect(audit.events).toHaveLength(1);
  });

  it.each(DEMO_LICENSE_TYPES.map((t) => [t.name.zh, t] as const))(
    'registers the demo type %s, whose text holds no control character',
    async (_, type) => {
      const { deps } = setup('local', false);
      expect((await registerLicenseType(type, OPERATOR, deps)).version).toBe(1);
    },
  );

  it('names every issuer that is not registered or does not issue', async () => {
    const { deps, config } = setup();
    const type = {
      ...permit,
      issuers: [DEMO_USCC.publicSecurityBureau, testUscc(1), DEMO_USCC.housingProvidentFundCentre],
    };
    const refused = registerLicenseType(type, OPERATOR, deps);
    await expect(refused).rejects.toThrow(CatalogCrossCheckFailed);
    await expect(refused).rejects.toMatchObject({
      problems: [
        { path: 'issuers.1', reason: `no agency ${testUscc(1)} is registered` },
        {
          path: 'issuers.2',
          reason: `agency ${DEMO_USCC.housingProvidentFundCentre} has roles relying, not issuer`,
        },
      ],
    });
    expect(await config.getLicenseType(permit.code)).toBeUndefined();
  });

  it('refuses a data domain the stage has no license tables for, naming the known ones', async () => {
    const { deps, config, audit } = setup();
    const refused = registerLicenseType({ ...permit, dataDomain: 'vehicle' }, OPERATOR, deps);
    await expect(refused).rejects.toThrow(CatalogCrossCheckFailed);
    await expect(refused).rejects.toMatchObject({
      problems: [
        {
          path: 'dataDomain',
          reason: 'the stage has no license tables for data domain vehicle; it has person, legal-entity',
        },
      ],
    });
    expect(await config.getLicenseType(permit.code)).toBeUndefined();
    expect(audit.events).toEqual([]);
  });

  it('refuses a registered code, and a demo type where demo data is refused', async () => {
    await expect(registerLicenseType(idCard, OPERATOR, setup().deps)).rejects.toThrow(ConfigRecordExists);
    await expect(
      registerLicenseType({ ...permit, demo: true }, OPERATOR, setup('prod', true, 'refused').deps),
    ).rejects.toThrow(DemoRecordRefused);
  });
});

describe('updateLicenseType', () => {
  it('replaces a type at the version read', async () => {
    const { deps } = setup();
    const renamed = { ...idCard, name: { zh: '居民身份证（新）', en: 'Resident identity card' } };
    expect(await updateLicenseType({ type: renamed, expectedVersion: 1 }, OPERATOR, deps)).toEqual({
      value: renamed,
      version: 2,
    });
    await expect(updateLicenseType({ type: renamed, expectedVersion: 1 }, OPERATOR, deps)).rejects.toThrow(
      ConfigVersionConflict,
    );
  });

  it('records what the update changed: each field by name with its changed flags, issuers added and removed', async () => {
    const { deps, audit } = setup();
    const changed: LicenseType = {
      ...idCard,
      fields: [
        ...idCard.fields
          .filter((f) => f.name !== '照片')
          .map((f) =>
            f.name === '住址'
              ? { ...f, sensitive: false, disclosable: false, label: { zh: '住所', en: 'Domicile' } }
              : f,
          ),
        { ...idCard.fields.find((f) => f.name === '签发机关')!, name: '备注', required: false },
      ],
      validity: { ...idCard.validity, longTermAllowed: false },
      issuers: [DEMO_USCC.vehicleAdministration],
    };
    await updateLicenseType({ type: changed, expectedVersion: 1 }, OPERATOR, deps);
    expect(audit.events).toEqual([
      expect.objectContaining({ action: 'license_type.updated', subject: { typeCode: idCard.code } }),
    ]);
    expect(audit.events[0]?.details).toEqual({
      version: 2,
      operatorKeyId: OPERATOR.keyId,
      changes: {
        fields: {
          added: ['备注'],
          removed: ['照片'],
          changed: {
            住址: {
              sensitive: { before: true, after: false },
              disclosable: { before: true, after: false },
              label: 'changed',
            },
          },
        },
        validity: {
          before: idCard.validity,
          after: { ...idCard.validity, longTermAllowed: false },
        },
        issuers: {
          added: [DEMO_USCC.vehicleAdministration],
          removed: [DEMO_USCC.publicSecurityBureau],
          addedCount: 1,
          removedCount: 1,
        },
      },
    });
  });

  it('records an update that changes nothing as no change', async () => {
    const { deps, audit } = setup();
    await updateLicenseType({ type: idCard, expectedVersion: 1 }, OPERATOR, deps);
    expect(audit.events[0]?.details).toMatchObject({ version: 2, changes: {} });
  });

  it('refuses to move a type to another data domain: its licenses stay in the tables of the first', async () => {
    const { deps, config, audit } = setup();
    for (const dataDomain of ['legal-entity', 'vehicle']) {
      const moved = { ...idCard, dataDomain };
      const refused = updateLicenseType({ type: moved, expectedVersion: 1 }, OPERATOR, deps);
      await expect(refused).rejects.toThrow(DataDomainChangeRefused);
      await expect(refused).rejects.toThrow(
        `type ${idCard.code} keeps its data domain person, found ${dataDomain}: its licenses are stored in the person tables`,
      );
    }
    expect(await config.getLicenseType(idCard.code)).toEqual({ value: idCard, version: 1 });
    expect(audit.events).toEqual([]);
  });

  it('refuses to change whose fields name the holder: a re-issue would list the license under another holder or index', async () => {
    const { deps, config, audit } = setup();
    const citizenId = idCard.fields.find((f) => f.name === '公民身份号码')!;
    // A second citizen-id field (a guardian's), so that each change alone is a valid type.
    const guardian = {
      ...citizenId,
      name: '监护人公民身份号码',
      label: { zh: '监护人公民身份号码', en: 'Guardian' },
    };
    const withGuardian = { ...idCard, fields: [...idCard.fields, guardian] };
    const changes = [
      { ...idCard.holder, codeField: guardian.name },
      { ...idCard.holder, nameField: '签发机关' },
      { ...idCard.holder, codeType: '999' },
    ];
    for (const holder of changes) {
      const refused = updateLicenseType(
        { type: { ...withGuardian, holder }, expectedVersion: 1 },
        OPERATOR,
        deps,
      );
      await expect(refused).rejects.toThrow(HolderMappingChangeRefused);
      await expect(refused).rejects.toThrow(
        `type ${idCard.code} keeps its holder mapping (nameField 姓名, codeField 公民身份号码, codeType 111), found (nameField ${holder.nameField}, codeField ${holder.codeField}, codeType ${holder.codeType})`,
      );
    }
    expect(await config.getLicenseType(idCard.code)).toEqual({ value: idCard, version: 1 });
    expect(audit.events).toEqual([]);
    // The same mapping with another field added is an update like any other.
    const saved = await updateLicenseType({ type: withGuardian, expectedVersion: 1 }, OPERATOR, deps);
    expect(saved.value.holder).toEqual(idCard.holder);
  });

  it('refuses to update a type whose stored data domain the stage has no tables for', async () => {
    const { deps, config } = setup();
    const stranded = { ...permit, dataDomain: 'vehicle' };
    config.types.create(stranded);
    const refused = updateLicenseType(
      { type: { ...stranded, name: { zh: '改名', en: 'Renamed' } }, expectedVersion: 1 },
      OPERATOR,
      deps,
    );
    await expect(refused).rejects.toMatchObject({ problems: [{ path: 'dataDomain' }] });
  });

  it('refuses to stop disclosing a field a sharing agreement names, naming the agreement', async () => {
    const { deps, config, audit } = setup();
    const hidden = {
      ...idCard,
      fields: idCard.fields.map((f) => (f.name === '姓名' ? { ...f, disclosable: false } : f)),
    };
    const refused = updateLicenseType({ type: hidden, expectedVersion: 1 }, OPERATOR, deps);
    await expect(refused).rejects.toThrow(LicenseTypeChangeBreaksAgreements);
    await expect(refused).rejects.toThrow(
      new RegExp(`agreement ${agreement.id}: field 姓名 .* not disclosable`),
    );
    expect((await config.getLicenseType(idCard.code))?.version).toBe(1);
    expect(audit.events).toEqual([]);
  });

  it('refuses a change when an agreement naming the type was written after its agreements were checked', async () => {
    const { deps, config, audit } = setup();
    // Registered between the update's check of the type's agreements and its write, as a
    // concurrent registration would be: it discloses 民族, which the update stops disclosing.
    const late: SharingAgreement = { ...agreement, id: 'hpf-late', fields: ['民族'], demo: undefined };
    let interposed = false;
    const racing = new Proxy(config, {
      get(target, name, receiver) {
        const member = Reflect.get(target, name, receiver);
        if (name !== 'updateLicenseType') return typeof member === 'function' ? member.bind(target) : member;
        return async (...args: Parameters<InMemoryConfigStore['updateLicenseType']>) => {
          if (!interposed) {
            interposed = true;
            await registerSharingAgreement(late, OPERATOR, { ...deps, newEventId: () => 'evt-late' });
          }
          return target.updateLicenseType(...args);
        };
      },
    });
    const hidden = {
      ...idCard,
      fields: idCard.fields.map((f) => (f.name === '民族' ? { ...f, disclosable: false } : f)),
    };
    const refused = updateLicenseType({ type: hidden, expectedVersion: 1 }, OPERATOR, {
      ...deps,
      config: racing,
    });
    await expect(refused).rejects.toThrow(SharingAgreementsChanged);
    await expect(refused).rejects.toMatchObject({ code: 'SHARING_AGREEMENTS_CHANGED' });
    expect(await config.getLicenseType(idCard.code)).toEqual({ value: idCard, version: 1 });
    expect(audit.events.map((e) => e.action)).toEqual(['sharing_agreement.registered']);
    // Checked again against the agreements as they are now, the change is refused for the late one.
    await expect(updateLicenseType({ type: hidden, expectedVersion: 1 }, OPERATOR, deps)).rejects.toThrow(
      /agreement hpf-late: field 民族/,
    );
  });

  it('leaves the type as read (value and version, its ETag) when agreements naming it are written', async () => {
    const { deps, config } = setup();
    await registerSharingAgreement({ ...agreement, id: 'hpf-more', demo: undefined }, OPERATOR, deps);
    expect(await config.getLicenseType(idCard.code)).toEqual({ value: idCard, version: 1 });
    expect((await updateLicenseType({ type: idCard, expectedVersion: 1 }, OPERATOR, deps)).version).toBe(2);
  });
});

describe('sharing agreements', () => {
  const fresh: SharingAgreement = { ...agreement, id: 'hpf-new', demo: undefined };

  it('registers an agreement that fits the catalog, and records it', async () => {
    const { deps, audit } = setup();
    expect((await registerSharingAgreement(fresh, OPERATOR, deps)).version).toBe(1);
    expect(audit.events).toEqual([
      expect.objectContaining({
        action: 'sharing_agreement.registered',
        subject: { typeCode: fresh.typeCode },
        details: expect.objectContaining({ agreement: 'hpf-new', relyingAgency: fresh.relyingAgency }),
      }),
    ]);
  });

  it('refuses, registered or updated, control characters in the service item name or a purpose (400 naming each), writing nothing', async () => {
    const { deps, config, audit } = setup();
    const refused = registerSharingAgreement(
      {
        ...fresh,
        serviceItem: { ...fresh.serviceItem, name: '提取\u001b[2J' },
        purposes: [fresh.purposes[0]!, '核验\u202Eyrotsih'],
      },
      OPERATOR,
      deps,
    );
    await expect(refused).rejects.toBeInstanceOf(ConfigRecordInvalid);
    await expect(refused).rejects.toMatchObject({
      issues: [
        {
          path: 'serviceItem.name',
          message: 'expected text without control characters, found U+001B at character 3',
        },
        {
          path: 'purposes.1',
          message: 'expected text without control characters, found U+202E at character 3',
        },
      ],
    });
    expect(await config.getSharingAgreement('hpf-new')).toBeUndefined();
    expect(audit.events).toEqual([]);

    await registerSharingAgreement(fresh, OPERATOR, deps);
    const updating = updateSharingAgreement(
      { agreement: { ...fresh, purposes: ['\u0000'] }, expectedVersion: 1 },
      OPERATOR,
      deps,
    );
    await expect(updating).rejects.toMatchObject({ issues: [{ path: 'purposes.0' }] });
    expect((await config.getSharingAgreement('hpf-new'))?.value).toEqual(fresh);
    expect(audit.events).toHaveLength(1);
  });

  it.each(DEMO_SHARING_AGREEMENTS.map((a) => [a.id, a] as const))(
    'registers the demo agreement %s, whose text holds no control character',
    async (_, demo) => {
      const { deps, config } = setup();
      const copy = { ...demo, id: `${demo.id}-copy` };
      expect((await registerSharingAgreement(copy, OPERATOR, deps)).version).toBe(1);
      expect((await config.getSharingAgreement(copy.id))?.value).toEqual(copy);
    },
  );

  it('names each field that the type lacks or does not disclose', async () => {
    const { deps, config } = setup();
    await registerLicenseType(permit, OPERATOR, deps);
    const refused = registerSharingAgreement(
      { ...fresh, typeCode: permit.code, fields: ['姓名', '住址', '血型'] },
      OPERATOR,
      deps,
    );
    await expect(refused).rejects.toMatchObject({
      problems: [
        {
          path: 'fields',
          field: '住址',
          reason: `field 住址 of type ${permit.code} is not disclosable on its own`,
        },
        { path: 'fields', field: '血型', reason: `type ${permit.code} has no field 血型` },
      ],
    });
    expect(await config.getSharingAgreement('hpf-new')).toBeUndefined();
  });

  it('names an unknown type and an unknown relying agency together', async () => {
    const { deps } = setup('local', false);
    const refused = registerSharingAgreement({ ...fresh, relyingAgency: testUscc(2) }, OPERATOR, deps);
    await expect(refused).rejects.toMatchObject({
      problems: [
        { path: 'typeCode', reason: `no license type ${fresh.typeCode} is registered` },
        { path: 'relyingAgency', reason: `no agency ${testUscc(2)} is registered` },
      ],
    });
  });

  it('refuses an agency without the relying role', async () => {
    const { deps } = setup();
    const refused = registerSharingAgreement(
      { ...fresh, relyingAgency: DEMO_USCC.publicSecurityBureau },
      OPERATOR,
      deps,
    );
    await expect(refused).rejects.toThrow(CatalogCrossCheckFailed);
    await expect(refused).rejects.toThrow(/relyingAgency: agency .* has roles issuer, not relying/);
  });

  it('records the agreement whole on registration, and an update as the members changed', async () => {
    const { deps, audit } = setup();
    await registerSharingAgreement(fresh, OPERATOR, deps);
    const widened = { ...fresh, purposes: [...fresh.purposes, '核验缴存人身份'], validUntil: '2031-12-31' };
    await updateSharingAgreement({ agreement: widened, expectedVersion: 1 }, OPERATOR, deps);
    expect(audit.events.map((e) => e.details)).toEqual([
      {
        agreement: fresh.id,
        version: 1,
        relyingAgency: fresh.relyingAgency,
        serviceItem: fresh.serviceItem,
        purposes: fresh.purposes,
        fields: fresh.fields,
        validFrom: fresh.validFrom,
        validUntil: fresh.validUntil,
        operatorKeyId: OPERATOR.keyId,
      },
      {
        agreement: fresh.id,
        version: 2,
        relyingAgency: fresh.relyingAgency,
        changes: {
          purposes: { before: fresh.purposes, after: widened.purposes },
          validUntil: { before: fresh.validUntil, after: '2031-12-31' },
        },
        operatorKeyId: OPERATOR.keyId,
      },
    ]);
  });

  it('lets the agreements of an agency whose relying role was taken away be narrowed or ended, never widened', async () => {
    // "To stop an agency at once, take away its role": its agreements must then be wound down
    // without giving the role back, which would let it retrieve meanwhile.
    const { deps, config } = setup();
    const agency = (await config.getAgency(agreement.relyingAgency))!;
    await config.updateAgency({ ...agency.value, roles: ['operator'] }, agency.version);

    const narrowed = { ...agreement, fields: ['姓名'] };
    expect(
      (await updateSharingAgreement({ agreement: narrowed, expectedVersion: 1 }, OPERATOR, deps)).version,
    ).toBe(2);
    const widened = updateSharingAgreement(
      { agreement: { ...narrowed, fields: ['姓名', '出生'] }, expectedVersion: 2 },
      OPERATOR,
      deps,
    );
    await expect(widened).rejects.toThrow(/has roles operator, not relying/);
    // Ended (its last day before today, 2026-03-01 China time): withdrawn.
    const ended = { ...narrowed, validUntil: '2026-02-28' };
    expect(
      (await updateSharingAgreement({ agreement: ended, expectedVersion: 2 }, OPERATOR, deps)).version,
    ).toBe(3);
    // Brought back into force, it is checked in full again.
    await expect(
      updateSharingAgreement(
        { agreement: { ...ended, validUntil: '2030-12-31' }, expectedVersion: 3 },
        OPERATOR,
        deps,
      ),
    ).rejects.toThrow(/not relying/);
  });

  it('lets a type change make undisclosable a field only ended agreements name: they are the record of what was allowed', async () => {
    const { deps, config } = setup();
    const stored = (await config.getLicenseType(idCard.code))!;
    const hidden = {
      ...stored.value,
      fields: stored.value.fields.map((f) => (f.name === '公民身份号码' ? { ...f, disclosable: false } : f)),
    };
    // In force, the agreement naming it blocks the change.
    await expect(
      updateLicenseType({ type: hidden, expectedVersion: stored.version }, OPERATOR, deps),
    ).rejects.toThrow(LicenseTypeChangeBreaksAgreements);
    // Ended, it does not — and is kept as it was, not rewritten to fit.
    await updateSharingAgreement(
      { agreement: { ...agreement, validUntil: '2025-12-31' }, expectedVersion: 1 },
      OPERATOR,
      deps,
    );
    expect(
      (await updateLicenseType({ type: hidden, expectedVersion: stored.version }, OPERATOR, deps)).version,
    ).toBe(stored.version + 1);
    expect((await config.getSharingAgreement(agreement.id))!.value.fields).toEqual(agreement.fields);
  });

  it('refuses a registered id, and updates at the version read with the same checks', async () => {
    const { deps } = setup();
    await expect(registerSharingAgreement(agreement, OPERATOR, deps)).rejects.toThrow(ConfigRecordExists);
    const narrowed = { ...agreement, fields: ['姓名'] };
    expect(
      (await updateSharingAgreement({ agreement: narrowed, expectedVersion: 1 }, OPERATOR, deps)).version,
    ).toBe(2);
    await expect(
      updateSharingAgreement(
        { agreement: { ...narrowed, fields: ['指纹'] }, expectedVersion: 2 },
        OPERATOR,
        deps,
      ),
    ).rejects.toThrow(/type .* has no field 指纹/);
    await expect(
      updateSharingAgreement({ agreement: narrowed, expectedVersion: 1 }, OPERATOR, deps),
    ).rejects.toThrow(ConfigVersionConflict);
  });
});

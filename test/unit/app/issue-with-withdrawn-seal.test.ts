// A seal key withdrawn while an issuance is under way: the issuance read the agency record just
// before the withdrawal committed, then the key service refuses the key (KMS DisableKey). The
// issuer is told, as a 409 it can act on, that nothing was issued and that a retry signs with
// the key the record now names — not a 500.

import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { issueLicense } from '#app/issue-license.ts';
import { issueLicenseBatch } from '#app/issue-license-batch.ts';
import { LicenseSealWithdrawn, SealKeyUnusable } from '#app/issuer-errors.ts';
import type { LicenseRequest } from '#app/license-issuance.ts';
import { reissueLicense } from '#app/reissue-license.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asBatchItemProblem, asProblem } from '#http/domain-problems.ts';
import type { SigningKey } from '#ports/signer.ts';
import { issuerWorld } from './issuer-fakes.ts';

const PSB = { agency: DEMO_USCC.publicSecurityBureau };
const NOW = new Date('2025-06-01T02:00:00.000Z');

const card: LicenseRequest = {
  typeCode: DEMO_TYPE_CODE.residentIdentityCard,
  holder: {
    name: DEMO_HOLDERS.zhangWeiming.name,
    codeType: DEMO_HOLDERS.zhangWeiming.codeType,
    code: DEMO_HOLDERS.zhangWeiming.code,
  },
  data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
};

type World = ReturnType<typeof issuerWorld>;

/** The key service refusing the agency's seal key as KMS a disabled one: at GetPublicKey, or at Sign (a container that cached it). */
function disableSeal(world: World, at: 'keyFor' | 'sign'): void {
  const { keyFor } = world.deps.keys;
  world.deps.keys = {
    keyFor: async (keyRef): Promise<SigningKey> => {
      const refusal = new SigningKeyWithdrawn(keyRef, 'DisabledException: key is disabled');
      if (at === 'keyFor') throw refusal;
      const key = await keyFor(keyRef);
      return {
        ...key,
        signer: {
          alg: key.signer.alg,
          kid: key.signer.kid,
          sign: async () => {
            throw refusal;
          },
        },
      };
    },
  };
}

const sealKid = (world: World) => world.catalog.agencies.find((a) => a.uscc === PSB.agency)!.sealKey!.kid;

describe('an issuance whose seal key the key service no longer uses', () => {
  it.each(['keyFor', 'sign'] as const)(
    'is 409 SEAL_KEY_UNUSABLE telling the issuer to send it again, and writes nothing (refused at %s)',
    async (at) => {
      const world = issuerWorld(NOW);
      disableSeal(world, at);

      const refused = await issueLicense(card, PSB, world.deps).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(refused).toBeInstanceOf(SealKeyUnusable);
      expect(asProblem(refused)).toMatchObject({
        status: 409,
        problemType: 'conflict',
        extensions: { code: 'SEAL_KEY_UNUSABLE' },
        message: expect.stringMatching(
          new RegExp(
            `seal key ${sealKid(world)} of agency ${PSB.agency} can no longer sign: nothing was written\\. .*send the request again`,
          ),
        ),
      });
      expect(world.licenses.records.size).toBe(0);
      expect(world.licenses.audit).toEqual([]);
    },
  );

  it('refuses each item of a batch alike, as certainly not issued', async () => {
    const world = issuerWorld(NOW);
    disableSeal(world, 'sign');
    const outcomes = await issueLicenseBatch(
      [
        { index: 0, request: card },
        { index: 1, request: card },
      ],
      PSB,
      world.deps,
    );
    expect(outcomes.map((o) => !o.ok && asBatchItemProblem(o.error))).toEqual([
      expect.objectContaining({ status: 409, extensions: { code: 'SEAL_KEY_UNUSABLE' } }),
      expect.objectContaining({ status: 409, extensions: { code: 'SEAL_KEY_UNUSABLE' } }),
    ]);
    expect(world.licenses.records.size).toBe(0);
  });

  it('refuses a re-issue alike, leaving the license as it was', async () => {
    const world = issuerWorld(NOW);
    const { licenseId } = await issueLicense(card, PSB, world.deps);
    const before = await world.licenses.get(licenseId);
    disableSeal(world, 'sign');
    await expect(reissueLicense({ licenseId, reason: '换发' }, PSB, world.deps)).rejects.toBeInstanceOf(
      SealKeyUnusable,
    );
    expect(await world.licenses.get(licenseId)).toEqual(before);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });
});

describe('a re-run under an Idempotency-Key whose license was sealed with a key since withdrawn', () => {
  it('is 409 LICENSE_SEAL_WITHDRAWN telling the issuer to re-issue it, and hands out no copy', async () => {
    const world = issuerWorld(NOW);
    const keyed = { ...card, issuanceKey: { requestKey: 'order-7' } };
    const { licenseId } = await issueLicense(keyed, PSB, world.deps);
    // The operator withdraws the key the license was sealed with: the agency signs with a new one.
    const withdrawnKid = sealKid(world);
    const replacement = new SoftwareEs256Signer('seal-replacement');
    world.catalog.seals.set('replacement', replacement);
    const agencies = world.catalog.agencies;
    const at = agencies.findIndex((a) => a.uscc === PSB.agency);
    agencies[at] = {
      ...agencies[at]!,
      sealKey: { keyRef: 'replacement', kid: replacement.kid },
      previousSealKeys: [
        {
          ...agencies[at]!.sealKey!,
          withdrawn: { at: NOW.toISOString(), reason: 'compromised', operator: DEMO_USCC.platformOperator },
        },
      ],
    };

    const refused = await issueLicense(keyed, PSB, world.deps).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(LicenseSealWithdrawn);
    expect(asProblem(refused)).toMatchObject({
      status: 409,
      problemType: 'conflict',
      extensions: { code: 'LICENSE_SEAL_WITHDRAWN', licenseId, version: '001', kid: withdrawnKid },
      message: expect.stringMatching(
        new RegExp(`${licenseId.replaceAll('.', '\\.')}, .*${withdrawnKid}.*withdrawn.*re-issue`),
      ),
    });
    expect(world.licenses.records.size).toBe(1);
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });
});

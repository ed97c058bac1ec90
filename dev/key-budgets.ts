// The KMS call budgets, measured: simulated issuances (seal the sensitive fields of a demo
// license, compute its holder blind index, sign one JWS with the issuer's seal key) and
// retrievals (open the sealed fields) through the AWS key adapters, with a counter on the
// KMS client. Shared by test/integration/keys/kms-budgets.test.ts and bench/kms-budgets.bench.ts.
import {
  CreateKeyCommand,
  type CreateKeyCommandInput,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { createBlindIndexKeyBlob, KmsBlindIndexer } from '#adapters/aws/blind-indexer.ts';
import { type DataKeyCacheLimits, type EsdkFieldCipher, kmsFieldCipher } from '#adapters/aws/field-cipher.ts';
import { KmsSigningKeys } from '#adapters/aws/kms-signer.ts';
import { licenseTableName } from '#adapters/aws/tables.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { signCompactJws } from '#core/jws.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { FieldBinding, FieldValue, LicenseFields, SealedFields } from '#ports/field-cipher.ts';
import type { SigningKeys } from '#ports/signer.ts';
import { DEMO_LICENSE_TYPES, DEMO_LICENSES } from './demo/catalog.ts';
import { countKmsCommands, type KmsCommandCounter } from './kms-command-counter.ts';

/** One license to issue: where it is stored, who signs it, whom it is about, what is sealed. */
export interface SimulatedLicense {
  binding: FieldBinding;
  issuerUscc: string;
  holder: { codeType: string; code: string };
  /** The type's sensitive fields present in the demo data. */
  sensitive: LicenseFields;
}

/** What an issuance leaves behind for the retrieval side. */
export interface IssuedLicense {
  license: SimulatedLicense;
  sealed: SealedFields;
  holderToken: string;
  jws: string;
}

/** The KMS keys of a simulated stage, created in whatever KMS the client reaches. */
export interface SimulatedKeys {
  /** Seal key ARN by issuing agency USCC. */
  sealKeys: Record<string, string>;
  platformKey: string;
  fieldKey: string;
  blindIndexKey: string;
  blindIndexBlob: Uint8Array;
  /** Schedules every key for deletion. */
  delete(): Promise<void>;
}

/** `count` distinct licenses cycling through the demo licenses, spread over two shards per domain. */
export function simulatedLicenses(count: number): SimulatedLicense[] {
  return Array.from({ length: count }, (_, i) => {
    const demo = DEMO_LICENSES[i % DEMO_LICENSES.length];
    if (demo === undefined) throw new Error('the demo catalog has no licenses');
    const type = licenseType(demo.typeCode);
    const licenseId = buildLicenseId({
      typeCode: demo.typeCode,
      issuerCode: demo.issuer,
      serial: `SIM${String(i).padStart(8, '0')}`,
      version: '001',
    });
    const sensitive: Record<string, FieldValue> = {};
    for (const field of type.fields) {
      const value = demo.data[field.name];
      if (field.sensitive && value !== undefined) sensitive[field.name] = value as FieldValue;
    }
    return {
      binding: { table: `elicense-bench-${licenseTableName(type.dataDomain, i % 2)}`, licenseId },
      issuerUscc: demo.issuer,
      holder: { codeType: demo.holder.codeType, code: demo.holder.code },
      sensitive,
    };
  });
}

/** Creates the seal keys of the demo issuers, the platform key, the field key and the blind index key blob. */
export async function createSimulatedKeys(kms: KMSClient): Promise<SimulatedKeys> {
  const created: string[] = [];
  const create = async (input: CreateKeyCommandInput): Promise<string> => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand(input));
    if (KeyMetadata?.Arn === undefined || KeyMetadata.KeyId === undefined) {
      throw new Error('CreateKey returned no key ARN');
    }
    // moto's ScheduleKeyDeletion takes the key id only, not the ARN.
    created.push(KeyMetadata.KeyId);
    return KeyMetadata.Arn;
  };
  const signing: CreateKeyCommandInput = { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' };
  const issuers = [...new Set(DEMO_LICENSES.map((license) => license.issuer))];
  const sealKeys: Record<string, string> = {};
  for (const uscc of issuers) sealKeys[uscc] = await create({ ...signing, Description: `seal of ${uscc}` });
  const platformKey = await create({ ...signing, Description: 'platform' });
  const fieldKey = await create({ Description: 'field encryption' });
  const blindIndexKey = await create({ Description: 'blind index key wrapping' });
  return {
    sealKeys,
    platformKey,
    fieldKey,
    blindIndexKey,
    blindIndexBlob: await createBlindIndexKeyBlob(kms, blindIndexKey),
    delete: async () => {
      for (const KeyId of created)
        await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
    },
  };
}

/** The key adapters of one container, all on one KMS client whose commands are counted. */
export interface Container {
  kms: KMSClient;
  counter: KmsCommandCounter;
  signingKeys: SigningKeys;
  fieldCipher: EsdkFieldCipher;
  blindIndexer: BlindIndexer;
}

/** A fresh container: new client, new adapters, cold caches. */
export function coldContainer(keys: SimulatedKeys, limits?: Partial<DataKeyCacheLimits>): Container {
  const kms = new KMSClient({});
  const counter = countKmsCommands(kms);
  return {
    kms,
    counter,
    signingKeys: new KmsSigningKeys({ kms, platformKeyId: keys.platformKey }),
    fieldCipher: kmsFieldCipher({ kms, keyArn: keys.fieldKey, limits }),
    blindIndexer: new KmsBlindIndexer({ kms, keyId: keys.blindIndexKey, encryptedKey: keys.blindIndexBlob }),
  };
}

/**
 * Issues the licenses one after another, as one Lambda container serves one request at a
 * time (concurrent first requests would each miss the empty data key cache).
 */
export async function issueAll(
  container: Container,
  keys: SimulatedKeys,
  licenses: readonly SimulatedLicense[],
): Promise<IssuedLicense[]> {
  const issued: IssuedLicense[] = [];
  for (const license of licenses) {
    const sealed = await container.fieldCipher.encryptFields(license.binding, license.sensitive);
    const holderToken = await container.blindIndexer.tokenFor(license.holder.codeType, license.holder.code);
    const sealKey = keys.sealKeys[license.issuerUscc];
    if (sealKey === undefined) throw new Error(`no seal key for ${license.issuerUscc}`);
    const { signer } = await container.signingKeys.keyFor(sealKey);
    const jws = await signCompactJws(
      { typ: 'JWT' },
      { iss: license.issuerUscc, jti: license.binding.licenseId, holder: holderToken },
      signer,
    );
    issued.push({ license, sealed, holderToken, jws });
  }
  return issued;
}

/** Opens every issued license's sealed fields, one after another. */
export async function retrieveAll(
  container: Container,
  issued: readonly IssuedLicense[],
): Promise<LicenseFields[]> {
  const opened: LicenseFields[] = [];
  for (const { license, sealed } of issued)
    opened.push(await container.fieldCipher.decryptFields(license.binding, sealed));
  return opened;
}

function licenseType(code: string): LicenseType {
  const type = DEMO_LICENSE_TYPES.find((t) => t.code === code);
  if (type === undefined) throw new Error(`demo license of unknown type ${code}`);
  return type;
}

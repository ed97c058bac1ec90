// KMS calls per 1,000 issuances and per 1,000 retrievals through the AWS key adapters, counted
// on the KMS client against moto (started here, stopped at the end), and the CPU cost of field
// encryption with a warm data key cache. Also measured: what the same issuances would cost with
// a license-specific ESDK encryption context — the design adapters/aws/field-cipher.ts rejects.
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
} from '@aws-crypto/client-node';
import { KMSClient } from '@aws-sdk/client-kms';
import { DEFAULT_DATA_KEY_CACHE_LIMITS, kmsKeyring } from '#adapters/aws/field-cipher.ts';
import { startLocalServices } from '#dev/emulators/index.ts';
import {
  coldContainer,
  createSimulatedKeys,
  issueAll,
  retrieveAll,
  type SimulatedKeys,
  type SimulatedLicense,
  simulatedLicenses,
} from '#dev/key-budgets.ts';
import { countKmsCommands } from '#dev/kms-command-counter.ts';
import type { Figure } from './run.ts';

const ISSUANCES = 1_000;
/** The rejected designs cost a KMS call per license or per field; 100 licenses show it. */
const COMPARISON_LICENSES = 100;
const TIMING_WARMUP = 200;
const TIMING_RUNS = 2_000;

export async function run(): Promise<Record<string, Figure>> {
  const services = await startLocalServices({ services: ['kms'], mode: 'test' });
  const saved = Object.fromEntries(Object.keys(services.env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, services.env);
  const admin = new KMSClient({});
  let keys: SimulatedKeys | undefined;
  try {
    keys = await createSimulatedKeys(admin);

    const issuer = coldContainer(keys);
    const issued = await issueAll(issuer, keys, simulatedLicenses(ISSUANCES));
    const issuance = { ...issuer.counter.counts };
    const reader = coldContainer(keys);
    await retrieveAll(reader, issued);
    const retrieval = { ...reader.counter.counts };
    const per1000 = (n: number | undefined): number => ((n ?? 0) * 1_000) / ISSUANCES;

    // CPU per license with the data key cached: the issuing container seals new licenses, the
    // reading one opens the issued ones again. No KMS call happens in either loop.
    const licenses = simulatedLicenses(TIMING_WARMUP + TIMING_RUNS);
    for (const license of licenses.slice(0, TIMING_WARMUP)) {
      await issuer.fieldCipher.encryptFields(license.binding, license.sensitive);
    }
    let start = process.hrtime.bigint();
    for (const license of licenses.slice(TIMING_WARMUP)) {
      await issuer.fieldCipher.encryptFields(license.binding, license.sensitive);
    }
    const encryptUs = Number(process.hrtime.bigint() - start) / 1e3 / TIMING_RUNS;
    const reads = Array.from({ length: TIMING_RUNS }, (_, i) => issued[i % issued.length]!);
    for (const { license, sealed } of issued.slice(0, TIMING_WARMUP)) {
      await reader.fieldCipher.decryptFields(license.binding, sealed);
    }
    start = process.hrtime.bigint();
    for (const { license, sealed } of reads) await reader.fieldCipher.decryptFields(license.binding, sealed);
    const decryptUs = Number(process.hrtime.bigint() - start) / 1e3 / TIMING_RUNS;
    const kmsDuringTiming = issuer.counter.count('GenerateDataKey') + reader.counter.count('Decrypt') - 2;

    const perLicense = await licenseSpecificContext(keys, 'license');
    const perField = await licenseSpecificContext(keys, 'field');
    const compared = (n: number): number => (n * 1_000) / COMPARISON_LICENSES;

    return {
      kms_sign_per_1000_issuances: { value: per1000(issuance.Sign), unit: 'calls', target: '≤ 1000' },
      kms_generate_data_key_per_1000_issuances: {
        value: per1000(issuance.GenerateDataKey),
        unit: 'calls',
        target: '≤ 2',
      },
      kms_decrypt_per_1000_retrievals: { value: per1000(retrieval.Decrypt), unit: 'calls', target: '≤ 2' },
      kms_other_calls_per_1000_issuances: {
        value: per1000(
          Object.entries(issuance)
            .filter(([name]) => name !== 'Sign' && name !== 'GenerateDataKey')
            .reduce((sum, [, n]) => sum + n, 0),
        ),
        unit: 'calls (GetPublicKey per seal key, blind index key Decrypt)',
      },
      field_encrypt_us_per_license: { value: encryptUs, unit: 'µs (warm data key cache)' },
      field_decrypt_us_per_license: { value: decryptUs, unit: 'µs (warm data key cache)' },
      field_kms_calls_during_timing: { value: kmsDuringTiming, unit: 'calls', target: '0' },
      kms_generate_data_key_per_1000_issuances_if_context_per_license: {
        value: compared(perLicense.generateDataKey),
        unit: 'calls (rejected design)',
      },
      kms_decrypt_per_1000_retrievals_if_context_per_license: {
        value: compared(perLicense.decrypt),
        unit: 'calls (rejected design)',
      },
      kms_generate_data_key_per_1000_issuances_if_context_per_field: {
        value: compared(perField.generateDataKey),
        unit: 'calls (rejected design)',
      },
      kms_decrypt_per_1000_retrievals_if_context_per_field: {
        value: compared(perField.decrypt),
        unit: 'calls (rejected design)',
      },
    };
  } finally {
    await keys?.delete();
    admin.destroy();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await services.stop();
  }
}

/**
 * The same caching materials manager and limits as the field cipher, but with the license id
 * (and the field name) in the ESDK encryption context, as the architecture first described:
 * the cache is keyed on the context, so every license (every field) misses it.
 */
async function licenseSpecificContext(
  keys: SimulatedKeys,
  scope: 'license' | 'field',
): Promise<{ generateDataKey: number; decrypt: number }> {
  const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const materials = (kms: KMSClient): NodeCachingMaterialsManager => {
    const limits = DEFAULT_DATA_KEY_CACHE_LIMITS;
    return new NodeCachingMaterialsManager({
      backingMaterials: kmsKeyring(kms, keys.fieldKey),
      cache: getLocalCryptographicMaterialsCache(limits.capacity),
      partition: 'rejected-design',
      maxAge: limits.maxAgeMs,
      maxMessagesEncrypted: limits.maxMessagesEncrypted,
      maxBytesEncrypted: limits.maxBytesEncrypted,
    });
  };
  const suiteId = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
  const contexts = (license: SimulatedLicense): [Record<string, string>, string][] => {
    const { table, licenseId } = license.binding;
    if (scope === 'license') return [[{ table, licenseId }, JSON.stringify(license.sensitive)]];
    return Object.entries(license.sensitive).map(([field, value]) => [
      { table, licenseId, field },
      JSON.stringify(value),
    ]);
  };

  const writerKms = new KMSClient({});
  const writer = countKmsCommands(writerKms);
  const writerMaterials = materials(writerKms);
  const messages: Buffer[] = [];
  for (const license of simulatedLicenses(COMPARISON_LICENSES)) {
    for (const [encryptionContext, plaintext] of contexts(license)) {
      messages.push((await esdk.encrypt(writerMaterials, plaintext, { encryptionContext, suiteId })).result);
    }
  }
  const readerKms = new KMSClient({});
  const reader = countKmsCommands(readerKms);
  const readerMaterials = materials(readerKms);
  for (const message of messages) await esdk.decrypt(readerMaterials, message);
  writerKms.destroy();
  readerKms.destroy();
  return { generateDataKey: writer.count('GenerateDataKey'), decrypt: reader.count('Decrypt') };
}

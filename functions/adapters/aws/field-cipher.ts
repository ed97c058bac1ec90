// Field encryption with the AWS Encryption SDK: envelope encryption of a license's sensitive
// fields under a KMS key (KmsKeyringNode) on AWS, or under the local key vault's wrapping key
// (RawAesKeyringNode, see adapters/local/field-cipher.ts) on the local platform.
//
// Why one ESDK message per license with a constant encryption context, and the {table,
// license id, field} binding inside the authenticated plaintext — measured against moto, one
// container sealing the demo licenses' sensitive fields (4.2 per license on average), a fresh
// one opening them (bench/kms-budgets.bench.ts, figures per 1,000 licenses):
//
//   ESDK encryption context              GenerateDataKey   Decrypt (fresh container)   bytes/license
//   {table, licenseId, field} per field        4,200              4,200              ~380 per field
//   {table, licenseId} per license             1,000              1,000                     ~545
//   constant {elicense:purpose}                    1                  1                     ~535
//
// The caching materials manager keys its encrypt cache on (partition, suite, encryption
// context) and its decrypt cache on (partition, suite, encrypted data keys, encryption
// context) — @aws-crypto/cache-material build_cryptographic_materials_cache_key_helpers. Any
// license-specific value in the ESDK context is therefore a cache miss on every license (so
// {table, licenseId} fails the budget as surely as {table, licenseId, field}): one
// GenerateDataKey per issuance and one Decrypt per retrieval, against budgets of ≤ 2 per 1,000.
// So the KMS-visible context is constant, and the binding moves into the message body: the
// plaintext is {v, table, licenseId, fields: {name: value}}, authenticated by the ESDK's
// AES-GCM under a committed key, and decryptFields refuses a body whose table or license id is
// not the one asked for. Sealed bytes moved to another license or table, or with any bit
// changed, do not open, exactly as under an encryption-context mismatch; field names are
// inside the same authenticated body, so a value cannot move between fields. What is lost is
// only that KMS (CloudTrail, key policy conditions) no longer sees the license id — which it
// cannot usefully see at one call per container anyway. (A data domain in the context would let
// key policies split 人口库 from 法人库 at one data key per domain per container; not done.)
//
// Decrypt stays at one call per distinct data key: retrieving licenses sealed by many
// containers over many five-minute windows costs one Decrypt per window met, then none.
//
// Suite: ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY (committing, unsigned). The signed
// suite (…_ECDSA_P384) measured 1.7 ms per encrypt and 1.5 ms per decrypt against 0.6 and 0.7
// ms (2 vCPU, shared), and 770 against 572 bytes; its guarantee (a decrypt-only principal
// cannot forge ciphertexts) adds little where every license is itself signed by its issuer.
//
// The ESDK costs 0.5–1 ms of CPU per license on a warm cache (bench field_encrypt_us_per_license,
// field_decrypt_us_per_license); AES-256-GCM of the same body under a cached data key costs
// 20–30 µs. That is a measured cost, not a reason to leave the ESDK: next to a KMS Sign and a
// DynamoDB transaction per issuance it is small, and it buys a reviewed message format, key
// commitment and keyrings for KMS, multi-Region and CloudHSM-backed keys.
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  type KeyringNode,
  KmsKeyringNode,
  type KmsNodeClientSupplier,
  NodeCachingMaterialsManager,
} from '@aws-crypto/client-node';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { FieldDecryptionFailed } from '#core/keys/errors.ts';
import type {
  FieldBinding,
  FieldCipher,
  FieldValue,
  LicenseFields,
  SealedFields,
} from '#ports/field-cipher.ts';

/** How long and how much one data key may serve before the next GenerateDataKey. */
export interface DataKeyCacheLimits {
  /** Milliseconds a data key (for encrypt) or decrypted data key (for decrypt) stays cached. */
  maxAgeMs: number;
  /** Licenses sealed under one data key. */
  maxMessagesEncrypted: number;
  /** Plaintext bytes sealed under one data key. */
  maxBytesEncrypted: number;
  /** Cache entries: one per data key in use for encrypt, one per distinct data key met on decrypt. */
  capacity: number;
}

/**
 * Five minutes or 10,000 licenses per data key: a warm issuing container asks KMS for a data
 * key at most every five minutes, and a leaked data key exposes at most 10,000 licenses' fields.
 */
export const DEFAULT_DATA_KEY_CACHE_LIMITS: Readonly<DataKeyCacheLimits> = {
  maxAgeMs: 5 * 60_000,
  maxMessagesEncrypted: 10_000,
  maxBytesEncrypted: 64 * 1024 * 1024,
  capacity: 1_000,
};

/** The ESDK encryption context: constant, so that data keys are cached (see the top of this file). */
export const FIELD_ENCRYPTION_CONTEXT: Readonly<Record<string, string>> = {
  'elicense:purpose': 'license-fields',
};

const SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
/** Sealed fields are a few hundred bytes; refusing large bodies keeps a bad item from costing memory. */
const MAX_SEALED_BODY_BYTES = 256 * 1024;
const BODY_VERSION = 1;

// One data key per message here, and a message with more is not ours: refusing them bounds the
// work an altered item can cause (each encrypted data key can mean a KMS call).
const esdk = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});

export interface EsdkFieldCipherOptions {
  /** Wraps and unwraps data keys: KmsKeyringNode on AWS, RawAesKeyringNode locally. */
  keyring: KeyringNode;
  /** Separates this cipher's cache entries; name the wrapping key. */
  partition: string;
  limits?: Partial<DataKeyCacheLimits>;
}

/** The body inside each ESDK message. */
interface SealedBody {
  v: number;
  table: string;
  licenseId: string;
  fields: Record<string, FieldValue>;
}

/** FieldCipher over the AWS Encryption SDK with a caching materials manager under explicit limits. */
export class EsdkFieldCipher implements FieldCipher {
  readonly #materials: NodeCachingMaterialsManager;

  constructor(options: EsdkFieldCipherOptions) {
    const limits = { ...DEFAULT_DATA_KEY_CACHE_LIMITS, ...options.limits };
    this.#materials = new NodeCachingMaterialsManager({
      backingMaterials: options.keyring,
      cache: getLocalCryptographicMaterialsCache(limits.capacity),
      partition: options.partition,
      maxAge: limits.maxAgeMs,
      maxMessagesEncrypted: limits.maxMessagesEncrypted,
      maxBytesEncrypted: limits.maxBytesEncrypted,
    });
  }

  async encryptFields(binding: FieldBinding, fields: LicenseFields): Promise<SealedFields> {
    const body: SealedBody = { v: BODY_VERSION, table: binding.table, licenseId: binding.licenseId, fields };
    const { result } = await esdk.encrypt(this.#materials, Buffer.from(JSON.stringify(body), 'utf8'), {
      encryptionContext: { ...FIELD_ENCRYPTION_CONTEXT },
      suiteId: SUITE,
    });
    // A copy: small Buffers are views into Node's shared pool, not something to hand out.
    return new Uint8Array(result);
  }

  async decryptFields(binding: FieldBinding, sealed: SealedFields): Promise<LicenseFields> {
    let plaintext: Buffer;
    let context: Readonly<Record<string, string>>;
    try {
      const opened = await esdk.decrypt(this.#materials, sealed, { maxBodySize: MAX_SEALED_BODY_BYTES });
      plaintext = opened.plaintext;
      context = opened.messageHeader.encryptionContext;
    } catch (error) {
      throw new FieldDecryptionFailed(binding, `the message does not decrypt (${messageOf(error)})`, {
        cause: error,
      });
    }
    for (const [name, value] of Object.entries(FIELD_ENCRYPTION_CONTEXT)) {
      if (context[name] !== value) {
        throw new FieldDecryptionFailed(
          binding,
          `expected encryption context ${name}=${value}, found ${context[name]}`,
        );
      }
    }
    const body = parseBody(plaintext);
    if (body === undefined || body.v !== BODY_VERSION) {
      throw new FieldDecryptionFailed(binding, `expected a version ${BODY_VERSION} sealed-fields body`);
    }
    if (body.table !== binding.table || body.licenseId !== binding.licenseId) {
      throw new FieldDecryptionFailed(
        binding,
        `the fields were sealed for license ${body.licenseId} in ${body.table}`,
      );
    }
    return body.fields;
  }
}

export interface KmsFieldCipherOptions {
  kms: KMSClient;
  /** ARN of the symmetric KMS key that wraps data keys (an ARN: the ESDK matches data keys by ARN). */
  keyArn: string;
  limits?: Partial<DataKeyCacheLimits>;
}

/** Field encryption under a KMS key, through the given client (so its middleware sees every call). */
export function kmsFieldCipher(options: KmsFieldCipherOptions): EsdkFieldCipher {
  const { kms, keyArn } = options;
  return new EsdkFieldCipher({
    keyring: kmsKeyring(kms, keyArn),
    partition: `kms:${keyArn}`,
    limits: options.limits,
  });
}

/** The ESDK's KMS keyring over `keyArn`, calling KMS through `kms`. */
export function kmsKeyring(kms: KMSClient, keyArn: string): KmsKeyringNode {
  // The keyring calls these three methods; routing them through send() keeps one client,
  // and with it one middleware stack (tracing, the budget tests' command counter).
  const client: EsdkKmsClient = {
    generateDataKey: (input) => kms.send(new GenerateDataKeyCommand(input)),
    encrypt: (input) => kms.send(new EncryptCommand(input)),
    decrypt: (input) => kms.send(new DecryptCommand(input)),
  };
  return new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => client });
}

/** What the ESDK's KMS keyring calls on a client. */
type EsdkKmsClient = Exclude<ReturnType<KmsNodeClientSupplier>, false>;

function parseBody(plaintext: Buffer): SealedBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { v, table, licenseId, fields } = body as Record<string, unknown>;
  if (typeof v !== 'number' || typeof table !== 'string' || typeof licenseId !== 'string') return undefined;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  return { v, table, licenseId, fields: fields as Record<string, FieldValue> };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The local platform's software HSM: what KMS is on AWS, for `npm start` and the tests.
//
// LOCAL ONLY. The master key sits in a file next to the keys it protects (`master.key`, mode
// 0600), so anyone who can read the folder can read every key: this protects against keys
// leaking through a copied or committed data file, not against someone on the machine. Never
// point a deployed stage at it; on AWS the keys live in KMS.
//
// Layout of the folder (the local data folder's `keys/`):
//   master.key                 base64url of 32 random bytes; created on first open, mode 0600
//   vault.json                 a check value sealed under the master key: a wrong master key is refused
//   signing/<name>.json        P-256 private keys (PKCS#8), e.g. signing/seal-<USCC>.json, signing/platform.json
//   signing/<name>.withdrawn   the time a seal key was withdrawn (plain; kms:DisableKey's counterpart)
//   field-wrapping.json        the AES-256 key that wraps field-encryption data keys
//   blind-index.json           the HMAC-SHA256 key of the holder blind index
// Every key file is AES-256-GCM under the master key with its own name as associated data, so
// a file copied over another does not open. Keys are created on first use; creation is
// link-if-absent, so two processes starting at once agree on one key.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SigningKeyWithdrawn, UnsupportedKeyRef } from '#core/keys/errors.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import type { SigningKey, SigningKeyRef, SigningKeys } from '#ports/signer.ts';
import { SoftwareEs256Signer } from './software-signer.ts';

/** The platform key's reference in the local vault. */
export const LOCAL_PLATFORM_KEY_REF = 'local:platform';
/** `local:seal/<agency USCC or other id>`, as the demo catalog's agencies carry. */
const LOCAL_SEAL_REF = /^local:seal\/([0-9A-Za-z_-]{1,64})$/;

const MASTER_KEY_FILE = 'master.key';
const CHECK_FILE = 'vault.json';
const FORMAT = 'elicense-local-key-vault/v1';
const NOTE =
  'Local platform only: sealed under master.key in this folder. Never use these keys in a deployed stage.';
const CHECK_PLAINTEXT = Buffer.from(`${FORMAT} master key check`);

/** The master key does not open this vault: it is not the key the vault's keys were sealed under. */
export class KeyVaultMasterKeyMismatch extends Error {
  readonly code = 'KEY_VAULT_MASTER_KEY_MISMATCH';
  readonly dir: string;
  constructor(dir: string) {
    super(
      `expected the master key that sealed the key vault in ${dir}; the one given does not open it ` +
        '(local keys only: delete the folder to start over with new keys)',
    );
    this.name = 'KeyVaultMasterKeyMismatch';
    this.dir = dir;
  }
}

/** A vault file that is not what the vault wrote: unreadable JSON, wrong format, or a seal that does not open. */
export class KeyVaultCorrupt extends Error {
  readonly code = 'KEY_VAULT_CORRUPT';
  readonly file: string;
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`key vault file ${file} is not a sealed ${FORMAT} key: ${reason}`, options);
    this.name = 'KeyVaultCorrupt';
    this.file = file;
  }
}

/** master.key is readable by others than its owner. */
export class KeyVaultMasterKeyExposed extends Error {
  readonly code = 'KEY_VAULT_MASTER_KEY_EXPOSED';
  constructor(file: string, mode: number) {
    super(
      `expected ${file} to be readable by its owner only (mode 0600), found mode 0${(mode & 0o777).toString(8)}; run chmod 600 on it`,
    );
    this.name = 'KeyVaultMasterKeyExposed';
  }
}

export interface LocalKeyVaultOptions {
  /** The folder that holds the vault, e.g. `<dataDir>/keys`; created if missing. */
  dir: string;
  /** 32 bytes. When given, no master.key file is read or written: the caller holds the key. */
  masterKey?: Uint8Array;
}

interface SealedFile {
  note: string;
  format: string;
  name: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** Local software keys behind the same ports as KMS: signing keys, the field wrapping key, the blind index key. */
export class LocalKeyVault implements SigningKeys {
  readonly dir: string;
  readonly #masterKey: Buffer;
  readonly #signingKeys = new Map<string, Promise<SigningKey>>();
  readonly #secrets = new Map<string, Promise<Uint8Array>>();

  private constructor(dir: string, masterKey: Buffer) {
    this.dir = dir;
    this.#masterKey = masterKey;
  }

  /** Opens the vault in `dir`, creating the folder and master key on first use; refuses a wrong master key. */
  static async open(options: LocalKeyVaultOptions): Promise<LocalKeyVault> {
    const { dir } = options;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const masterKey =
      options.masterKey === undefined ? await masterKeyFile(dir) : Buffer.from(options.masterKey);
    if (masterKey.length !== 32) {
      throw new RangeError(`expected a master key of 32 bytes, found ${masterKey.length}`);
    }
    const vault = new LocalKeyVault(dir, masterKey);
    const checkFile = join(dir, CHECK_FILE);
    const check = await createIfAbsent(checkFile, () => vault.#seal('vault-check', CHECK_PLAINTEXT));
    const opened = vault.#unseal(checkFile, check, 'vault-check');
    if (opened === undefined) throw new KeyVaultMasterKeyMismatch(dir);
    if (!opened.equals(CHECK_PLAINTEXT))
      throw new KeyVaultCorrupt(checkFile, 'the check value is not the expected one');
    return vault;
  }

  async keyFor(keyRef: SigningKeyRef): Promise<SigningKey> {
    let name: string;
    if (keyRef === LOCAL_PLATFORM_KEY_REF) name = 'platform';
    else {
      const seal = LOCAL_SEAL_REF.exec(keyRef);
      if (seal === null) throw new UnsupportedKeyRef(keyRef, `${LOCAL_PLATFORM_KEY_REF} or local:seal/<id>`);
      name = `seal-${seal[1]}`;
      // Asked on every use, as KMS refuses a disabled key on every call: a key cached before its
      // withdrawal (by this process or another sharing the folder) is refused all the same.
      const withdrawnAt = await readIfPresent(this.#withdrawalFile(name));
      if (withdrawnAt !== undefined) {
        throw new SigningKeyWithdrawn(keyRef, `withdrawn in the local key vault at ${withdrawnAt.trim()}`);
      }
    }
    return remember(this.#signingKeys, name, () => this.#signingKey(keyRef, name));
  }

  /**
   * Withdraws a seal key, as kms:DisableKey does on AWS: from then on keyFor refuses it
   * (SigningKeyWithdrawn). The key itself stays in the folder. Withdrawing it again changes
   * nothing; the platform key cannot be withdrawn.
   */
  async withdraw(keyRef: SigningKeyRef, at: Date = new Date()): Promise<void> {
    const seal = LOCAL_SEAL_REF.exec(keyRef);
    if (seal === null) throw new UnsupportedKeyRef(keyRef, 'local:seal/<id>');
    await createIfAbsent(this.#withdrawalFile(`seal-${seal[1]}`), () => `${at.toISOString()}\n`);
  }

  #withdrawalFile(name: string): string {
    return join(this.dir, 'signing', `${name}.withdrawn`);
  }

  platformKey(): Promise<SigningKey> {
    return this.keyFor(LOCAL_PLATFORM_KEY_REF);
  }

  /** The AES-256 key that wraps field-encryption data keys (RawAesKeyringNode's master key); a fresh copy each call. */
  async fieldWrappingKey(): Promise<Uint8Array> {
    return Uint8Array.from(
      await remember(this.#secrets, 'field-wrapping', () => this.#secret('field-wrapping', 32)),
    );
  }

  /** The HMAC-SHA256 key of the holder blind index; a fresh copy each call. */
  async blindIndexKey(): Promise<Uint8Array> {
    return Uint8Array.from(
      await remember(this.#secrets, 'blind-index', () => this.#secret('blind-index', 32)),
    );
  }

  async #signingKey(keyRef: SigningKeyRef, name: string): Promise<SigningKey> {
    const file = join(this.dir, 'signing', `${name}.json`);
    const sealed = await createIfAbsent(file, () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return this.#seal(`signing/${name}`, privateKey.export({ format: 'der', type: 'pkcs8' }));
    });
    const privateKey = createPrivateKey({
      key: this.#open(file, sealed, `signing/${name}`),
      format: 'der',
      type: 'pkcs8',
    });
    const { kty, crv, x, y } = privateKey.export({ format: 'jwk' });
    const signer = new SoftwareEs256Signer(jwkThumbprint({ kty, crv, x, y }), privateKey);
    return { keyRef, signer, publicJwk: signer.publicJwk };
  }

  async #secret(name: string, bytes: number): Promise<Uint8Array> {
    const file = join(this.dir, `${name}.json`);
    const sealed = await createIfAbsent(file, () => this.#seal(name, randomBytes(bytes)));
    return new Uint8Array(this.#open(file, sealed, name));
  }

  #seal(name: string, plaintext: Uint8Array): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#masterKey, iv).setAAD(
      Buffer.from(`${FORMAT}:${name}`),
    );
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const file: SealedFile = {
      note: NOTE,
      format: FORMAT,
      name,
      iv: iv.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
    return `${JSON.stringify(file, null, 2)}\n`;
  }

  #open(path: string, text: string, name: string): Buffer {
    const plaintext = this.#unseal(path, text, name);
    if (plaintext === undefined)
      throw new KeyVaultCorrupt(path, 'the seal does not open under this master key');
    return plaintext;
  }

  /** The sealed plaintext, or undefined when the seal does not authenticate under this master key. */
  #unseal(path: string, text: string, name: string): Buffer | undefined {
    let file: SealedFile;
    try {
      file = JSON.parse(text) as SealedFile;
    } catch (error) {
      throw new KeyVaultCorrupt(path, 'not JSON', { cause: error });
    }
    if (typeof file !== 'object' || file === null) throw new KeyVaultCorrupt(path, 'not a JSON object');
    if (file.format !== FORMAT)
      throw new KeyVaultCorrupt(path, `expected format ${FORMAT}, found ${file.format}`);
    if (file.name !== name)
      throw new KeyVaultCorrupt(path, `expected the key named ${name}, found ${file.name}`);
    if (typeof file.iv !== 'string' || typeof file.ciphertext !== 'string' || typeof file.tag !== 'string') {
      throw new KeyVaultCorrupt(path, 'expected iv, ciphertext and tag as base64url strings');
    }
    try {
      // authTagLength pins the 16-byte tag: without it Node accepts a truncated one.
      const decipher = createDecipheriv('aes-256-gcm', this.#masterKey, Buffer.from(file.iv, 'base64url'), {
        authTagLength: 16,
      })
        .setAAD(Buffer.from(`${FORMAT}:${name}`))
        .setAuthTag(Buffer.from(file.tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'base64url')), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}

/** Reads `<dir>/master.key`, creating it (32 random bytes, mode 0600) if absent. */
async function masterKeyFile(dir: string): Promise<Buffer> {
  const file = join(dir, MASTER_KEY_FILE);
  const text = await createIfAbsent(file, () => `${randomBytes(32).toString('base64url')}\n`);
  if (process.platform !== 'win32') {
    const { mode } = await stat(file);
    if ((mode & 0o077) !== 0) throw new KeyVaultMasterKeyExposed(file, mode);
  }
  return Buffer.from(text.trim(), 'base64url');
}

/**
 * The file's content; if it does not exist, writes `create()` first. The content is written to
 * a temporary name and hard-linked into place, which fails if another process got there
 * first — then its content wins and is returned. Files are written 0600.
 */
async function createIfAbsent(file: string, create: () => string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, create(), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if (!isAlreadyThere(error)) throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  return readFile(file, 'utf8');
}

/** Caches the promise, and forgets it if it rejects so that the next call tries again. */
function remember<T>(cache: Map<string, Promise<T>>, name: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(name);
  if (value === undefined) {
    value = load();
    cache.set(name, value);
    value.catch(() => cache.delete(name));
  }
  return value;
}

/** The file's content, or undefined when there is no such file. */
async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isAlreadyThere(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EEXIST';
}

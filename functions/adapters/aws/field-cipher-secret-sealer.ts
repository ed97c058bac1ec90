import type { FieldCipher } from '#ports/field-cipher.ts';
import type { SecretSealer } from '#ports/status-list-store.ts';

// Status-list allocation keys sealed with the field cipher: envelope encryption under the field
// key (KMS on AWS, the key vault locally), bound to the list by its context — a sealed key moved
// to another list does not open. This is the sealer the status-list store needs on AWS.

const FORMAT = 'field-cipher:v1:';
const TABLE = 'status-lists';

/** A SecretSealer over the field cipher; the context (e.g. `{ listId }`) becomes the binding. */
export function fieldCipherSecretSealer(cipher: FieldCipher): SecretSealer {
  return {
    async seal(secret, context) {
      const sealed = await cipher.encryptFields(bindingOf(context), {
        secret: Buffer.from(secret).toString('base64url'),
      });
      return `${FORMAT}${Buffer.from(sealed).toString('base64')}`;
    },
    async open(sealed, context) {
      if (!sealed.startsWith(FORMAT)) {
        throw new Error(`expected a secret sealed by the field cipher (${FORMAT}…), found another format`);
      }
      const fields = await cipher.decryptFields(
        bindingOf(context),
        new Uint8Array(Buffer.from(sealed.slice(FORMAT.length), 'base64')),
      );
      if (typeof fields.secret !== 'string') throw new Error('expected a sealed secret, found none inside');
      return new Uint8Array(Buffer.from(fields.secret, 'base64url'));
    },
  };
}

function bindingOf(context: Readonly<Record<string, string>>) {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { table: TABLE, licenseId: entries.map(([k, v]) => `${k}=${v}`).join('&') };
}

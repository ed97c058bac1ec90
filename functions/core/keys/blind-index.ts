// The blind index lets the platform find a holder's licenses without storing the holder's
// code in the clear: an HMAC of the normalised identity under a key the table never sees.
import { createHmac, type KeyObject } from 'node:crypto';

/**
 * The one normal form every writer and reader of the holder index agrees on:
 * `${codeType}:${code}`, each part trimmed, upper-cased (the X of a citizen identity number,
 * the letters of a USCC) and in Unicode NFC. Changing it orphans every stored token.
 */
export function normaliseHolderIdentity(holderCodeType: string, holderCode: string): string {
  const part = (text: string): string => text.trim().toUpperCase().normalize('NFC');
  const codeType = part(holderCodeType);
  // The colon separates the two parts; a code type holding one would make two identities
  // share a normal form ('1:2' + '3' and '1' + '2:3').
  if (codeType.includes(':')) {
    throw new InvalidHolderCodeType(holderCodeType);
  }
  return `${codeType}:${part(holderCode)}`;
}

/** A holder code type the normal form cannot carry unambiguously. */
export class InvalidHolderCodeType extends Error {
  readonly code = 'INVALID_HOLDER_CODE_TYPE';
  constructor(found: string) {
    super(`expected a holder code type without ':' (such as 111 or 001), found ${JSON.stringify(found)}`);
    this.name = 'InvalidHolderCodeType';
  }
}

/** HMAC-SHA256 of the normalised identity, base64url without padding (43 characters). */
export function blindIndexToken(
  key: KeyObject | Uint8Array,
  holderCodeType: string,
  holderCode: string,
): string {
  return createHmac('sha256', key)
    .update(normaliseHolderIdentity(holderCodeType, holderCode), 'utf8')
    .digest('base64url');
}

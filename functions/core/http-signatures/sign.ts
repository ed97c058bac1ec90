// Signing a message (RFC 9421 §3.1): the signer's half, used by the agency SDK and the tests.
import type { KeyObject } from 'node:crypto';
import { type HttpSignatureAlgorithm, signSignatureBase } from './algorithms.ts';
import { type HttpMessage, signatureBase } from './signature-base.ts';
import {
  type SignatureParameters,
  serializeSignature,
  serializeSignatureInput,
  serializeSignatureParams,
} from './signature-fields.ts';

export interface SignMessageOptions {
  /** Signature label, the dictionary key in both fields. */
  label: string;
  /** Covered component identifiers, in order. */
  components: readonly string[];
  /** Signature parameters, serialised in this object's key order. */
  parameters: SignatureParameters;
  algorithm: HttpSignatureAlgorithm;
  privateKey: KeyObject;
}

export interface MessageSignature {
  /** Value of the Signature-Input field. */
  signatureInput: string;
  /** Value of the Signature field. */
  signature: string;
  /** The signature base that was signed (for logs and tests). */
  signatureBase: string;
}

/** Signs the covered components of a message; returns the two field values to add. */
export function signMessage(message: HttpMessage, options: SignMessageOptions): MessageSignature {
  const params = serializeSignatureParams(options.components, options.parameters);
  const base = signatureBase(message, options.components, params);
  const signature = signSignatureBase(base, options.privateKey, options.algorithm);
  return {
    signatureInput: serializeSignatureInput(options.label, options.components, options.parameters),
    signature: serializeSignature(options.label, signature),
    signatureBase: base,
  };
}

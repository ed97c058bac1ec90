// The Signature-Input and Signature fields (RFC 9421 §4.1, §4.2): Structured Fields
// dictionaries keyed by signature label. Signature-Input gives each label an inner list of
// covered component identifiers with the signature parameters; Signature gives it a byte
// sequence. Parsing and serialising is the structured-headers package's (RFC 8941/9651).
import {
  type BareItem,
  type InnerList,
  type Item,
  parseDictionary,
  serializeDictionary,
  serializeInnerList,
  Token,
} from 'structured-headers';

/** Signature parameters of RFC 9421 §2.3, in the order they are to be serialised. */
export interface SignatureParameters {
  created?: number;
  expires?: number;
  nonce?: string;
  alg?: string;
  keyid?: string;
  tag?: string;
}

/** One label's member of Signature-Input. */
export interface SignatureInputMember {
  /** Covered component identifiers, in order (names only; see `componentsWithParameters`). */
  components: string[];
  /** Names of covered components that carry parameters (`;sf`, `;req`, …), which this profile does not support. */
  componentsWithParameters: string[];
  /** Every signature parameter as received, in order. */
  parameters: Map<string, BareItem>;
  /** The `@signature-params` value: the member serialised again (RFC 9421 §2.3). */
  signatureParams: string;
}

/** A Signature-Input or Signature field that is not what RFC 9421 §4 requires. */
export class MalformedSignatureField extends Error {
  readonly code = 'MALFORMED_SIGNATURE_FIELD';
  readonly field: 'Signature-Input' | 'Signature';
  constructor(field: 'Signature-Input' | 'Signature', detail: string) {
    super(`${field} ${detail}`);
    this.name = 'MalformedSignatureField';
    this.field = field;
  }
}

function parse(field: 'Signature-Input' | 'Signature', value: string) {
  try {
    return parseDictionary(value);
  } catch (error) {
    throw new MalformedSignatureField(
      field,
      `is not a Structured Fields dictionary: ${(error as Error).message}`,
    );
  }
}

function isInnerList(member: Item | InnerList): member is InnerList {
  return Array.isArray(member[0]);
}

/** Parses a Signature-Input field value into its members by label. */
export function parseSignatureInput(value: string): Map<string, SignatureInputMember> {
  const members = new Map<string, SignatureInputMember>();
  for (const [label, member] of parse('Signature-Input', value)) {
    if (!isInnerList(member)) {
      throw new MalformedSignatureField('Signature-Input', `member ${label} must be an inner list`);
    }
    const [items, parameters] = member;
    const components: string[] = [];
    const componentsWithParameters: string[] = [];
    for (const [name, componentParameters] of items) {
      if (typeof name !== 'string') {
        throw new MalformedSignatureField(
          'Signature-Input',
          `member ${label} must list component identifiers as strings, found ${describe(name)}`,
        );
      }
      components.push(name);
      if (componentParameters.size > 0) componentsWithParameters.push(name);
    }
    members.set(label, {
      components,
      componentsWithParameters,
      parameters,
      signatureParams: serializeInnerList(member),
    });
  }
  return members;
}

/** Parses a Signature field value into the raw signature bytes by label. */
export function parseSignature(value: string): Map<string, Uint8Array> {
  const signatures = new Map<string, Uint8Array>();
  for (const [label, member] of parse('Signature', value)) {
    const bytes = isInnerList(member) ? undefined : member[0];
    if (!(bytes instanceof ArrayBuffer)) {
      throw new MalformedSignatureField('Signature', `member ${label} must be a byte sequence (:base64:)`);
    }
    signatures.set(label, new Uint8Array(bytes));
  }
  return signatures;
}

function describe(value: BareItem): string {
  if (value instanceof Token) return `token ${value.toString()}`;
  if (value instanceof ArrayBuffer) return 'a byte sequence';
  return `${typeof value} ${String(value)}`;
}

/** The inner list of covered components and parameters, as it appears after the label. */
export function serializeSignatureParams(
  components: readonly string[],
  parameters: SignatureParameters,
): string {
  return serializeInnerList(innerList(components, parameters));
}

function innerList(components: readonly string[], parameters: SignatureParameters): InnerList {
  const params = new Map<string, BareItem>();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined) params.set(name, value as BareItem);
  }
  return [components.map((name): Item => [name, new Map()]), params];
}

/** A Signature-Input field value with one member. */
export function serializeSignatureInput(
  label: string,
  components: readonly string[],
  parameters: SignatureParameters,
): string {
  return serializeDictionary(new Map([[label, innerList(components, parameters)]]));
}

/** A Signature field value with one member. */
export function serializeSignature(label: string, signature: Uint8Array): string {
  return serializeDictionary(new Map([[label, [signature, new Map()]]]));
}

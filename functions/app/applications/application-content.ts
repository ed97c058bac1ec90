import { validityOf } from '#core/catalog/license-data.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { FieldBinding, FieldCipher, FieldValue } from '#ports/field-cipher.ts';
import type { CheckedLicense } from '../license-issuance.ts';

// What an application keeps sealed (ports/application-store.ts stores the bytes as given): the
// applied data, normalised as the type's schema checked it, the holder code of the applicant's
// proofed identity, the validity when the type carries none in its data — and every note of its
// history, since the holder's messages and the agency's requests speak of the applicant. Sealed
// with the field cipher as licenses are, bound to the `applications` table and the application
// (a note to its step too), so sealed bytes moved to another application do not open.

export interface ApplicationContent {
  /** Field name → value, as validateLicenseData normalised it. */
  data: Record<string, FieldValue>;
  /** The applicant's holder code (citizen identity number, USCC…): the license is issued to it. */
  holderCode: string;
  /** Given only when the data carries no validity (the type has no validity field, or an optional one left out). */
  validity?: { from: string; until: string };
}

/**
 * The content kept of data checked against its type (checkLicense's result): all of it as
 * normalised, and the validity apart only when the data carries none. A validity sent beside a
 * data field that holds it merely agreed with that field: kept too, it would be a second copy —
 * and, read against content without it, a change that never happened.
 */
export function checkedContent(
  type: LicenseType,
  checked: Pick<CheckedLicense, 'data' | 'validity'>,
  holderCode: string,
): ApplicationContent {
  return {
    // Normalised license data is JSON (strings, numbers, booleans, {from, until} periods).
    data: checked.data as ApplicationContent['data'],
    holderCode,
    ...(validityOf(type, checked.data) === undefined
      ? { validity: { from: checked.validity.from, until: checked.validity.until } }
      : {}),
  };
}

const TABLE = 'applications';

export function contentBinding(applicationId: string): FieldBinding {
  return { table: TABLE, licenseId: `application:${applicationId}` };
}

export function noteBinding(applicationId: string, seq: number): FieldBinding {
  return { table: TABLE, licenseId: `application:${applicationId}#${seq}` };
}

export function sealApplicationContent(
  cipher: FieldCipher,
  applicationId: string,
  content: ApplicationContent,
): Promise<Uint8Array> {
  return cipher.encryptFields(contentBinding(applicationId), {
    data: content.data,
    holderCode: content.holderCode,
    ...(content.validity ? { validity: content.validity } : {}),
  });
}

export async function openApplicationContent(
  cipher: FieldCipher,
  applicationId: string,
  sealed: Uint8Array,
): Promise<ApplicationContent> {
  const fields = await cipher.decryptFields(contentBinding(applicationId), sealed);
  const { data, holderCode, validity } = fields;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || typeof holderCode !== 'string') {
    throw new Error(`application ${applicationId}: sealed content is not {data, holderCode}`);
  }
  return {
    data: data as Record<string, FieldValue>,
    holderCode,
    ...(isValidity(validity) ? { validity } : {}),
  };
}

export function sealNote(
  cipher: FieldCipher,
  applicationId: string,
  seq: number,
  note: string,
): Promise<Uint8Array> {
  return cipher.encryptFields(noteBinding(applicationId, seq), { note });
}

export async function openNote(
  cipher: FieldCipher,
  applicationId: string,
  seq: number,
  sealed: Uint8Array,
): Promise<string> {
  const { note } = await cipher.decryptFields(noteBinding(applicationId, seq), sealed);
  if (typeof note !== 'string')
    throw new Error(`application ${applicationId}: sealed note ${seq} is not text`);
  return note;
}

function isValidity(value: unknown): value is { from: string; until: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { from?: unknown }).from === 'string' &&
    typeof (value as { until?: unknown }).until === 'string'
  );
}

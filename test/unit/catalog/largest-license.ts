// A license type stretched to the data budget and its data with every field at its largest:
// what the size tests of registration, issue and storage measure.
import {
  type FieldSpec,
  type LicenseType,
  LicenseTypeSchema,
  licenseDataBudgetIssue,
} from '#core/catalog/license-type.ts';
import { DEMO_HOLDERS } from '#dev/demo/catalog.ts';

/** A character of 4 UTF-8 bytes (CJK Extension B), the most one character of license text takes. */
export const WIDE = '𠀀';

/** The largest maxLength of the type's 住址 the registration accepts, found by asking it. */
export function largestAddress(type: LicenseType): number {
  const accepted = (maxLength: number) => {
    const parsed = LicenseTypeSchema.safeParse({
      ...type,
      fields: type.fields.map((f) => (f.name === '住址' ? { ...f, maxLength } : f)),
    });
    return parsed.success && licenseDataBudgetIssue(parsed.data) === undefined;
  };
  let low = 1;
  let high = 100_000;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (accepted(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * Data of a resident identity card type (and any string fields added to it) with every field at
 * its largest: text of 4-byte characters at maxLength, the longest enum value, an image URI of
 * 3-byte characters; the identity number, dates and validity as a real card has them.
 */
export function largestDataOf(type: LicenseType): Record<string, unknown> {
  const holder = DEMO_HOLDERS.zhangWeiming;
  const data: Record<string, unknown> = {};
  for (const field of type.fields) data[field.name] = largestValue(field);
  return {
    ...data,
    公民身份号码: holder.code,
    出生: '1990-03-07',
    有效期限: { from: '2025-06-01', until: '2045-06-01' },
  };
}

function largestValue(field: FieldSpec): unknown {
  switch (field.type) {
    case 'string':
      return WIDE.repeat(field.maxLength ?? 4000);
    case 'enum':
      return [...(field.values ?? [])].sort((a, b) => Buffer.byteLength(b) - Buffer.byteLength(a))[0];
    case 'image-ref':
      return `x:${'浙'.repeat(2046)}`;
    default:
      return undefined;
  }
}

/** `count` optional string fields named 附加1…, each of `maxLength` characters. */
export function extraFields(count: number, maxLength: number): FieldSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `附加${i + 1}`,
    label: { zh: `附加${i + 1}`, en: `Extra ${i + 1}` },
    type: 'string' as const,
    required: false,
    sensitive: true,
    disclosable: true,
    searchable: false,
    maxLength,
  }));
}

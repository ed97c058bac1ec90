// What an update of a catalog record changed, as its audit event records it: the members that
// differ, each with its value before and after, so that a change reads as what it was and a
// no-op as none. An event is one DynamoDB item (≤ 400 KB), so members that can be large — a
// type's field schema, its issuers — are summarised rather than copied whole.
import { isDeepStrictEqual } from 'node:util';
import type { FieldSpec, LicenseType } from './license-type.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** How a member too large to record whole is recorded when it changed. */
export type ChangeSummary<V> = (before: V | undefined, after: V | undefined) => Json;

/**
 * The members of a record that differ between `before` and `after`, by name: each
 * `{ before, after }` (`null` where the member is absent), or what `summaries` makes of it.
 * Members are compared as JSON, so a member present as `undefined` counts as absent.
 */
export function changedMembers<T extends object>(
  before: T,
  after: T,
  summaries: { [K in keyof T]?: ChangeSummary<T[K]> } = {},
): Record<string, Json> {
  const was = asJson(before) as Record<string, Json>;
  const is = asJson(after) as Record<string, Json>;
  const changes: Record<string, Json> = {};
  for (const name of new Set([...Object.keys(was), ...Object.keys(is)])) {
    if (isDeepStrictEqual(was[name], is[name])) continue;
    const summary = summaries[name as keyof T];
    changes[name] = summary
      ? summary(before[name as keyof T], after[name as keyof T])
      : { before: was[name] ?? null, after: is[name] ?? null };
  }
  return changes;
}

/** Issuers listed per direction at most; the counts are always whole. 1,000 USCCs ≈ 21 KB. */
export const ISSUERS_LISTED = 1_000;

/** The field properties recorded with before and after: flags and small scalars. */
const FIELD_PROPERTIES_SHOWN = [
  'type',
  'required',
  'sensitive',
  'disclosable',
  'searchable',
  'identifier',
  'maxLength',
  'notFuture',
] as const satisfies readonly (keyof FieldSpec)[];

/**
 * The changes of a license type update. Its field schema is recorded by field name — added,
 * removed, and for each changed field its changed flags and small properties with before and
 * after, its label, pattern or enum values only named — and its issuers as those added and
 * removed, so that no event of a valid type approaches the item limit (82 KB at the schema's bounds,
 * measured by test/unit/catalog/record-changes.test.ts).
 */
export function licenseTypeChanges(before: LicenseType, after: LicenseType): Record<string, Json> {
  return changedMembers(before, after, {
    fields: (was = [], is = []) => fieldChanges(was, is),
    issuers: (was = [], is = []) => issuerChanges(was, is),
  });
}

/**
 * What the registration of a license type records: the type but for its labels, patterns and
 * enum values — each field by name with its flags and small properties — and its issuers whole
 * (10,000 USCCs at most, ≈ 210 KB).
 */
export function licenseTypeRecorded(type: LicenseType): Record<string, Json> {
  return {
    name: type.name,
    dataDomain: type.dataDomain,
    holder: type.holder,
    validity: asJson(type.validity),
    issuers: type.issuers,
    fields: type.fields.map((field) => ({ name: field.name, ...shownProperties(field) })),
    ...(type.demo ? { demo: true } : {}),
  };
}

/** The shown properties a field has, absent ones left out. */
function shownProperties(field: FieldSpec): Record<string, Json> {
  return asJson(Object.fromEntries(FIELD_PROPERTIES_SHOWN.map((p) => [p, field[p]]))) as Record<string, Json>;
}

function fieldChanges(before: readonly FieldSpec[], after: readonly FieldSpec[]): Json {
  const was = new Map(before.map((field) => [field.name, field]));
  const is = new Map(after.map((field) => [field.name, field]));
  const changed: Record<string, Json> = {};
  for (const [name, field] of is) {
    const old = was.get(name);
    if (old === undefined) continue;
    const properties = changedMembers(old, field);
    if (Object.keys(properties).length === 0) continue;
    changed[name] = Object.fromEntries(
      Object.entries(properties).map(([property, change]) => [
        property,
        (FIELD_PROPERTIES_SHOWN as readonly string[]).includes(property) ? change : 'changed',
      ]),
    );
  }
  const added = after.filter((field) => !was.has(field.name)).map((field) => field.name);
  const removed = before.filter((field) => !is.has(field.name)).map((field) => field.name);
  const order = (fields: readonly FieldSpec[], other: Map<string, FieldSpec>) =>
    fields.filter((field) => other.has(field.name)).map((field) => field.name);
  return {
    added,
    removed,
    changed,
    ...(isDeepStrictEqual(order(before, is), order(after, was)) ? {} : { reordered: true }),
  };
}

function issuerChanges(before: readonly string[], after: readonly string[]): Json {
  const was = new Set(before);
  const is = new Set(after);
  const added = after.filter((uscc) => !was.has(uscc));
  const removed = before.filter((uscc) => !is.has(uscc));
  return {
    added: added.slice(0, ISSUERS_LISTED),
    removed: removed.slice(0, ISSUERS_LISTED),
    addedCount: added.length,
    removedCount: removed.length,
    ...(added.length === 0 && removed.length === 0 ? { reordered: true } : {}),
  };
}

function asJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

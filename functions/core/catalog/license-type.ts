// A license type (证照类型): what a kind of license carries and who may issue it. Registered
// by the platform operator; every issued license is validated against its type's field schema.
import { z } from 'zod';
import { ALWAYS_VISIBLE_CLAIMS, SD_RESERVED_NAMES } from '#core/sd-jwt-vc/claims.ts';
import { controlCharacterIssues, type TextIssue } from './catalog-text.ts';
import {
  BilingualNameSchema,
  DemoMarkerSchema,
  definingAgencyOf,
  TypeCodeSchema,
  UsccSchema,
} from './codes.ts';
import { compileFieldPattern, fieldPatternProgramSize } from './field-pattern.ts';
import {
  DEFAULT_MAX_LENGTH,
  MAX_BYTES_PER_CHARACTER,
  MAX_LICENSE_DATA_BYTES,
  worstCaseDataBytes,
} from './license-size.ts';

/** Data domain of natural persons (人口库). */
export const DATA_DOMAIN_PERSON = 'person';
/** Data domain of legal entities (法人库). */
export const DATA_DOMAIN_LEGAL_ENTITY = 'legal-entity';

/**
 * The data domain decides which table family stores a type's licenses. It is open — more
 * domains come by configuration — so it is a slug, with the two known ones exported above.
 */
export const DataDomainSchema = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'data domain must be a lower-case slug such as legal-entity')
  .meta({
    description: 'Data domain (数据域): person, legal-entity, or a configured slug',
    examples: ['person'],
  });
export type DataDomain = z.infer<typeof DataDomainSchema>;

/** Value types a license field can have. */
export const FIELD_TYPES = [
  'string',
  'date',
  'enum',
  'number',
  'boolean',
  /** A reference (URI) to an image or a layout document held elsewhere, e.g. a photo. */
  'image-ref',
  /** A validity period `{ from, until }`, until being a date or `long-term` (长期). */
  'period',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Identifier kinds whose check characters the platform verifies in string fields. */
export const IDENTIFIER_KINDS = ['citizen-id', 'uscc'] as const;
export type IdentifierKindOfField = (typeof IDENTIFIER_KINDS)[number];

/** 持证主体代码类型 for a citizen identity number. */
export const HOLDER_CODE_TYPE_CITIZEN_ID = '111';
/** 持证主体代码类型 for a unified social credit code. */
export const HOLDER_CODE_TYPE_USCC = '001';

/**
 * Whether a field name is one the credential keeps for itself. A field is a claim of the signed
 * license, so it may not take a claim the profile shows in the clear or a name of the SD-JWT
 * machinery (both refused again by the issuer, sd-jwt-vc/issue.ts), nor `sub`, which SD-JWT VC
 * registers; names beginning with `_` are the machinery's too.
 */
function isReservedClaimName(name: string): boolean {
  return (
    ALWAYS_VISIBLE_CLAIMS.has(name) || SD_RESERVED_NAMES.has(name) || name === 'sub' || name.startsWith('_')
  );
}

/** One field of a license type; its key `name` is the printed Chinese name, e.g. `姓名`. */
export const FieldSpecSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(32)
      .regex(/^\S(?:.*\S)?$/u, 'field name must not begin or end with white space')
      .describe(
        'Printed Chinese field name, the key of the field in license data and a claim name of every license, e.g. 姓名; no control characters (refused at registration)',
      ),
    label: BilingualNameSchema.describe('Label for display'),
    type: z.enum(FIELD_TYPES).describe('Value type'),
    required: z.boolean().describe('Every license of the type must carry the field'),
    sensitive: z.boolean().describe('Encrypted at rest under the field-encryption key'),
    disclosable: z.boolean().describe('May be disclosed on its own to a relying party'),
    searchable: z.boolean().describe('Usable as a lookup key; through a blind index when sensitive'),
    pattern: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe(
        'Regular expression in RE2 syntax, matched in time linear in the value, that the whole value must match; no lookaround or backreferences; string fields only',
      ),
    values: z
      .array(z.string().min(1).max(128))
      .min(1)
      .max(256)
      .optional()
      .describe('Allowed values; required for, and only for, enum fields'),
    maxLength: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .optional()
      .describe(
        `Maximum length in characters; string fields only (${DEFAULT_MAX_LENGTH} when absent). The fields together may carry at most ${MAX_LICENSE_DATA_BYTES} bytes of data, each character counted as ${MAX_BYTES_PER_CHARACTER}`,
      ),
    identifier: z
      .enum(IDENTIFIER_KINDS)
      .optional()
      .describe('The value is an identifier whose check character is verified; string fields only'),
    notFuture: z.boolean().optional().describe('The date must not be after the issue day; date fields only'),
  })
  .superRefine((field, ctx) => {
    if (isReservedClaimName(field.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `field name ${JSON.stringify(field.name)} is reserved by SD-JWT VC`,
      });
    }
    const stringOnly = ['pattern', 'maxLength', 'identifier'] as const;
    for (const key of stringOnly) {
      if (field[key] !== undefined && field.type !== 'string') {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} applies to string fields only, found it on a ${field.type} field`,
        });
      }
    }
    if (field.type === 'enum' && field.values === undefined) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum field must list its values' });
    }
    if (field.type !== 'enum' && field.values !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `values apply to enum fields only, found them on a ${field.type} field`,
      });
    }
    if (field.values !== undefined && new Set(field.values).size !== field.values.length) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'enum values must be distinct' });
    }
    if (field.notFuture !== undefined && field.type !== 'date') {
      ctx.addIssue({
        code: 'custom',
        path: ['notFuture'],
        message: `notFuture applies to date fields only, found it on a ${field.type} field`,
      });
    }
    // Whether the pattern is RE2 syntax is checked when the type is registered or updated
    // (fieldPatternIssues), not here: a type stored when patterns were JavaScript must stay readable.
  })
  .meta({ description: 'A field of a license type' });
export type FieldSpec = z.infer<typeof FieldSpecSchema>;

/** Which terms a license of the type may run for. */
export const ValidityRulesSchema = z
  .strictObject({
    field: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The period field that carries the validity (e.g. 有效期限); absent when given apart from the data',
      ),
    termsInYears: z
      .array(z.number().int().min(1).max(100))
      .max(16)
      .describe('Fixed terms allowed, in whole years counted from the start date, e.g. [5, 10, 20]'),
    longTermAllowed: z.boolean().describe('长期: a license without an end date is allowed'),
    explicitEndAllowed: z.boolean().describe('Any end date after the start is allowed'),
  })
  .superRefine((rules, ctx) => {
    if (rules.termsInYears.length === 0 && !rules.longTermAllowed && !rules.explicitEndAllowed) {
      ctx.addIssue({
        code: 'custom',
        message:
          'validity rules allow no term at all: give termsInYears, longTermAllowed or explicitEndAllowed',
      });
    }
  });
export type ValidityRules = z.infer<typeof ValidityRulesSchema>;

/**
 * The most a license type may take, as UTF-8 JSON. It is stored as one DynamoDB item, which holds
 * 400 KB counting attribute names and values as UTF-8; a record's JSON is within a few hundred
 * bytes of that count (quotes and commas outweigh the item's per-list and per-number overhead),
 * and the rest leaves room for the item's own keys, version and links. The field bounds alone
 * (128 fields × 256 enum values × 128 characters, 10,000 issuers) would allow megabytes, yet a
 * real type takes a few KB: a bound on the whole refuses only the outsized, as invalid input.
 */
export const MAX_LICENSE_TYPE_BYTES = 300 * 1024;

export const LicenseTypeSchema = z
  .strictObject({
    code: TypeCodeSchema,
    name: BilingualNameSchema.describe('Type name (证照类型名称)'),
    definingAgency: z
      .strictObject({ name: z.string().min(1).max(128), uscc: UsccSchema })
      .describe('The ministry that defines the type (定义机构); its USCC begins the type code'),
    dataDomain: DataDomainSchema,
    fields: z.array(FieldSpecSchema).min(1).max(128).describe('Field schema of the license data'),
    holder: z
      .strictObject({
        nameField: z.string().min(1).describe('Field holding the holder name (持证主体)'),
        codeField: z.string().min(1).describe('Field holding the holder code (持证主体代码)'),
        codeType: z
          .string()
          .regex(/^\d{3}$/, 'holder code type must be 3 digits')
          .describe('持证主体代码类型: 111 citizen identity number, 001 USCC, others as data'),
      })
      .describe('Which fields identify the holder'),
    validity: ValidityRulesSchema,
    issuers: z.array(UsccSchema).max(10_000).describe('USCCs of the agencies allowed to issue the type'),
    demo: DemoMarkerSchema,
  })
  .superRefine((type, ctx) => {
    if (definingAgencyOf(type.code) !== type.definingAgency.uscc) {
      ctx.addIssue({
        code: 'custom',
        path: ['definingAgency', 'uscc'],
        message: `type code ${type.code} must begin with the defining agency's USCC, found ${type.definingAgency.uscc}`,
      });
    }
    const byName = new Map<string, FieldSpec>();
    type.fields.forEach((field, i) => {
      if (byName.has(field.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', i, 'name'],
          message: `field ${field.name} is defined twice`,
        });
      }
      byName.set(field.name, field);
    });
    for (const role of ['nameField', 'codeField'] as const) {
      const name = type.holder[role];
      const field = byName.get(name);
      if (field === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['holder', role],
          message: `holder ${role} ${name} is not a field`,
        });
      } else if (field.type !== 'string' || !field.required) {
        ctx.addIssue({
          code: 'custom',
          path: ['holder', role],
          message: `holder ${role} ${name} must be a required string field, found ${field.required ? 'a required' : 'an optional'} ${field.type} field`,
        });
      }
    }
    const expectedIdentifier = {
      [HOLDER_CODE_TYPE_CITIZEN_ID]: 'citizen-id',
      [HOLDER_CODE_TYPE_USCC]: 'uscc',
    }[type.holder.codeType];
    const codeField = byName.get(type.holder.codeField);
    if (
      expectedIdentifier !== undefined &&
      codeField !== undefined &&
      codeField.identifier !== expectedIdentifier
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['holder', 'codeField'],
        message: `holder code type ${type.holder.codeType} needs a ${expectedIdentifier} field, found ${codeField.identifier ?? 'a field without identifier check'}`,
      });
    }
    if (type.validity.field !== undefined) {
      const field = byName.get(type.validity.field);
      if (field?.type !== 'period') {
        ctx.addIssue({
          code: 'custom',
          path: ['validity', 'field'],
          message: `validity field ${type.validity.field} must be a period field, found ${field ? `a ${field.type} field` : 'no such field'}`,
        });
      }
    }
    if (new Set(type.issuers).size !== type.issuers.length) {
      ctx.addIssue({ code: 'custom', path: ['issuers'], message: 'issuers must be distinct' });
    }
    const bytes = Buffer.byteLength(JSON.stringify(type));
    if (bytes > MAX_LICENSE_TYPE_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `the license type is ${bytes} bytes as JSON, more than the ${MAX_LICENSE_TYPE_BYTES} a type may take (it is stored as one record of at most 400 KB); shorten its enum values, patterns, labels or issuers`,
      });
    }
  })
  .meta({
    id: 'LicenseType',
    description: `License type (证照类型) with its field schema; at most ${MAX_LICENSE_TYPE_BYTES} bytes as JSON, and — registered or updated — its fields at their largest at most ${MAX_LICENSE_DATA_BYTES} bytes of license data`,
  });
export type LicenseType = z.infer<typeof LicenseTypeSchema>;

/**
 * Why a type may not be registered (or updated) for its licenses' size, or undefined: every
 * license of it must fit the one item it is stored as — a type whose fields at their largest could
 * not would sign licenses, draw their slots, and fail to store them. Checked when the operator
 * registers or updates a type, not in the record's schema: a type stored under an older budget
 * must stay readable (each issue still counts its own data, license-data.ts).
 */
export function licenseDataBudgetIssue(type: LicenseType): { path: string; message: string } | undefined {
  const dataBytes = worstCaseDataBytes(type.fields);
  if (dataBytes <= MAX_LICENSE_DATA_BYTES) return undefined;
  return {
    path: 'fields',
    message: `the fields at their largest carry ${dataBytes} bytes of license data (names and values as UTF-8 JSON, ${MAX_BYTES_PER_CHARACTER} bytes a character, a string without maxLength counting ${DEFAULT_MAX_LENGTH} characters), more than the ${MAX_LICENSE_DATA_BYTES} a license may hold (it is stored as one record of at most 400 KB); lower the string fields' maxLength`,
  };
}

/**
 * Why some field's pattern may not be registered (or updated), one issue a field: a pattern must be
 * RE2 syntax, which is matched in time linear in the value (field-pattern.ts). Checked when the
 * operator registers or updates a type, not in the record's schema, for the reason above; a stored
 * pattern RE2 cannot compile refuses every value of its field until the type is updated.
 */
export function fieldPatternIssues(type: LicenseType): { path: string; message: string }[] {
  const issues = type.fields.flatMap((field, i) => {
    if (field.pattern === undefined) return [];
    const compiled = compileFieldPattern(field.pattern);
    if (compiled.ok) return [];
    return [
      {
        path: `fields.${i}.pattern`,
        message: `the pattern of field ${field.name} is not RE2 syntax (patterns are RE2, matched in time linear in the value: no lookaround, no backreferences; \\u4e00 and \\p{Script=Han} are read as \\x{4e00} and \\p{Han}): ${compiled.reason}`,
      },
    ];
  });
  if (issues.length > 0) return issues;
  const work = patternWork(type);
  if (work <= MAX_PATTERN_WORK) return [];
  return [
    {
      path: 'fields',
      message: `the fields' patterns, at their values' largest, take ${work} steps to match (each pattern's compiled size times its field's maxLength, ${DEFAULT_MAX_LENGTH} when absent), more than the ${MAX_PATTERN_WORK} a license may take; simplify the patterns (a count such as {1,1000} multiplies a pattern's size) or lower the fields' maxLength`,
    },
  ];
}

/**
 * The most matching a license's data may take: the sum over its fields' patterns of compiled size
 * × the value's largest length. A match's time is linear in both (≈30 ns a step measured), so this
 * bounds a license's patterns to some tens of milliseconds; the demo types take a few thousand.
 */
export const MAX_PATTERN_WORK = 1_000_000;

function patternWork(type: LicenseType): number {
  let work = 0;
  for (const field of type.fields) {
    if (field.pattern === undefined) continue;
    work += (fieldPatternProgramSize(field.pattern) ?? 0) * (field.maxLength ?? DEFAULT_MAX_LENGTH);
  }
  return work;
}

/**
 * Control characters in the type's own text, one issue a text (catalog-text.ts): its name, the
 * defining agency's name, and each field's name (a claim name of every license), label and enum
 * values (license data, which refuses them anyway). Checked at registration and update only.
 */
export function licenseTypeTextIssues(type: LicenseType): TextIssue[] {
  return controlCharacterIssues([
    ['name.zh', type.name.zh],
    ['name.en', type.name.en],
    ['definingAgency.name', type.definingAgency.name],
    ...type.fields.flatMap((field, i): [string, string][] => [
      [`fields.${i}.name`, field.name],
      [`fields.${i}.label.zh`, field.label.zh],
      [`fields.${i}.label.en`, field.label.en],
      ...(field.values ?? []).map((value, j): [string, string] => [`fields.${i}.values.${j}`, value]),
    ]),
  ]);
}

/** The field spec named `name`, or undefined. */
export function fieldOf(type: LicenseType, name: string): FieldSpec | undefined {
  return type.fields.find((field) => field.name === name);
}

/** Names of the fields that may be disclosed on their own. */
export function disclosableFieldNames(type: LicenseType): string[] {
  return type.fields.filter((field) => field.disclosable).map((field) => field.name);
}

/** True when the agency with this USCC is registered as an issuer of the type. */
export function mayIssue(type: LicenseType, issuerUscc: string): boolean {
  return type.issuers.includes(issuerUscc);
}

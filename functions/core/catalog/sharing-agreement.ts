// A sharing agreement (依职能用证): the operator's record that a relying agency may retrieve
// licenses of one type, without the holder's authorisation, to perform one service item
// (事项), for stated purposes, and only the fields listed.
import { z } from 'zod';
import type { CivilDate } from '#core/civil-date.ts';
import { type Agency, hasRole } from './agency.ts';
import { controlCharacterIssues, type TextIssue } from './catalog-text.ts';
import { CivilDateSchema, DemoMarkerSchema, TypeCodeSchema, UsccSchema } from './codes.ts';
import { fieldOf, type LicenseType } from './license-type.ts';

export const SharingAgreementSchema = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'agreement id may use letters, digits and . _ - only')
      .describe('Agreement id, assigned by the operator'),
    relyingAgency: UsccSchema.describe('USCC of the relying agency (用证方)'),
    typeCode: TypeCodeSchema,
    serviceItem: z
      .strictObject({
        code: z
          .string()
          .min(4)
          .max(64)
          .regex(/^[0-9A-Z]+$/, 'service item code uses digits and upper-case letters only')
          .describe('事项编码'),
        name: z
          .string()
          .min(1)
          .max(128)
          .describe('事项名称; no control characters (refused at registration)'),
      })
      .describe('The government service item (政务服务事项) the retrieval serves'),
    purposes: z
      .array(z.string().min(1).max(256))
      .min(1)
      .max(16)
      .describe('Stated purposes of use; no control characters (refused at registration)'),
    fields: z
      .array(z.string().min(1))
      .min(1)
      .max(128)
      .describe('Fields the agency may receive; each a disclosable field of the type'),
    validFrom: CivilDateSchema.describe('First day the agreement is in force'),
    validUntil: CivilDateSchema.describe('Last day the agreement is in force (inclusive)'),
    demo: DemoMarkerSchema,
  })
  .superRefine((agreement, ctx) => {
    if (agreement.validUntil < agreement.validFrom) {
      ctx.addIssue({
        code: 'custom',
        path: ['validUntil'],
        message: `validUntil ${agreement.validUntil} is before validFrom ${agreement.validFrom}`,
      });
    }
    if (new Set(agreement.fields).size !== agreement.fields.length) {
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'fields must be distinct' });
    }
  })
  .meta({ id: 'SharingAgreement', description: 'Duty-based sharing agreement (依职能用证协议)' });
export type SharingAgreement = z.infer<typeof SharingAgreementSchema>;

/**
 * Control characters in the agreement's text, one issue a text (catalog-text.ts): the service
 * item's name and each purpose, which a retrieval under it may take as its own purpose. Checked at
 * registration and update only.
 */
export function sharingAgreementTextIssues(agreement: SharingAgreement): TextIssue[] {
  return controlCharacterIssues([
    ['serviceItem.name', agreement.serviceItem.name],
    ...agreement.purposes.map((purpose, i): [string, string] => [`purposes.${i}`, purpose]),
  ]);
}

/** One thing wrong with an agreement measured against the catalog. */
export interface AgreementProblem {
  /** `fields`, `typeCode` or `relyingAgency`. */
  path: string;
  /** The offending field name, for field problems. */
  field?: string;
  reason: string;
}

/**
 * Cross-checks an agreement against the type it names (and, when given, the relying agency):
 * every field must exist and be disclosable. Returns every problem; empty when consistent.
 */
export function checkSharingAgreement(
  agreement: SharingAgreement,
  type: LicenseType,
  relyingAgency?: Agency,
): AgreementProblem[] {
  const problems: AgreementProblem[] = [];
  if (agreement.typeCode !== type.code) {
    problems.push({
      path: 'typeCode',
      reason: `agreement is for type ${agreement.typeCode}, checked against type ${type.code}`,
    });
  }
  for (const name of agreement.fields) {
    const field = fieldOf(type, name);
    if (field === undefined) {
      problems.push({ path: 'fields', field: name, reason: `type ${type.code} has no field ${name}` });
    } else if (!field.disclosable) {
      problems.push({
        path: 'fields',
        field: name,
        reason: `field ${name} of type ${type.code} is not disclosable on its own`,
      });
    }
  }
  if (relyingAgency !== undefined) {
    if (relyingAgency.uscc !== agreement.relyingAgency) {
      problems.push({
        path: 'relyingAgency',
        reason: `agreement is for agency ${agreement.relyingAgency}, checked against agency ${relyingAgency.uscc}`,
      });
    } else if (!hasRole(relyingAgency, 'relying')) {
      problems.push({
        path: 'relyingAgency',
        reason: `agency ${relyingAgency.uscc} has roles ${relyingAgency.roles.join(', ')}, not relying`,
      });
    }
  }
  return problems;
}

/** True when `today` lies in the agreement's validity window (both ends inclusive). */
export function isAgreementInForce(agreement: SharingAgreement, today: CivilDate): boolean {
  return agreement.validFrom <= today && today <= agreement.validUntil;
}

// Schemas for the codes the catalog is keyed by. They are shared by the license type, agency
// and sharing agreement schemas, and by the HTTP layer that reuses those for requests.
import { z } from 'zod';
import { isCivilDate } from '#core/civil-date.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';

/** 统一社会信用代码 (GB 32100): 18 characters with a valid check character. */
export const UsccSchema = z
  .string()
  .superRefine((value, ctx) => {
    const check = parseUscc(value);
    if (!check.valid) ctx.addIssue({ code: 'custom', message: check.reason });
  })
  .meta({
    description: 'Unified social credit code (统一社会信用代码, GB 32100), 18 characters',
    examples: ['11100000000013338W'],
  });

/** Sequence part of a type code: the defining ministry numbers its types with 3 digits. */
const TYPE_SEQUENCE = /^\d{3}$/;

/**
 * 证照类型代码 (GB/T 36904): the 18-character USCC of the ministry that defines the type followed
 * by a 3-digit sequence, e.g. `11100000000013338W032`.
 */
export const TypeCodeSchema = z
  .string()
  .superRefine((value, ctx) => {
    if (value.length !== 21) {
      ctx.addIssue({
        code: 'custom',
        message: `type code must be 21 characters (18-character USCC + 3 digits), found ${value.length}`,
      });
      return;
    }
    const uscc = parseUscc(value.slice(0, 18));
    if (!uscc.valid) {
      ctx.addIssue({
        code: 'custom',
        message: `type code must start with the defining agency's USCC: ${uscc.reason}`,
      });
    }
    if (!TYPE_SEQUENCE.test(value.slice(18))) {
      ctx.addIssue({
        code: 'custom',
        message: `type code must end with 3 digits, found ${JSON.stringify(value.slice(18))}`,
      });
    }
  })
  .meta({
    description: 'License type code (证照类型代码): defining agency USCC + 3-digit sequence',
    examples: ['11100000000013338W032'],
  });

/** The defining agency's USCC inside a type code. */
export function definingAgencyOf(typeCode: string): string {
  return typeCode.slice(0, 18);
}

/** 行政区划代码 (GB/T 2260): 6 digits. */
export const AreaCodeSchema = z
  .string()
  .regex(/^\d{6}$/, 'area code must be 6 digits')
  .meta({
    description: 'Administrative area code (行政区划代码, GB/T 2260), 6 digits',
    examples: ['330100'],
  });

/** A calendar date `YYYY-MM-DD` that exists. */
export const CivilDateSchema = z
  .string()
  .refine(isCivilDate, { message: 'expected a real calendar date written YYYY-MM-DD' })
  .meta({ description: 'Calendar date, YYYY-MM-DD', examples: ['2025-01-31'] });

/** An RFC 3339 timestamp in UTC. */
export const TimestampSchema = z.iso
  .datetime({ offset: false })
  .meta({ description: 'RFC 3339 timestamp in UTC', examples: ['2025-01-31T08:00:00Z'] });

/** A name in Chinese with its English rendering. */
export const BilingualNameSchema = z.strictObject({
  zh: z.string().min(1).max(128).describe('Chinese name as printed'),
  en: z.string().min(1).max(256).describe('English name'),
});
export type BilingualName = z.infer<typeof BilingualNameSchema>;

/**
 * Marks a record seeded by the local platform's demo catalog. Every demo record carries it, so
 * demo data can be found, listed and refused in production by one property.
 */
export const DemoMarkerSchema = z
  .literal(true)
  .optional()
  .describe('Present and true on demo records seeded by the local platform');

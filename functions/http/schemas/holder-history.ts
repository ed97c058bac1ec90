import { z } from 'zod';
import { PageQuerySchema } from './paging.ts';

// The access history of the holder's licenses (用证记录), from the audit log.

export const AccessEntrySchema = z
  .object({
    eventId: z.string(),
    time: z.string(),
    action: z
      .string()
      .describe('license.retrieved, license.verified, grant.created, presentation.resolved, …'),
    outcome: z.enum(['success', 'denied', 'failed']),
    actor: z
      .object({ kind: z.string(), id: z.string(), name: z.string().optional() })
      .describe('Who: an agency by USCC, you, the platform, an unauthenticated verifier'),
    licenseId: z.string().optional(),
    licenseVersion: z.string().optional(),
    typeCode: z.string().optional(),
    basis: z
      .object({
        kind: z.enum(['grant', 'duty', 'other']),
        grantId: z.string().optional(),
        legalBasis: z.string().optional(),
        purpose: z.string().optional(),
        serviceItemCode: z.string().optional().describe('事项编码 of a duty-based retrieval'),
        caseNumber: z.string().optional().describe('办件编号 of a duty-based retrieval'),
      })
      .optional(),
    disclosed: z.array(z.string()).optional(),
  })
  .meta({ id: 'AccessEntry', description: 'One use of one of your licenses' });

export const AccessHistorySchema = z
  .object({
    items: z.array(AccessEntrySchema).describe('Newest first'),
    cursor: z.string().optional().describe('Pass as ?cursor= for the next page; absent on the last'),
    auditEventId: z.string().describe('The audit event of this read (holder.access_history_read)'),
  })
  .meta({ id: 'AccessHistory' });

/** ?licenseId= (only that license's history) with a page's ?limit= and ?cursor=. */
export const HistoryQuerySchema = PageQuerySchema.extend({
  licenseId: z.string().min(16).max(160).optional(),
});

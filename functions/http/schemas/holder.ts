import { z } from 'zod';
import { IdentityBindingSchema } from './holder-identity.ts';

// Schemas of the holder route group (functions/http/routes/holder*.ts).

export const HolderAccountSchema = z
  .object({
    account: z.string().describe('The holder account: the `sub` of its access tokens'),
    identity: IdentityBindingSchema.optional().describe(
      'The proofed identity the account is bound to; absent while the account is unproofed',
    ),
    auditEventId: z.string().describe('The audit event of this read (holder.account_read)'),
  })
  .meta({ id: 'HolderAccount', description: 'The holder account the access token names' });

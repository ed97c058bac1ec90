import { z } from 'zod';

// Schemas of the holder route group (functions/http/routes/holder*.ts).

export const HolderAccountSchema = z
  .object({
    account: z.string().describe('The holder account: the `sub` of its access tokens'),
  })
  .meta({ id: 'HolderAccount', description: 'The holder account the access token names' });

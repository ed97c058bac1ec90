import { z } from 'zod';

// The query string of a listing. Strict, on every listing alike: a parameter the route does not
// take — misspelt (?relyingagency=), unknown, or a page size that is no number — is a 400 naming
// it, never ignored, since an ignored filter answers more than the caller asked for and an ignored
// page size pages otherwise than it meant.

/** ?limit= and ?cursor= of a paged listing; each route sets its own default page size. */
export const PageQuerySchema = z.strictObject({
  // Decimal digits only: a number coercion would also take 0x10, 1e1, 1.0 or ' 5'.
  limit: z
    .string()
    .regex(/^(?:[1-9][0-9]?|100)$/, 'expected a whole number from 1 to 100')
    .transform(Number)
    .optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

/** A read that takes no query parameter at all. */
export const NoQuerySchema = z.strictObject({});

import { z } from 'zod';
import { holderAuthenticator } from '#http/holder-auth.ts';
import { createRouter } from '#http/router.ts';
import { accountRoutes } from './holder/account.ts';
import { applicationsRoutes } from './holder/applications.ts';
import { grantsRoutes } from './holder/grants.ts';
import { historyRoutes } from './holder/history.ts';
import { identityRoutes } from './holder/identity.ts';
import { licensesRoutes } from './holder/licenses.ts';
import { presentationsRoutes } from './holder/presentations.ts';
import { logger, withPowertools } from './observability.ts';

// Holder route group: citizens and companies with an OIDC access token. Each part of the group
// (account, identity, licenses, grants, presentations, applications) keeps its route
// implementations in functions/handlers/holder/<part>.ts; this module wires them into one router.
const {
  ELICENSE_HOLDER_ISSUER: issuer,
  ELICENSE_HOLDER_AUDIENCE: audience,
  ELICENSE_HOLDER_JWKS_URI: jwksUri,
} = z
  .object({
    ELICENSE_HOLDER_ISSUER: z.url({ protocol: /^https?$/ }).describe('the OIDC issuer of holder tokens'),
    ELICENSE_HOLDER_AUDIENCE: z.string().min(1).describe('the app client holder tokens are issued to'),
    // Set when the provider's keys are not at <issuer>/.well-known/jwks.json (stage holderIdentity).
    ELICENSE_HOLDER_JWKS_URI: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("the provider's JWKS URI"),
  })
  .parse(process.env);

const router = createRouter(
  'holder',
  {
    ...accountRoutes,
    ...identityRoutes,
    ...applicationsRoutes,
    ...licensesRoutes,
    ...grantsRoutes,
    ...presentationsRoutes,
    ...historyRoutes,
  },
  {
    authenticateHolder: holderAuthenticator({
      issuer,
      audience,
      ...(jwksUri ? { jwksUri } : {}),
      onDependencyError: (error) =>
        logger.error('the identity provider keys could not be fetched', { error }),
    }),
    onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }),
  },
);

export const handler = withPowertools(router);

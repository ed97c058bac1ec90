import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { DynamoNonceStore } from '#adapters/aws/nonce-store.ts';
import { agencyAuthenticator } from '#http/agency-auth.ts';
import { documents } from './aws-clients.ts';
import { environment, table } from './environment.ts';
import { logger } from './observability.ts';

// Request authentication of the agency route groups (RFC 9421 signatures checked against the
// registry, nonces claimed in the nonce table): the `authenticate` option of their routers.
// Each group that imports this needs the `config` (read) and `nonces` (PutItem: a claim is a
// conditional put, and nothing reads or deletes a claim) tables.
export const authenticateAgency = agencyAuthenticator({
  config: new DynamoConfigStore(documents, table('config')),
  nonces: new DynamoNonceStore(documents, table('nonces')),
  demoData: environment.demoData,
  onDependencyError: (error) => logger.error('request authentication could not reach its tables', { error }),
  onDemoKeyRefused: ({ keyId, agency }) =>
    logger.warn('a demo request key on record was refused: this stage takes no demo data', { keyId, agency }),
});

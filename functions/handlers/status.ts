import { DynamoDbStatusListStore, unprotectedSecrets } from '#adapters/aws/dynamodb-status-list-store.ts';
import { S3StatusListCache } from '#adapters/aws/status-list-cache.ts';
import { currentStatusList, RememberedStatusLists } from '#app/publish-status-list.ts';
import { createRouter } from '#http/router.ts';
import { documents, s3 } from './aws-clients.ts';
import { bucket, environment, table } from './environment.ts';
import { signingKeys } from './key-material.ts';
import { logger, withPowertools } from './observability.ts';

// Status-list group: reads status entries, signs lists with the platform key at most once per
// list and ttl, keeps them in the public bucket and remembers them in the container for their ttl.
const now = () => new Date();
const ttlSeconds = 300;
const publishing = {
  // Only loadStatusList is used here, which never opens a list's allocation secret.
  lists: new DynamoDbStatusListStore({
    client: documents,
    table: table('status-lists'),
    sealer: unprotectedSecrets,
  }),
  keys: signingKeys,
  cache: new RememberedStatusLists(new S3StatusListCache(s3, bucket('public')), { ttlSeconds, now }),
  publicBaseUrl: environment.publicBaseUrl,
  now,
  ttlSeconds,
  validitySeconds: 24 * 3600,
};

const router = createRouter(
  'status',
  {
    async getStatusList(event) {
      const { token, maxAgeSeconds } = await currentStatusList(event.pathParameters?.id ?? '', publishing);
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/statuslist+jwt',
          'cache-control': `public, max-age=${maxAgeSeconds}`,
        },
        body: token,
      };
    },
  },
  { onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }) },
);

export const handler = withPowertools(router);

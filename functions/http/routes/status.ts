import { PUBLIC, type RouteSpec } from '../route-spec.ts';

// Signed status lists: a group of its own because it signs with the platform key, which the
// public verification group must not hold.
export const statusRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/status-lists/{id}',
    group: 'status',
    operationId: 'getStatusList',
    summary:
      'A Token Status List (2 bits: 0 valid, 1 revoked or superseded, 2 suspended), signed by the platform',
    queryIgnored: true,
    auth: PUBLIC,
    responses: {
      200: {
        description:
          'The Status List Token (`statuslist+jwt`); Cache-Control from its ttl (max-age=0 while another container republishes an expired one)',
        contentType: 'application/statuslist+jwt',
      },
      404: { description: 'No such list' },
    },
  },
];

// Idempotency of POST requests (Idempotency-Key header) with Powertools idempotency on the
// `idempotency` table, whose layout is Powertools' default: partition key `id`, TTL
// `expiration` (tables.ts).
//
// `@aws-lambda-powertools/idempotency` is not installed yet, so this module holds the settings
// as plain objects typed by the subset of Powertools' option types they use; the handler
// wiring passes them on unchanged once the package is there:
//
//   const { persistence, config } = idempotencySettings(env.TABLE_IDEMPOTENCY, dynamodb);
//   middy(handler)
//     .use(headerNames())          // lower-cases header names (see below)
//     .use(agencyAuthentication()) // sets requestContext.authorizer.agency (see below)
//     .use(makeHandlerIdempotent({
//       persistenceStore: new DynamoDBPersistenceLayer(persistence),
//       config: new IdempotencyConfig(config),
//     }));
//
// and maps IdempotencyValidationError → 422 (same key, another body), IdempotencyKeyError →
// 400 (no Idempotency-Key), IdempotencyAlreadyInProgressError → 409.
//
// The record key is never the header alone: two agencies choosing the same Idempotency-Key
// would otherwise share a record, and the second would receive the first one's response. It
// is the authenticated agency, method, resource and key, hashed with SHA-256. The `&&` makes
// the whole selection null when the header or the agency is missing, which Powertools treats
// as no key at all (a list with one non-null member would count as a key).
//
// Preconditions on the event, met by middleware that runs before this one:
// - header names are lower case (API Gateway REST keeps the client's spelling, and JMESPath
//   has no case-insensitive lookup);
// - `requestContext.authorizer.agency` holds the USCC of the agency whose signature was
//   verified (the request-signature middleware sets it).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_TTL_SECONDS } from '#core/request-window.ts';
import { singletonTables } from './tables.ts';

/** The subset of Powertools' `IdempotencyConfigOptions` this platform sets. */
export interface IdempotencyConfigSettings {
  eventKeyJmesPath: string;
  payloadValidationJmesPath: string;
  throwOnNoIdempotencyKey: boolean;
  expiresAfterSeconds: number;
  hashFunction: string;
  useLocalCache: boolean;
}

/** The subset of Powertools' `DynamoDBPersistenceOptions` this platform sets. */
export interface DynamoDBPersistenceSettings {
  tableName: string;
  keyAttr: string;
  expiryAttr: string;
  awsSdkV3Client: DynamoDBClient;
}

/** Where the request-signature middleware puts the authenticated agency's USCC. */
export const AUTHENTICATED_AGENCY_PATH = 'requestContext.authorizer.agency';

/** The header carrying the client's idempotency key, lower-cased. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

const header = `headers."${IDEMPOTENCY_KEY_HEADER}"`;

export const IDEMPOTENCY_CONFIG: IdempotencyConfigSettings = {
  eventKeyJmesPath: `${header} && ${AUTHENTICATED_AGENCY_PATH} && [${AUTHENTICATED_AGENCY_PATH}, httpMethod, resource, ${header}]`,
  // The body as #http/idempotency.ts hands it: a keyed digest of the raw body, so the same key
  // with a body that differs in any byte is another request (422), and the record holds no bare
  // hash of it to test guesses on.
  payloadValidationJmesPath: 'body',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
  // Powertools' default is MD5; SHA-256 keeps body collisions out of reach.
  hashFunction: 'sha256',
  // Containers do not share memory; the table is the one source of truth.
  useLocalCache: false,
};

const table = singletonTables.find((t) => t.name === 'idempotency');
if (table === undefined || table.timeToLiveAttribute === undefined) {
  throw new Error('tables.ts must define the idempotency table with a TTL attribute');
}
const layout = { keyAttr: table.partitionKey.name, expiryAttr: table.timeToLiveAttribute };

/** The persistence-layer options and idempotency config, for DynamoDBPersistenceLayer and IdempotencyConfig. */
export function idempotencySettings(
  tableName: string,
  client: DynamoDBClient,
): { persistence: DynamoDBPersistenceSettings; config: IdempotencyConfigSettings } {
  return {
    persistence: { tableName, ...layout, awsSdkV3Client: client },
    config: IDEMPOTENCY_CONFIG,
  };
}

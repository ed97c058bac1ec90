import { z } from 'zod';
import { commonResponses } from './common-responses.ts';
import { PROBLEM_MEDIA_TYPE, problemTypes } from './problem.ts';
import { type RouteSpec, routes } from './routes.ts';
import { ProblemSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';
const HOLDER_SECURITY_SCHEME = 'holderAccessToken';
const AGENCY_SECURITY_SCHEME = 'agencySignature';
const USAGE_KEY_SECURITY_SCHEME = 'agencyUsageKey';

/** Builds the OpenAPI 3.1 description of the API from the route table and its zod schemas. */
export function buildOpenApi(
  table: readonly RouteSpec[] = routes,
  version = '0.1.0',
): Record<string, unknown> {
  // Schemas that carry a meta id become shared components; `ProblemSchema` is referenced
  // here so it is registered even before any route names it.
  void ProblemSchema;
  const registered = z.toJSONSchema(z.globalRegistry, {
    uri: (id) => `${COMPONENT_PREFIX}${id}`,
    target: 'draft-2020-12',
    // Refinements and transforms have no JSON Schema; the schema around them still does.
    unrepresentable: 'any',
  }).schemas;
  const schemas = Object.fromEntries(
    Object.entries(registered).map(([id, schema]) => {
      const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    const operation = {
      ...(route.auth.kind === 'holder' ? { security: [{ [HOLDER_SECURITY_SCHEME]: [] }] } : {}),
      ...(route.auth.kind === 'agency' ? { security: [{ [AGENCY_SECURITY_SCHEME]: [] }] } : {}),
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.group],
      parameters: [
        ...pathParameters(route.path),
        ...(route.idempotencyKey === undefined
          ? []
          : [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: true,
                description: route.idempotencyKey,
                // As idempotency.ts checks it: 1–255 printable ASCII characters, no spaces.
                schema: { type: 'string', pattern: '^[!-~]{1,255}$' },
              },
            ]),
        ...Object.entries(route.headers ?? {}).map(([name, description]) => ({
          name,
          in: 'header',
          required: true,
          description,
          schema: { type: 'string', minLength: 1, maxLength: 256 },
        })),
        ...Object.entries(route.query ?? {}).map(([name, description]) => ({
          name,
          in: 'query',
          required: false,
          description,
          schema: queryParameterSchema(route, name),
        })),
      ],
      ...(route.requestBody
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaRef(route.requestBody) } },
            },
          }
        : route.requestMediaTypes
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries(route.requestMediaTypes.map((type) => [type, {}])),
              },
            }
          : {}),
      responses: { ...responses(route), default: problemAnswer('A problem (RFC 9457)') },
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'elicense — electronic license sharing platform',
      version,
      description: `Problem types (RFC 9457), each as urn:elicense:problem:<name>: ${Object.entries(
        problemTypes,
      )
        .map(([name, p]) => `${name} (${p.status})`)
        .join(', ')}.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas,
      securitySchemes: {
        [HOLDER_SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Holder routes: an OIDC access token of the holder identity provider (the Cognito user pool on AWS; the development issuer /dev-oidc of `npm start` locally).',
        },
        // OpenAPI has no scheme for HTTP Message Signatures; the header carrying them is named
        // here, and the description says what must be signed.
        [AGENCY_SECURITY_SCHEME]: {
          type: 'apiKey',
          in: 'header',
          name: 'Signature',
          description:
            'Agency routes: an HTTP Message Signature (RFC 9421) with label `agency` in `Signature` and `Signature-Input`, `ecdsa-p256-sha256` or `ed25519`, over `@method`, `@target-uri`, `content-digest` (RFC 9530, whenever there is a body) and each of `content-type`, `idempotency-key` and `if-match` the request carries (a request carrying one its signature leaves out is 401 `components`), with `created` (±300 s), a fresh `nonce` and the `keyid` of an active key of the agency.',
        },
        [USAGE_KEY_SECURITY_SCHEME]: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description:
            "Agency routes on stages with a usage plan (agencyUsagePlan): the agency's API Gateway usage key, sent beside the signature; it meters and throttles, it does not authenticate.",
        },
      },
    },
  };
}

/**
 * A route's answers: its own, and those it gives by what it uses (common-responses.ts), each
 * status described by every reason it is answered for — the common ones first.
 */
function responses(route: RouteSpec): Record<string, unknown> {
  const common = commonResponses(route);
  const statuses = [...new Set([...Object.keys(route.responses), ...Object.keys(common)].map(Number))].sort(
    (a, b) => a - b,
  );
  return Object.fromEntries(
    statuses.map((status) => {
      const own = route.responses[status];
      const reasons = [...(common[status] ?? []), ...(own ? [own.description] : [])];
      const description = reasons.join('. ');
      // An error answered without a schema of its own is a problem document, as sent.
      if (status >= 400 && own?.schema === undefined && own?.contentType === undefined) {
        return [String(status), problemAnswer(description)];
      }
      return [
        String(status),
        {
          description,
          content: {
            [own?.contentType ?? 'application/json']: { schema: own?.schema ? schemaRef(own.schema) : {} },
          },
        },
      ];
    }),
  );
}

function problemAnswer(description: string): Record<string, unknown> {
  return {
    description,
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `${COMPONENT_PREFIX}Problem` } } },
  };
}

function schemaRef(schema: z.ZodType): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENT_PREFIX}${id}` };
  const { $schema: _s, ...inline } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  return inline;
}

/**
 * A query parameter's schema as the handler parses it (the route's querySchema, as input: a
 * string with its pattern, enum or bounds), without its optionality, which `required` says.
 */
function queryParameterSchema(route: RouteSpec, name: string): JsonSchema {
  const field = route.querySchema?.shape[name] as z.ZodType | undefined;
  if (field === undefined) return { type: 'string' };
  const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
  const { $schema: _s, ...schema } = z.toJSONSchema(inner, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return schema;
}

function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

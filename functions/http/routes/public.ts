import { PUBLIC, type RouteSpec } from '../route-spec.ts';
import { PageQuerySchema } from '../schemas/paging.ts';
import {
  HealthSchema,
  JwksSchema,
  LicenseTypeListSchema,
  VerifyRequestSchema,
  VerifyResultSchema,
} from '../schemas.ts';

// Routes anyone may call: health, the API description, keys, catalog, verification.
export const publicRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    group: 'public',
    operationId: 'getHealth',
    summary: "Reports each dependency's reachability",
    auth: PUBLIC,
    responses: {
      200: { description: 'Every dependency is reachable', schema: HealthSchema },
      503: { description: 'At least one dependency is unreachable', schema: HealthSchema },
    },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    group: 'public',
    operationId: 'getOpenApi',
    summary: 'This API described as OpenAPI 3.1',
    auth: PUBLIC,
    responses: { 200: { description: 'The OpenAPI document', contentType: 'application/json' } },
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    group: 'public',
    operationId: 'getJwks',
    summary: "Issuing agencies' seal keys and the platform key, for offline verification",
    queryIgnored: true,
    auth: PUBLIC,
    responses: { 200: { description: 'The JWKS', schema: JwksSchema } },
  },
  {
    method: 'GET',
    path: '/license-types',
    group: 'public',
    operationId: 'listLicenseTypes',
    summary: 'The catalog of license types with their field schemas',
    auth: PUBLIC,
    querySchema: PageQuerySchema,
    query: { limit: 'page size, 1–100 (default 100)', cursor: 'the cursor of the previous page' },
    responses: {
      200: { description: 'One page of license types', schema: LicenseTypeListSchema },
      400: {
        description:
          'A page size out of range, an empty cursor or one this listing did not hand out, or any other query parameter',
      },
    },
  },
  {
    method: 'GET',
    path: '/license-types/{code}',
    group: 'public',
    operationId: 'getLicenseType',
    summary: 'One license type by its GB/T 36904 type code',
    auth: PUBLIC,
    responses: {
      200: {
        description:
          'The license type; its version in ETag, which an update (PUT /license-types/{code}) names in If-Match. Answered from a copy up to 5 s old, or up to 1 s old when the request says Cache-Control: no-cache (as an operator reading the version to update should)',
        schema: LicenseTypeListSchema.shape.items.element,
      },
      404: { description: 'No such type' },
    },
  },
  {
    method: 'POST',
    path: '/verify',
    group: 'public',
    operationId: 'verifyLicense',
    summary:
      'Verifies a license or presentation: signature, issuer, type, validity, disclosures, status, key binding',
    auth: PUBLIC,
    requestBody: VerifyRequestSchema,
    responses: {
      200: { description: 'The outcome of every check (valid or not)', schema: VerifyResultSchema },
      503: {
        description:
          "The issuer's key or the license's status could not be read, or the verification (an audit event, written before every answer) could not be recorded, just now: no verdict; try again (code VERIFICATION_UNAVAILABLE)",
      },
    },
  },
];

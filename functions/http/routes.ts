import type { HttpMethod, RouteGroup, RouteSpec } from './route-spec.ts';
import { holderAccountRoutes } from './routes/holder.ts';
import { holderApplicationsRoutes } from './routes/holder-applications.ts';
import { holderGrantsRoutes } from './routes/holder-grants.ts';
import { holderHistoryRoutes } from './routes/holder-history.ts';
import { holderIdentityRoutes } from './routes/holder-identity.ts';
import { holderLicensesRoutes } from './routes/holder-licenses.ts';
import { holderPresentationsRoutes } from './routes/holder-presentations.ts';
import { issuerRoutes } from './routes/issuer.ts';
import { issuerApplicationsRoutes } from './routes/issuer-applications.ts';
import { operatorRoutes } from './routes/operator.ts';
import { publicRoutes } from './routes/public.ts';
import { retrievalRoutes } from './routes/retrieval.ts';
import { statusRoutes } from './routes/status.ts';

export type { HttpMethod, ResponseSpec, RouteAuth, RouteGroup, RouteSpec } from './route-spec.ts';

// The API's route table: every group's routes (functions/http/routes/<group>.ts), one list.

export const routes: readonly RouteSpec[] = [
  ...publicRoutes,
  ...statusRoutes,
  ...issuerRoutes,
  ...issuerApplicationsRoutes,
  ...retrievalRoutes,
  ...operatorRoutes,
  ...holderAccountRoutes,
  ...holderIdentityRoutes,
  ...holderApplicationsRoutes,
  ...holderLicensesRoutes,
  ...holderGrantsRoutes,
  ...holderPresentationsRoutes,
  ...holderHistoryRoutes,
];

/**
 * Media types API Gateway passes to functions base64-encoded (layout documents, images);
 * everything else arrives as text. The local server follows the same list.
 */
export const binaryMediaTypes: readonly string[] = [
  'application/pdf',
  'application/ofd',
  'application/octet-stream',
  'image/*',
];

export const routeGroups: readonly RouteGroup[] = [...new Set(routes.map((r) => r.group))];

/** The handler module of a route group, relative to the repository root. */
export function handlerEntry(group: RouteGroup): string {
  return `functions/handlers/${group}.ts`;
}

export interface RouteMatch {
  route: RouteSpec;
  pathParameters: Record<string, string>;
}

/** Finds the route for a concrete path; `methods` lists what the path allows when the method does not match. */
export function matchRoute(
  method: string,
  path: string,
  table: readonly RouteSpec[] = routes,
): RouteMatch | { route: undefined; methods: HttpMethod[] } {
  const methods: HttpMethod[] = [];
  for (const route of table) {
    const pathParameters = matchPath(route.path, path);
    if (!pathParameters) continue;
    if (route.method === method) return { route, pathParameters };
    methods.push(route.method);
  }
  return { route: undefined, methods };
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (h === '') return undefined;
      const value = decoded(h);
      // Not percent-encoded UTF-8 (`%ZZ`, a cut-off `%E4%B8`): it decodes to no identifier, so
      // the path names no resource and matches no route — 404 like any unknown id. (400 would
      // need an error channel beside "no route" for a case no client of ours produces.)
      if (value === undefined) return undefined;
      params[w.slice(1, -1)] = value;
    } else if (w !== h) {
      return undefined;
    }
  }
  return params;
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // URIError: a `%` not followed by two hex digits, or not UTF-8
  }
}

import { describe, expect, inject, it } from 'vitest';
import type { AgencyRole } from '#core/catalog/agency.ts';
import { demoPrivateKey } from '#dev/demo/catalog.ts';
import { routes } from '#http/routes.ts';
import { createAgencyClient } from '../../sdk/agency-client.ts';
import { asHolder } from './support/holder-tokens.ts';

// Every route × every caller: an unsigned request, and a signed one from a demo agency of each
// role. An agency route answers 401 unsigned and 403 to a role it does not allow; a caller it
// allows gets past authentication (whatever the route then says of the empty request). A
// public route never asks who calls. The table is the route table itself, so a new route is
// covered the day it is added.
const endpoint = inject('platformUrl');
const callers: { role: AgencyRole; keyId: string; algorithm: 'ecdsa-p256-sha256' | 'ed25519' }[] = [
  { role: 'issuer', keyId: 'demo-psb-1', algorithm: 'ecdsa-p256-sha256' },
  { role: 'relying', keyId: 'demo-hpf-1', algorithm: 'ecdsa-p256-sha256' },
  { role: 'operator', keyId: 'demo-operator-1', algorithm: 'ed25519' },
];
const clients = new Map(
  callers.map((c) => [
    c.role,
    createAgencyClient({
      endpoint,
      keyId: c.keyId,
      privateKey: demoPrivateKey(c.keyId, c.algorithm),
      algorithm: c.algorithm,
    }),
  ]),
);

/** A concrete path for a route template: every `{param}` filled with a harmless value. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'matrix-probe');
const body = (method: string) => (method === 'GET' || method === 'DELETE' ? {} : { json: {} });
const headers = { 'idempotency-key': 'matrix-probe-key' };

describe('authorization matrix', () => {
  for (const route of routes) {
    const label = `${route.method} ${route.path}`;
    if (route.auth.kind === 'none') {
      it(`${label} is public: nobody is refused for who they are`, async () => {
        const response = await fetch(`${endpoint}${concrete(route.path)}`, {
          method: route.method,
          ...(route.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
        });
        expect([401, 403]).not.toContain(response.status);
      });
      continue;
    }
    if (route.auth.kind === 'holder') {
      it(`${label} refuses a request without an access token with 401`, async () => {
        const response = await fetch(`${endpoint}${concrete(route.path)}`, { method: route.method });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      });
      it(`${label} refuses an agency's signed request with 401: agencies are not holders`, async () => {
        const response = await clients.get('relying')!.request(route.method, concrete(route.path), {
          ...body(route.method),
          headers,
        });
        expect(response.status).toBe(401);
      });
      it(`${label} lets a holder with an access token past authentication`, async () => {
        const response = await fetch(`${endpoint}${concrete(route.path)}`, {
          method: route.method,
          headers: { ...(await asHolder('zhangweiming')), ...headers, 'content-type': 'application/json' },
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
        });
        expect([401, 403]).not.toContain(response.status);
      });
      continue;
    }
    const allowed = route.auth.roles;
    it(`${label} refuses an unsigned request with 401`, async () => {
      const response = await fetch(`${endpoint}${concrete(route.path)}`, { method: route.method });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    });
    for (const { role } of callers) {
      const expected = allowed.includes(role) ? 'passes authentication' : 'is refused with 403';
      it(`${label} — a signed ${role} ${expected}`, async () => {
        const response = await clients.get(role)!.request(route.method, concrete(route.path), {
          ...body(route.method),
          headers,
        });
        if (allowed.includes(role)) expect([401, 403]).not.toContain(response.status);
        else expect(response.status).toBe(403);
      });
    }
  }
});

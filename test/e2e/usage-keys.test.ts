import { describe, expect, inject, it } from 'vitest';
import { DEMO_USCC, demoPrivateKey } from '#dev/demo/catalog.ts';
import { createAgencyClient } from '../../sdk/agency-client.ts';
import { createOperatorClient } from '../../sdk/operator.ts';
import { refusal } from './support/refusals.ts';

// Usage keys on the local platform, which has no API Gateway and so no usage plan: the operator
// route answers that the stage issues no keys, and an agency that sends an x-api-key anyway is
// authenticated by its signature as ever (the local server checks no key).

const endpoint = inject('platformUrl');

function operator(apiKey?: string) {
  return createOperatorClient(
    createAgencyClient({
      endpoint,
      keyId: 'demo-operator-1',
      privateKey: demoPrivateKey('demo-operator-1', 'ed25519'),
      algorithm: 'ed25519',
      ...(apiKey ? { apiKey } : {}),
    }),
  );
}

describe('usage keys on the local platform', () => {
  it('answers 409 for a registered agency: the stage meters agencies by no usage plan', async () => {
    const problem = await refusal(operator().issueUsageKey(DEMO_USCC.publicSecurityBureau));
    expect(problem.status).toBe(409);
    expect(problem.message).toMatch(/meters agencies by no usage plan/);
  });

  it('answers 404 for an agency that is not registered', async () => {
    const problem = await refusal(operator().issueUsageKey('91330100MA00000000'));
    expect(problem.status).toBe(404);
  });

  it('authenticates a signed request that also carries an x-api-key by its signature', async () => {
    const record = await operator('any-usage-key-value-0123456789').getAgency(DEMO_USCC.platformOperator);
    expect(record.agency.uscc).toBe(DEMO_USCC.platformOperator);
  });
});

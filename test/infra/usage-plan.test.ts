import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#http/routes.ts';
import { createApp } from '#lib/app.ts';

// The stage option `agencyUsagePlan`: per-agency throttling and quotas at API Gateway. Off, the
// API is as before; on, a usage plan with the stage's limits, an API key required on exactly
// the agency-signed routes, and an operator function that may manage keys on that plan only.

/** Skips bundling handler code: the templates are complete without it, and synth is faster. */
const noBundling = { 'aws:cdk:bundling-stacks': [] };
const base = {
  region: 'cn-north-1',
  publicBaseUrl: 'https://api.metered.test',
  shardsPerDomain: { person: 1 },
  holderIdentity: { kind: 'oidc', issuer: 'https://id.metered.test', audience: 'holder-app' },
};

function synth(agencyUsagePlan?: object): Template {
  const stage = agencyUsagePlan ? { ...base, agencyUsagePlan } : base;
  const built = createApp({ context: { stage: 'metered', stages: { metered: stage }, ...noBundling } });
  built.app.synth(); // cdk-nag, both packs: an unacknowledged finding throws here
  return Template.fromStack(built.stateless);
}

// biome-ignore lint/suspicious/noExplicitAny: template JSON, shaped by CloudFormation
type CfnResource = { Type: string; Properties: any };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

/** `METHOD /path` of every API Gateway method in the template whose ApiKeyRequired is true. */
function keyedMethods(api: Template): string[] {
  const resources = api.toJSON().Resources as Record<string, CfnResource>;
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (id === undefined) return ''; // the root resource
    const { Properties } = resources[id]!;
    return `${pathOf(Properties.ParentId)}/${Properties.PathPart}`;
  };
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.ApiKeyRequired === true)
    .map((r) => `${r.Properties.HttpMethod} ${pathOf(r.Properties.ResourceId)}`)
    .sort();
}

function operatorPolicyStatements(api: Template): Statement[] {
  const policies = api.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^OperatorFunctionRole') }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const apigatewayActions = (statements: Statement[]) =>
  statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('apigateway:')));

describe('agency usage plan: off by default', () => {
  let api: Template;
  beforeAll(() => {
    api = synth();
  });

  it('creates no usage plan, no API key requirement and no apigateway permission', () => {
    api.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    expect(keyedMethods(api)).toEqual([]);
    expect(apigatewayActions(operatorPolicyStatements(api))).toEqual([]);
  });
});

describe('agency usage plan: enabled', () => {
  let api: Template;
  beforeAll(() => {
    api = synth({ enabled: true, rateLimit: 25, burstLimit: 60, quotaPerDay: 200_000 });
  });

  it('throttles and caps each key on the API’s stage with the stage’s limits', () => {
    api.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    api.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'elicense-metered-agencies',
      Throttle: { RateLimit: 25, BurstLimit: 60 },
      Quota: { Limit: 200_000, Period: 'DAY' },
      ApiStages: [
        Match.objectLike({ ApiId: { Ref: Match.stringLikeRegexp('^Api') }, Stage: Match.anyValue() }),
      ],
    });
  });

  it('requires an API key on exactly the agency-signed routes, read from the x-api-key header', () => {
    const agencyRoutes = routes
      .filter((r) => r.auth.kind === 'agency')
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    expect(agencyRoutes.length).toBeGreaterThan(10);
    expect(keyedMethods(api)).toEqual(agencyRoutes);
    // HEADER is API Gateway's default key source: no AUTHORIZER source is set.
    const [restApi] = Object.values(api.findResources('AWS::ApiGateway::RestApi'));
    expect(restApi!.Properties.ApiKeySourceType ?? 'HEADER').toBe('HEADER');
  });

  it('lets the operator function find the plan, create keys and manage this plan’s keys only', () => {
    // The stage's region is known at synth, so its partition is written out (FEATURE_FLAGS).
    const arn = (path: string, ...rest: unknown[]) =>
      rest.length === 0
        ? `arn:aws-cn:apigateway:cn-north-1::/${path}`
        : { 'Fn::Join': ['', [`arn:aws-cn:apigateway:cn-north-1::/${path}`, ...rest]] };
    const plan = { Ref: Match.stringLikeRegexp('^ApiAgencyUsagePlan') };
    const statements = apigatewayActions(operatorPolicyStatements(api));
    const allow = (action: string, resource: unknown) =>
      Match.objectEquals({ Action: action, Effect: 'Allow', Resource: resource });
    const expected = [
      allow('apigateway:GET', arn('usageplans')),
      allow('apigateway:POST', [arn('apikeys'), arn('usageplans/', plan, '/keys')]),
      allow('apigateway:GET', arn('usageplans/', plan, '/keys')),
      allow('apigateway:DELETE', arn('usageplans/', plan, '/keys/*')),
    ];
    expect(statements).toHaveLength(expected.length);
    // Match patterns are checked through a template of the statements themselves.
    const asTemplate = Template.fromJSON({
      Resources: Object.fromEntries(statements.map((s, i) => [`S${i}`, { Type: 'S', Properties: s }])),
    });
    for (const pattern of expected) asTemplate.hasResourceProperties('S', pattern);
  });

  it('names the plan in the operator function’s environment, and no other function knows it', () => {
    const functions = api.findResources('AWS::Lambda::Function');
    const withPlan = Object.entries(functions).filter(
      ([, f]) => f.Properties.Environment?.Variables?.ELICENSE_USAGE_PLAN_NAME !== undefined,
    );
    expect(withPlan.map(([id]) => id)).toEqual([expect.stringMatching(/^OperatorFunction/)]);
    expect(withPlan[0]![1].Properties.Environment.Variables.ELICENSE_USAGE_PLAN_NAME).toBe(
      'elicense-metered-agencies',
    );
  });

  it('keeps the WAF’s per-IP rate limit above all one agency may send under its plan', () => {
    // 25 requests/s for the rule's five minutes and a burst of 60: an agency behind one NAT is
    // throttled by its plan (429) before the WAF would block its address (403).
    const [acl] = Object.values(api.findResources('AWS::WAFv2::WebACL'));
    const rule = (acl!.Properties.Rules as { Name: string; Statement: CfnResource['Properties'] }[]).find(
      (r) => r.Name === 'RateLimitPerIp',
    );
    expect(rule!.Statement.RateBasedStatement.Limit).toBe(25 * 300 + 60);
  });

  it('redacts the x-api-key header from WAF logs', () => {
    api.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'x-api-key' } }]),
    });
  });
});

describe('agency usage plan: refused settings', () => {
  it.each([
    [{ enabled: true, rateLimit: 0 }, 'stages.metered.agencyUsagePlan.rateLimit'],
    [{ enabled: true, burstLimit: 1.5 }, 'stages.metered.agencyUsagePlan.burstLimit'],
    [{ enabled: true, quotaPerDay: 0 }, 'stages.metered.agencyUsagePlan.quotaPerDay'],
    [{ enabled: 'yes' }, 'stages.metered.agencyUsagePlan.enabled'],
    [{ enabled: true, perMonth: 5 }, 'stages.metered.agencyUsagePlan'],
  ])('%o fails synth naming %s', (agencyUsagePlan, field) => {
    expect(() => synth(agencyUsagePlan)).toThrow(field);
  });

  it('refuses a WAF rate limit per IP below what one agency may send under its plan', () => {
    const metered = {
      ...base,
      wafRateLimitPer5Min: 10_000,
      agencyUsagePlan: { enabled: true, rateLimit: 50, burstLimit: 100 },
    };
    expect(() => createApp({ context: { stage: 'metered', stages: { metered }, ...noBundling } })).toThrow(
      /stages\.metered\.wafRateLimitPer5Min: .*at least 15,100/,
    );
  });
});

import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ElicenseApp } from '#lib/app.ts';

// The optional parts of a stage: a custom domain, CloudFront, Cognito, a CloudHSM key store,
// provisioned concurrency, a private endpoint, SM2 seal keys — each synthesised nag-clean and
// pinned, and each misuse refused at synth naming the field.

/** Skips bundling handler code: the templates are complete without it, and synth is faster. */
const noBundling = { 'aws:cdk:bundling-stacks': [] };
const certificate = (region: string) =>
  `arn:aws:acm:${region}:123456789012:certificate/11111111-2222-3333-4444-555555555555`;

const stages = {
  full: {
    region: 'eu-central-1',
    account: '123456789012',
    publicBaseUrl: 'https://licenses.full.test',
    shardsPerDomain: { person: 2, 'legal-entity': 1 },
    customDomain: { domainName: 'api.full.test', certificateArn: certificate('eu-central-1') },
    cdn: { domainName: 'licenses.full.test', certificateArn: certificate('us-east-1') },
    cloudHsmKeyStoreId: 'cks-1234567890abcdef0',
    provisionedConcurrency: { public: 5, issuer: 2 },
    auditArchiveLock: { mode: 'GOVERNANCE', days: 30 },
    holderProofing: { faceMatch: { referencePhotoBucket: 'gov-id-photos-full', similarityThreshold: 95 } },
  },
  private: {
    region: 'eu-central-1',
    publicBaseUrl: 'https://licenses.private.test',
    shardsPerDomain: { person: 1 },
    privateEndpoint: { vpcEndpointId: 'vpce-0123456789abcdef0' },
    holderIdentity: { kind: 'cognito', mfa: 'optional' },
  },
  sm2: {
    region: 'cn-northwest-1',
    publicBaseUrl: 'https://licenses.sm2.test',
    shardsPerDomain: { person: 1 },
    sealAlgorithm: 'SM2',
    holderIdentity: { kind: 'oidc', issuer: 'https://id.sm2.test', audience: 'holder-app' },
  },
};

function synth(stage: keyof typeof stages, overrides: object = {}): ElicenseApp {
  const built = createApp({
    context: { stage, stages: { ...stages, [stage]: { ...stages[stage], ...overrides } }, ...noBundling },
  });
  built.app.synth(); // cdk-nag, both packs: an unacknowledged finding throws here
  return built;
}

describe('a stage with every option (custom domain, CloudFront, Cognito, CloudHSM, provisioned concurrency)', () => {
  let data: Template;
  let api: Template;
  beforeAll(() => {
    const built = synth('full');
    data = Template.fromStack(built.stateful);
    api = Template.fromStack(built.stateless);
  });

  it('creates the field key in the CloudHSM key store through KMS CreateKey, and no KMS-native field key', () => {
    const created = Object.values(data.findResources('Custom::AWS'));
    expect(created).toHaveLength(1);
    const create = JSON.stringify(created[0]!.Properties.Create);
    expect(create).toContain('\\"CustomKeyStoreId\\":\\"cks-1234567890abcdef0\\"');
    expect(create).toContain('\\"Origin\\":\\"AWS_CLOUDHSM\\"');
    expect(created[0]!.Properties.Delete).toBeUndefined(); // never deleted by the stack
    const keys = Object.values(data.findResources('AWS::KMS::Key')).map((k) => k.Properties.Description);
    expect(keys.some((d) => String(d).includes('sensitive license fields'))).toBe(false);
    data.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'kms:CreateKey',
            Condition: { StringEquals: { 'kms:KeyOrigin': 'AWS_CLOUDHSM' } },
          }),
        ],
      },
    });
  });

  it('signs holders in with a Cognito pool: MFA required, threat protection enforced, short tokens, retained', () => {
    data.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UserPoolTier: 'PLUS',
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
        DeletionProtection: 'ACTIVE',
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
      }),
    });
    data.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 720,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    data.hasOutput('HolderIssuerUrl', {
      Value: {
        'Fn::Join': ['', ['https://cognito-idp.eu-central-1.amazonaws.com/', { Ref: Match.anyValue() }]],
      },
    });
    // The holder function accepts access tokens only, matched on their client_id.
    data.hasOutput('HolderClientId', {
      Description: Match.stringLikeRegexp('client_id of holder access tokens'),
    });
  });

  it('gives the holder function the pool as issuer and the app client as audience', () => {
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense full: holder routes',
      Environment: {
        Variables: Match.objectLike({
          ELICENSE_HOLDER_ISSUER: {
            'Fn::Join': ['', ['https://cognito-idp.eu-central-1.amazonaws.com/', Match.anyValue()]],
          },
          ELICENSE_HOLDER_AUDIENCE: Match.anyValue(),
        }),
      },
    });
  });

  it('lets holders prove who they are by face match: Rekognition, and the registered photos read-only', () => {
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense full: holder routes',
      Environment: {
        Variables: Match.objectLike({
          ELICENSE_PROOFING_PROVIDERS: 'rekognition-compare-faces',
          ELICENSE_REFERENCE_PHOTO_BUCKET: 'gov-id-photos-full',
          ELICENSE_FACE_SIMILARITY_THRESHOLD: '95',
        }),
      },
    });
    const holderPolicy = Object.entries(api.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('HolderFunction'),
    )?.[1];
    const statements = JSON.stringify(holderPolicy);
    expect(statements).toContain('"rekognition:CompareFaces"');
    expect(statements).toContain(':s3:::gov-id-photos-full/reference-photos/*');
    expect(statements).not.toMatch(/gov-id-photos-full[^"]*"[^}]*s3:PutObject/);
    // Listing the bucket, with no s3:prefix condition: S3 answers a missing key 404 rather than 403
    // to a caller allowed s3:ListBucket on the bucket, and AWS documents no s3:prefix in that
    // check's request context, so a prefix-conditioned grant may not count.
    const listing = (holderPolicy!.Properties.PolicyDocument.Statement as { Action: unknown }[]).filter(
      (s) => [s.Action].flat().includes('s3:ListBucket') && JSON.stringify(s).includes('gov-id-photos-full'),
    );
    expect(listing).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::gov-id-photos-full',
      },
    ]);
  });

  it('uses the stage’s Object Lock mode and retention for the audit archive', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
    });
  });

  it('serves the API on its custom domain with TLS 1.2', () => {
    api.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.full.test',
      RegionalCertificateArn: certificate('eu-central-1'),
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    api.hasOutput('ApiUrl', { Value: 'https://api.full.test/' });
  });

  it('caches status lists and the JWKS in CloudFront for as long as the API’s Cache-Control says', () => {
    api.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ MinTTL: 0, DefaultTTL: 0, MaxTTL: 86400 }),
    });
    api.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['licenses.full.test'],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: certificate('us-east-1'),
          MinimumProtocolVersion: 'TLSv1.2_2021',
        }),
        CacheBehaviors: [
          Match.objectLike({ PathPattern: '/status-lists/*', ViewerProtocolPolicy: 'redirect-to-https' }),
          Match.objectLike({ PathPattern: '/.well-known/jwks.json' }),
        ],
        DefaultCacheBehavior: Match.objectLike({
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
        }),
      }),
    });
  });

  it('keeps provisioned instances behind a live alias that the API invokes', () => {
    api.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 },
    });
    api.hasResourceProperties('AWS::Lambda::Alias', {
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    api.resourceCountIs('AWS::Lambda::Alias', 2);
    const health = Object.values(api.findResources('AWS::ApiGateway::Method')).find(
      (m) => m.Properties.OperationName === 'getHealth',
    );
    expect(JSON.stringify(health?.Properties.Integration.Uri)).toMatch(/PublicFunctionLive/);
  });
});

describe('a private stage', () => {
  it('answers only through its VPC endpoint', () => {
    const api = Template.fromStack(synth('private').stateless);
    api.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0123456789abcdef0'] },
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0123456789abcdef0' } },
          }),
        ]),
      },
    });
    api.resourceCountIs('AWS::CloudFront::Distribution', 0);
  });
});

describe('what a deploy leaves to the infrastructure team, warned of at synth', () => {
  const warnings = (built: ElicenseApp) =>
    Annotations.fromStack(built.stateless)
      .findWarning('*', Match.anyValue())
      .map((w) => String(w.entry.data));

  it('warns a China stage that API Gateway answers its methods only for an account with an ICP licence', () => {
    const china = warnings(synth('sm2'));
    expect(china.filter((w) => w.includes('ICP'))).toHaveLength(1);
    expect(warnings(synth('full')).some((w) => w.includes('ICP'))).toBe(false);
  });

  it('warns of a publicBaseUrl that neither the custom domain nor the CDN serves, and only then', () => {
    const unserved = warnings(synth('sm2')).filter((w) => w.includes('publicBaseUrl'));
    expect(unserved).toHaveLength(1);
    expect(unserved[0]).toContain('https://licenses.sm2.test');
    const warnsOfUrl = (url: string) =>
      warnings(synth('full', { publicBaseUrl: url })).some((w) => w.includes('publicBaseUrl'));
    expect(warnsOfUrl('https://licenses.full.test')).toBe(false); // the cdn's domain
    expect(warnsOfUrl('https://api.full.test')).toBe(false); // the custom domain
    expect(warnsOfUrl('https://elsewhere.full.test')).toBe(true);
  });
});

describe('SM2 seal keys', () => {
  it('lets the operator create SM2 seal keys only, in a China region', () => {
    const api = Template.fromStack(synth('sm2').stateless);
    api.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:CreateKey',
            Condition: Match.objectLike({ StringEquals: Match.objectLike({ 'kms:KeySpec': 'SM2' }) }),
          }),
          Match.objectLike({
            Action: 'kms:TagResource',
            Condition: Match.objectLike({
              StringEqualsIfExists: { 'kms:KeySpec': 'SM2', 'kms:KeyUsage': 'SIGN_VERIFY' },
            }),
          }),
        ]),
      },
    });
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense sm2: operator routes',
      Environment: { Variables: Match.objectLike({ ELICENSE_SEAL_KEY_SPEC: 'SM2' }) },
    });
  });

  it('takes demo data only when told: every function of the stage learns it from ELICENSE_DEMO_DATA', () => {
    // Every function: registration (operator) refuses demo keys, and so does request
    // authentication in each agency route group — a demo key on record must not sign there.
    const environments = (api: Template) =>
      Object.values(api.findResources('AWS::Lambda::Function'))
        .filter((fn) => String(fn.Properties.Description).startsWith('elicense sm2: '))
        .map((fn) => ({
          description: fn.Properties.Description as string,
          demoData: (fn.Properties.Environment.Variables as Record<string, unknown>).ELICENSE_DEMO_DATA,
        }));
    const refusing = environments(Template.fromStack(synth('sm2').stateless));
    const taking = environments(Template.fromStack(synth('sm2', { demoData: true }).stateless));
    expect(refusing.map((fn) => fn.description)).toEqual(
      expect.arrayContaining(['elicense sm2: operator routes', 'elicense sm2: issuer routes']),
    );
    expect(refusing.map((fn) => fn.demoData)).toEqual(refusing.map(() => undefined));
    expect(taking).toHaveLength(refusing.length);
    expect(taking.map((fn) => fn.demoData)).toEqual(taking.map(() => 'allowed'));
  });

  it('is refused outside China regions, naming the field', () => {
    expect(() => synth('full', { sealAlgorithm: 'SM2' })).toThrow(
      /stages\.full\.sealAlgorithm: SM2 keys are offered by KMS in China regions .* not in eu-central-1/,
    );
  });
});

describe('an external holder identity provider', () => {
  it('tells the holder function where the provider publishes its keys, when they are not at <issuer>/.well-known/jwks.json', () => {
    const holderVariables = (built: ElicenseApp) =>
      Object.values(Template.fromStack(built.stateless).findResources('AWS::Lambda::Function')).find(
        (fn) => fn.Properties.Description === 'elicense sm2: holder routes',
      )?.Properties.Environment.Variables as Record<string, unknown>;
    const certs = 'https://id.sm2.test/realms/citizens/protocol/openid-connect/certs';
    const keycloak = synth('sm2', { holderIdentity: { ...stages.sm2.holderIdentity, jwksUri: certs } });
    expect(holderVariables(keycloak)).toMatchObject({
      ELICENSE_HOLDER_ISSUER: 'https://id.sm2.test',
      ELICENSE_HOLDER_JWKS_URI: certs,
    });
    expect(holderVariables(synth('sm2'))).not.toHaveProperty('ELICENSE_HOLDER_JWKS_URI');
  });
});

describe('refused stage options', () => {
  it.each([
    [
      { cdn: stages.full.cdn },
      'sm2',
      /stages\.sm2\.cdn: CloudFront in China regions needs an ICP-registered domain/,
    ],
    [
      { holderIdentity: { kind: 'cognito' } },
      'sm2',
      /stages\.sm2\.holderIdentity: Cognito user pools are not offered in China regions/,
    ],
    [
      { cdn: { domainName: 'x.test', certificateArn: certificate('eu-central-1') } },
      'full',
      /stages\.full\.cdn\.certificateArn: CloudFront takes certificates from ACM in us-east-1/,
    ],
    [
      { customDomain: { domainName: 'api.full.test', certificateArn: 'not-an-arn' } },
      'full',
      /stages\.full\.customDomain\.certificateArn: an ACM certificate ARN/,
    ],
    [{ cloudHsmKeyStoreId: 'hsm-1' }, 'full', /stages\.full\.cloudHsmKeyStoreId: a custom key store id/],
    [
      { holderProofing: { faceMatch: { referencePhotoBucket: 'photos', similarityThreshold: 50 } } },
      'full',
      /stages\.full\.holderProofing\.faceMatch\.similarityThreshold/,
    ],
    [
      { provisionedConcurrency: { operator: 6 } },
      'full',
      /stages\.full\.provisionedConcurrency\.operator: provisioned concurrency \(6\) exceeds the group's reserved concurrency \(5\)/,
    ],
    [
      { privateEndpoint: { vpcEndpointId: 'vpc-1' } },
      'private',
      /stages\.private\.privateEndpoint\.vpcEndpointId: a VPC endpoint id/,
    ],
    [{ auditArchiveLock: { mode: 'LEGAL_HOLD', days: 1 } }, 'full', /stages\.full\.auditArchiveLock\.mode/],
    [
      { holderIdentity: { ...stages.sm2.holderIdentity, jwksUri: 'http://id.sm2.test/certs' } },
      'sm2',
      /stages\.sm2\.holderIdentity\.jwksUri/,
    ],
  ] as const)('%o on stage %s', (overrides, stage, message) => {
    expect(() => synth(stage, overrides)).toThrow(message);
  });
});

import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEAL_KEY_TAG_KEYS } from '#adapters/aws/kms-seal-keys.ts';
import { allTables, physicalTableName } from '#adapters/aws/tables.ts';
import { problemTypes } from '#http/problem.ts';
import { createApp, type ElicenseApp, FEATURE_FLAGS } from '#lib/app.ts';
import { loadStageConfig } from '#lib/stage-config.ts';

const externalHolders = { kind: 'oidc', issuer: 'https://id.test', audience: 'holder-app' };
const stages = {
  small: {
    region: 'cn-north-1',
    publicBaseUrl: 'https://api.small.test',
    shardsPerDomain: { person: 2, 'legal-entity': 1 },
    holderIdentity: externalHolders,
  },
  large: {
    region: 'cn-northwest-1',
    publicBaseUrl: 'https://api.large.test',
    shardsPerDomain: { person: 8, 'legal-entity': 4 },
    logRetentionDays: 3653,
    holderIdentity: externalHolders,
  },
};

/** Skips bundling handler code: the templates are complete without it, and synth is faster. */
const noBundling = { 'aws:cdk:bundling-stacks': [] };

/** The schedule rules that invoke the stage's audit sealer, in seal-group order. */
function sealerRules(api: Template, stage: string) {
  const [sealerId] = Object.entries(api.findResources('AWS::Lambda::Function')).find(
    ([, fn]) => fn.Properties.Description === `elicense ${stage}: audit sealer (scheduled)`,
  )!;
  return Object.values(api.findResources('AWS::Events::Rule'))
    .map((rule) => rule.Properties)
    .filter((rule) =>
      rule.Targets.some((t: { Arn: unknown }) => JSON.stringify(t.Arn).includes(`"${sealerId}"`)),
    )
    .map((rule) => {
      expect(rule.Targets).toHaveLength(1);
      const [target] = rule.Targets;
      return {
        description: rule.Description,
        schedule: rule.ScheduleExpression,
        input: JSON.parse(target.Input),
        retries: target.RetryPolicy?.MaximumRetryAttempts,
        deadLetters: target.DeadLetterConfig !== undefined,
      };
    })
    .sort((a, b) => a.input.group - b.input.group);
}

describe('the CDK app', () => {
  let built: ElicenseApp;
  let data: Template;
  let api: Template;

  beforeAll(() => {
    built = createApp({ context: { stage: 'small', stages } });
    built.app.synth(); // runs cdk-nag: any unacknowledged finding throws here
    data = Template.fromStack(built.stateful);
    api = Template.fromStack(built.stateless);
  });

  it('creates every table of the shared definitions with PITR, deletion protection, KMS and RETAIN', () => {
    const expected = allTables(stages.small.shardsPerDomain);
    data.resourceCountIs('AWS::DynamoDB::GlobalTable', expected.length);
    for (const table of expected) {
      data.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          TableName: physicalTableName('small', table),
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: Match.objectLike({ SSEEnabled: true }),
          Replicas: [
            Match.objectLike({
              DeletionProtectionEnabled: true,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          ],
        }),
      });
    }
  });

  it('creates a rotating field-encryption key and an ES256 platform signing key', () => {
    data.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('sensitive license fields'),
      EnableKeyRotation: true,
    });
    data.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  });

  it('keeps TTL where the definitions ask for it', () => {
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'elicense-small-nonces',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('blocks public access and requires TLS on every bucket', () => {
    const buckets = data.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets).length).toBe(4);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = Object.values(data.findResources('AWS::S3::BucketPolicy'));
    expect(policies.length).toBe(4);
    for (const policy of policies) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('uses no ACL anywhere: access logs are delivered under a bucket policy naming each source bucket', () => {
    const buckets = data.findResources('AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.AccessControl).toBeUndefined();
      expect(
        bucket.Properties.OwnershipControls?.Rules ?? [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      ).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    }
    const logsId = Object.keys(buckets).find((id) => id.startsWith('AccessLogs'))!;
    const [logsPolicy] = Object.values(data.findResources('AWS::S3::BucketPolicy')).filter(
      (policy) => policy.Properties.Bucket.Ref === logsId,
    );
    const delivery = logsPolicy!.Properties.PolicyDocument.Statement.filter(
      (statement: { Principal?: { Service?: string } }) =>
        statement.Principal?.Service === 'logging.s3.amazonaws.com',
    );
    const sources = Object.keys(buckets).filter((id) => id !== logsId);
    expect(delivery).toHaveLength(sources.length);
    for (const statement of delivery) {
      expect(statement.Action).toBe('s3:PutObject');
      expect(sources).toContain(statement.Condition.ArnLike['aws:SourceArn']['Fn::GetAtt'][0]);
    }
  });

  it('takes its CDK feature flags from lib/app.ts alone, so these tests see the template cdk deploy sends', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    expect(Object.keys(cdkJson.context).filter((key) => key.startsWith('@aws-cdk/'))).toEqual([]);
    for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
      expect(built.app.node.tryGetContext(flag)).toEqual(value);
    }
  });

  it('expires presigned uploads never completed', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            ExpirationInDays: 1,
            TagFilters: [{ Key: 'elicense-upload', Value: 'pending' }],
          }),
        ]),
      },
    });
  });

  it('removes the bytes of a deleted document 30 days after its delete (versioned bucket: noncurrent versions and their delete markers expire)', () => {
    const [, documents] = Object.entries(data.findResources('AWS::S3::Bucket')).find(([id]) =>
      id.startsWith('Documents'),
    )!;
    expect(documents.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(documents.Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'documents/',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        ExpiredObjectDeleteMarker: true,
        Status: 'Enabled',
      }),
    );
  });

  it('removes status lists put over after a day, and the claims to republish one after a day, their versions and markers after it', () => {
    const [, publicBucket] = Object.entries(data.findResources('AWS::S3::Bucket')).find(([id]) =>
      id.startsWith('Public'),
    )!;
    expect(publicBucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Prefix: 'status-lists/',
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        Status: 'Enabled',
      }),
      expect.objectContaining({
        Prefix: 'status-list-rebuilds/',
        ExpirationInDays: 1,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        Status: 'Enabled',
      }),
    ]);
  });

  it('removes expired access logs, not only hides them behind delete markers', () => {
    const [, logs] = Object.entries(data.findResources('AWS::S3::Bucket')).find(([id]) =>
      id.startsWith('AccessLogs'),
    )!;
    const rules = logs.Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({ ExpiredObjectDeleteMarker: true, Status: 'Enabled' }),
    );
  });

  it('lets issuance and public verification trust a cached type or agency for 5 s, the reading paths for the default 60 s', () => {
    const ages = Object.fromEntries(
      Object.values(api.findResources('AWS::Lambda::Function')).map((fn) => [
        fn.Properties.Description,
        fn.Properties.Environment?.Variables?.ELICENSE_CATALOG_MAX_AGE_SECONDS,
      ]),
    );
    expect(ages['elicense small: issuer routes']).toBe('5');
    expect(ages['elicense small: public routes']).toBe('5');
    expect(ages['elicense small: retrieval routes']).toBeUndefined();
    expect(ages['elicense small: holder routes']).toBeUndefined();
  });

  it('gives the status function a whole vCPU and 25 s to rebuild a list on the request path', () => {
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense small: status routes',
      MemorySize: 1769,
      Timeout: 25,
    });
  });

  it('reserves concurrency per route group, capping what each can ask of KMS', () => {
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense small: issuer routes',
      ReservedConcurrentExecutions: 100,
    });
    for (const fn of Object.values(api.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeGreaterThan(0);
    }
  });

  it('runs functions on Node 24, ARM64, with X-Ray and their own log group', () => {
    api.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
  });

  it('keeps responses out of every function’s traces (they carry personal data)', () => {
    const functions = Object.values(api.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.TracingConfig?.Mode === 'Active',
    );
    expect(functions.length).toBeGreaterThanOrEqual(7); // six route groups and the sealer
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables.POWERTOOLS_TRACER_CAPTURE_RESPONSE).toBe('false');
    }
  });

  /** The policy statements of one route group's function role. */
  function policyOf(group: string): string {
    const logicalIdPrefix = `${group[0]!.toUpperCase()}${group.slice(1)}FunctionRole`;
    const policies = Object.values(api.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(logicalIdPrefix),
    );
    expect(policies.length).toBe(1);
    return JSON.stringify(policies[0]!.Properties.PolicyDocument);
  }

  /** The actions one route group's role is allowed on resources whose ARN contains `arnPart`. */
  function actionsOn(group: string, arnPart: string): string[] {
    const document = JSON.parse(policyOf(group)) as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    return document.Statement.filter((s) => JSON.stringify(s.Resource).includes(arnPart)).flatMap((s) =>
      [s.Action].flat(),
    );
  }

  interface PolicyStatementJson {
    Effect: 'Allow' | 'Deny';
    Action: string | string[];
    Resource: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  }

  /** One route group's policy statements that name `action`. */
  function statementsWith(group: string, action: string): PolicyStatementJson[] {
    const document = JSON.parse(policyOf(group)) as { Statement: PolicyStatementJson[] };
    return document.Statement.filter((s) => [s.Action].flat().includes(action));
  }

  it('lets the operator tag a key only as a new seal key: never a key of the stacks, never one tagged for another role', () => {
    // CreateKey itself: the spec and usage of the key asked for, and only the seal tags.
    const creates = statementsWith('operator', 'kms:CreateKey');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.Condition).toEqual({
      StringEquals: {
        'aws:RequestTag/elicense-role': 'seal',
        'aws:RequestTag/elicense-stage': 'small',
        'kms:KeySpec': 'ECC_NIST_P256',
        'kms:KeyUsage': 'SIGN_VERIFY',
      },
      'ForAllValues:StringEquals': { 'aws:TagKeys': SEAL_KEY_TAG_KEYS },
    });
    // CreateKey's tags are authorised as TagResource, whose request context KMS documents no key
    // spec or usage for: required only where present (tagging an existing key), else the grant
    // might never match and no seal key could be created.
    const allows = statementsWith('operator', 'kms:TagResource').filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]!.Condition).toEqual({
      StringEquals: { 'aws:RequestTag/elicense-role': 'seal', 'aws:RequestTag/elicense-stage': 'small' },
      StringEqualsIfExists: { 'kms:KeySpec': 'ECC_NIST_P256', 'kms:KeyUsage': 'SIGN_VERIFY' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': SEAL_KEY_TAG_KEYS },
    });
    const denies = statementsWith('operator', 'kms:TagResource').filter((s) => s.Effect === 'Deny');
    const ownKeys = denies.find((s) => [s.Action].flat().includes('kms:UntagResource'));
    for (const key of ['PlatformSigningKey', 'FieldKey', 'DataKey', 'LogKey']) {
      expect(JSON.stringify(ownKeys?.Resource)).toContain(key);
    }
    expect(ownKeys?.Condition).toBeUndefined();
    expect(denies.map((s) => s.Condition)).toContainEqual({
      Null: { 'aws:ResourceTag/elicense-role': 'false' },
      StringNotEquals: { 'aws:ResourceTag/elicense-role': 'seal' },
    });
    // The platform key says what it is, so no stage's operator can make it a seal key.
    data.hasResourceProperties('AWS::KMS::Key', {
      KeyUsage: 'SIGN_VERIFY',
      Tags: Match.arrayWith([{ Key: 'elicense-role', Value: 'platform' }]),
    });
  });

  it('scopes every seal-key permission to the stage’s own seal keys (stages may share an account)', () => {
    const groups = ['public', 'status', 'issuer', 'retrieval', 'operator', 'holder', 'sealer'];
    const onSealKeys = groups.flatMap((group) =>
      (JSON.parse(policyOf(group)) as { Statement: PolicyStatementJson[] }).Statement.filter(
        (s) =>
          s.Effect === 'Allow' &&
          JSON.stringify(s.Condition ?? {}).includes('"aws:ResourceTag/elicense-role":"seal"'),
      ),
    );
    expect(onSealKeys.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining(['kms:GetPublicKey', 'kms:Sign', 'kms:ScheduleKeyDeletion', 'kms:DisableKey']),
    );
    for (const statement of onSealKeys) {
      expect(statement.Condition?.StringEquals).toEqual({
        'aws:ResourceTag/elicense-role': 'seal',
        'aws:ResourceTag/elicense-stage': 'small',
      });
    }
    for (const action of ['kms:CreateKey', 'kms:TagResource']) {
      for (const allow of statementsWith('operator', action).filter((s) => s.Effect === 'Allow')) {
        expect(allow.Condition?.StringEquals).toMatchObject({ 'aws:RequestTag/elicense-stage': 'small' });
      }
    }
    // Nor may it move another stage's seal key into this stage.
    expect(
      statementsWith('operator', 'kms:TagResource')
        .filter((s) => s.Effect === 'Deny')
        .map((s) => s.Condition),
    ).toContainEqual({
      Null: { 'aws:ResourceTag/elicense-stage': 'false' },
      StringNotEquals: { 'aws:ResourceTag/elicense-stage': 'small' },
    });
  });

  it('creates each seal key with a policy granting every role at once what its tags allow it', () => {
    // The status function and the sealer read the platform key only: no seal key names them.
    const groups = ['public', 'issuer', 'retrieval', 'operator', 'holder'];
    const operator = Object.values(api.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Description === 'elicense small: operator routes',
    );
    // The rendered JSON, with each role ARN written as <its role's logical id>.
    const rendered = operator?.Properties.Environment.Variables.ELICENSE_SEAL_KEY_POLICY as {
      'Fn::Join': [string, unknown[]];
    };
    const text = rendered['Fn::Join'][1]
      .map((part) => {
        if (typeof part === 'string') return part;
        const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        if (getAtt) return `<${getAtt[0]}>`;
        return `<${(part as { Ref: string }).Ref}>`;
      })
      .join('');
    const policy = JSON.parse(text) as {
      Statement: {
        Effect: string;
        Principal: { AWS: string | string[] };
        Action: string;
        Resource: string;
      }[];
    };
    // KMS's default account statement, so IAM policies stay in force and the key manageable.
    expect(policy.Statement[0]).toEqual({
      Sid: 'AccountIamPolicies',
      Effect: 'Allow',
      // The stage's region is known at synth, so its partition is written out (FEATURE_FLAGS).
      Principal: { AWS: 'arn:aws-cn:iam::<AWS::AccountId>:root' },
      Action: 'kms:*',
      Resource: '*',
    });
    const granted = new Map<string, string[]>();
    for (const statement of policy.Statement.slice(1)) {
      for (const role of [statement.Principal.AWS].flat()) {
        granted.set(role, [...(granted.get(role) ?? []), statement.Action].sort());
      }
    }
    const roleOf = (group: string) =>
      Object.keys(api.findResources('AWS::IAM::Role')).find((id) =>
        id.startsWith(`${group[0]!.toUpperCase()}${group.slice(1)}FunctionRole`),
      );
    for (const group of groups) {
      const byTag = statementsWithTag(group).flatMap((s) => [s.Action].flat());
      expect(granted.get(`<${roleOf(group)}>`), group).toEqual(byTag.sort());
    }
    expect(granted.get(`<${roleOf('issuer')}>`)).toContain('kms:Sign');
    expect(granted.get(`<${roleOf('public')}>`)).toEqual(['kms:GetPublicKey']);
    // Only the operator withdraws a seal key (kms:DisableKey), by its tags and by the key policy.
    expect(granted.get(`<${roleOf('operator')}>`)).toContain('kms:DisableKey');
    expect(
      [...granted].filter(([, actions]) => actions.includes('kms:DisableKey')).map(([role]) => role),
    ).toEqual([`<${roleOf('operator')}>`]);
    expect(granted.size).toBe(groups.length);
    for (const group of ['status', 'sealer']) expect(granted.has(`<${roleOf(group)}>`), group).toBe(false);

    // Lambda refuses an environment over 4 KB (names and values). Every value not known at synth
    // is counted at the longest it can be: an IAM role ARN is at most 98 characters in aws-cn
    // (34 + a 64-character name), and any other reference is taken as 128.
    const longest = (value: unknown): number => {
      if (typeof value === 'string') return value.length;
      const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) return join[1].reduce((sum: number, part) => sum + longest(part), 0);
      return (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'] ? 98 : 128;
    };
    const environment = Object.entries(operator?.Properties.Environment.Variables as Record<string, unknown>);
    expect(environment.reduce((sum, [name, value]) => sum + name.length + longest(value), 0)).toBeLessThan(
      4096,
    );
  });

  it('answers what API Gateway answers by itself as problems: an unknown route is a 404, throttling a 429', () => {
    const responses = Object.values(api.findResources('AWS::ApiGateway::GatewayResponse')).map(
      (r) => r.Properties as GatewayResponseJson,
    );
    const byType = new Map(responses.map((r) => [r.ResponseType, r]));
    expect(byType.get('MISSING_AUTHENTICATION_TOKEN')?.StatusCode).toBe('404');
    expect(byType.get('THROTTLED')?.StatusCode).toBe('429');
    expect(byType.get('QUOTA_EXCEEDED')?.StatusCode).toBe('429');
    expect(byType.get('REQUEST_TOO_LARGE')?.StatusCode).toBe('413');
    expect(byType.get('WAF_FILTERED')?.StatusCode).toBe('403');
    expect(byType.has('DEFAULT_4XX') && byType.has('DEFAULT_5XX')).toBe(true);
    for (const response of responses) {
      expect(response.ResponseParameters['gatewayresponse.header.Content-Type']).toBe(
        "'application/problem+json'",
      );
      // API Gateway fills in the request id; the rest must already be the problem document.
      const body = JSON.parse(
        response.ResponseTemplates['application/json']!.replace('$context.requestId', 'req-1'),
      ) as Record<string, unknown>;
      const name = String(body.type).replace('urn:elicense:problem:', '');
      expect(problemTypes, response.ResponseType).toHaveProperty(name);
      expect(body.title).toBe(problemTypes[name as keyof typeof problemTypes].title);
      expect(body.requestId).toBe('req-1');
      // A fixed status is the one the problem type names, and the one answered.
      if (response.StatusCode !== undefined) {
        expect(body.status).toBe(Number(response.StatusCode));
        expect(problemTypes[name as keyof typeof problemTypes].status).toBe(body.status);
      } else {
        expect(body).not.toHaveProperty('status');
      }
    }
  });

  interface GatewayResponseJson {
    ResponseType: string;
    StatusCode?: string;
    ResponseParameters: Record<string, string>;
    ResponseTemplates: Record<string, string>;
  }

  /** One group's statements on the stage's seal keys, by their tags. */
  function statementsWithTag(group: string): PolicyStatementJson[] {
    return (JSON.parse(policyOf(group)) as { Statement: PolicyStatementJson[] }).Statement.filter(
      (s) =>
        s.Effect === 'Allow' &&
        JSON.stringify(s.Condition ?? {}).includes('"aws:ResourceTag/elicense-role":"seal"'),
    );
  }

  it('gives the public function public keys only: no decrypt and no sign permission', () => {
    const statements = policyOf('public');
    expect(statements).toContain('kms:GetPublicKey');
    expect(statements).not.toContain('kms:Decrypt');
    expect(statements).not.toContain('kms:Sign');
    expect(statements).toContain('"aws:ResourceTag/elicense-role":"seal"');
  });

  it('lets the public function append audit events and nothing more: no read, update or delete of the log', () => {
    expect(actionsOn('public', 'table/elicense-small-audit"').sort()).toEqual([
      'dynamodb:DescribeTable',
      'dynamodb:PutItem',
    ]);
    expect(policyOf('public')).not.toContain('elicense-small-audit/index');
    for (const table of ['config', 'status-lists', 'audit-seals']) {
      expect(actionsOn('public', `table/elicense-small-${table}"`)).not.toContain('dynamodb:PutItem');
    }
  });

  it('lets no function update, delete or batch-write audit events; only the holder and the sealer read them', () => {
    const audit = 'table/elicense-small-audit"';
    const auditIndexes = 'table/elicense-small-audit/index/*';
    for (const group of ['public', 'issuer', 'retrieval', 'operator']) {
      expect(actionsOn(group, audit).sort(), group).toEqual(['dynamodb:DescribeTable', 'dynamodb:PutItem']);
      expect(policyOf(group), group).not.toContain(auditIndexes);
    }
    // The holder's access history queries the by-license index; it appends its own reads' events.
    expect(actionsOn('holder', audit).sort()).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ].sort(),
    );
    expect(policyOf('holder')).toContain(auditIndexes);
    // The sealer reads every event and writes none.
    expect(actionsOn('sealer', audit)).toContain('dynamodb:Query');
    expect(actionsOn('sealer', audit)).not.toContain('dynamodb:PutItem');
    for (const group of ['public', 'issuer', 'retrieval', 'operator', 'holder', 'sealer']) {
      for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
        expect(actionsOn(group, audit), `${group} ${action}`).not.toContain(action);
      }
    }
  });

  it('lets the status function sign with the platform key, and nothing else sign or decrypt', () => {
    const statements = policyOf('status');
    expect(statements).toContain('kms:Sign');
    expect(statements).not.toContain('kms:Decrypt');
    expect(statements).not.toContain('"aws:ResourceTag/elicense-role":"seal"');
  });

  it('lets the status function and the sealer read the platform key only, never a seal key', () => {
    for (const group of ['status', 'sealer']) {
      expect(statementsWithTag(group), group).toEqual([]);
      const readers = statementsWith(group, 'kms:GetPublicKey');
      expect(
        readers.map((s) => JSON.stringify(s.Resource)),
        group,
      ).toEqual([expect.stringContaining('PlatformSigningKey')]);
    }
  });

  it('lets the agency groups only claim nonces (conditional puts): no read, update or delete', () => {
    for (const group of ['issuer', 'retrieval', 'operator']) {
      expect(actionsOn(group, 'table/elicense-small-nonces"').sort(), group).toEqual([
        'dynamodb:DescribeTable',
        'dynamodb:PutItem',
      ]);
    }
  });

  it('lets the status function get and put signed lists in the public bucket, and never delete or tag them', () => {
    expect(actionsOn('status', 'elicense-small-public-').sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('tells the public function where its tables, keys and public URL are', () => {
    api.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TABLE_CONFIG: Match.anyValue(),
          TABLE_STATUS_LISTS: Match.anyValue(),
          ELICENSE_PUBLIC_BASE_URL: 'https://api.small.test',
          ELICENSE_PLATFORM_KEY_ID: Match.anyValue(),
        }),
      },
    });
  });

  it('fronts the API with WAF and logs access as JSON', () => {
    api.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    api.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'small',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }),
    });
  });

  /** The parts of a synthesized WAF rule statement these tests read. */
  interface WafStatement {
    ManagedRuleGroupStatement?: { RuleActionOverrides?: { Name: string; ActionToUse: object }[] };
    AndStatement?: { Statements: WafStatement[] };
    OrStatement?: { Statements: WafStatement[] };
    NotStatement?: { Statement: WafStatement };
    LabelMatchStatement?: { Key: string };
    RegexMatchStatement?: { RegexString: string };
  }
  interface WafRule {
    Name: string;
    Priority: number;
    Action?: object;
    Statement: WafStatement;
  }

  /** The web ACL's rules, by name. */
  function wafRules(): Map<string, WafRule> {
    const [acl] = Object.values(api.findResources('AWS::WAFv2::WebACL'));
    return new Map((acl!.Properties.Rules as WafRule[]).map((rule) => [rule.Name, rule]));
  }

  const coreOverrides = () =>
    wafRules().get('AWSManagedRulesCommonRuleSet')!.Statement.ManagedRuleGroupStatement!
      .RuleActionOverrides ?? [];

  it('lets request bodies over 8 KB through the WAF (batches, documents, attachments, selfies)', () => {
    expect(coreOverrides()).toContainEqual({ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } });
    // No rule of our own takes the size rule's label up again.
    expect(JSON.stringify([...wafRules().values()])).not.toContain('SizeRestrictions_Body');
  });

  it('blocks what the core rule set finds in a body everywhere except in an attached layout document', () => {
    const bodyRules = ['CrossSiteScripting', 'GenericLFI', 'GenericRFI', 'EC2MetaDataSSRF'];
    expect(
      coreOverrides()
        .map((o) => o.Name)
        .sort(),
    ).toEqual(['SizeRestrictions_BODY', ...bodyRules.map((r) => `${r}_BODY`)].sort());
    for (const o of coreOverrides()) expect(o.ActionToUse).toEqual({ Count: {} });
    const reblock = wafRules().get('CoreRuleSetBodyOutsideDocuments')!;
    expect(reblock.Action).toEqual({ Block: {} });
    expect(reblock.Priority).toBeGreaterThan(wafRules().get('AWSManagedRulesCommonRuleSet')!.Priority);
    const [matched, exempt] = reblock.Statement.AndStatement!.Statements;
    expect(matched!.OrStatement!.Statements.map((s) => s.LabelMatchStatement!.Key).sort()).toEqual(
      bodyRules.map((r) => `awswaf:managed:aws:core-rule-set:${r}_Body`).sort(),
    );
    const pattern = new RegExp(exempt!.NotStatement!.Statement.RegexMatchStatement!.RegexString);
    expect(pattern.test('/small/licenses/L-1/document')).toBe(true);
    expect(pattern.test('/licenses/L-1/document')).toBe(true);
    for (const other of [
      '/licenses/batch',
      '/licenses',
      '/licenses/L-1/document-uploads',
      '/holder/proofings',
    ]) {
      expect(pattern.test(other)).toBe(false);
    }
  });

  it('logs only the requests the WAF blocked, never the URIs of allowed ones (presentation references)', () => {
    api.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      LoggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
          },
        ],
      },
      RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'authorization' } }]),
    });
  });

  it('alarms on the API 5xx rate and p99 latency, every function, and the hot tables, to an encrypted topic', () => {
    const alarms = Object.values(api.findResources('AWS::CloudWatch::Alarm'));
    const descriptions = alarms.map((a) => a.Properties.AlarmDescription as string);
    expect(descriptions).toContain('More than 1% of API requests answered 5xx');
    expect(descriptions).toContain('API p99 latency at or above 3 s');
    for (const group of ['public', 'status', 'issuer', 'retrieval', 'operator', 'holder']) {
      expect(descriptions).toContain(`The ${group} function was throttled`);
      expect(descriptions).toContain(`The ${group} function failed 5 or more times a minute`);
    }
    // The sealer runs once a minute without retries: five failures a minute cannot happen.
    expect(descriptions).toContain('The sealer function was throttled');
    const sealerErrors = alarms.find((a) => a.Properties.AlarmDescription === 'A sealer run failed');
    // One failed run is the most a minute can show, so one failed minute alarms.
    expect(sealerErrors?.Properties).toMatchObject({
      MetricName: 'Errors',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
    });
    for (const table of allTables(stages.small.shardsPerDomain).filter((t) => t.hot)) {
      expect(descriptions).toContain(`DynamoDB throttled requests on ${table.name}`);
    }
    // A minute with reads throttled and no write data (or the reverse) still sums to the reads.
    const auditThrottles = alarms.find(
      (a) => a.Properties.AlarmDescription === 'DynamoDB throttled requests on audit',
    );
    const expression = ((auditThrottles?.Properties.Metrics ?? []) as { Expression?: string }[]).find(
      (m) => m.Expression,
    )?.Expression;
    expect(expression).toMatch(/^FILL\(reads\d+, 0\) \+ FILL\(writes\d+, 0\)$/);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    api.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    api.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('encrypts the alarm topic under a key of the stack that CloudWatch of this account may use', () => {
    // The AWS-managed alias/aws/sns key's policy cannot be changed to let CloudWatch use it: an
    // alarm could never publish to a topic under it.
    const topics = Object.values(api.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const keyRef = topics[0]!.Properties.KmsMasterKeyId as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
    const keyId = keyRef['Fn::GetAtt']?.[0] ?? keyRef.Ref;
    const key = api.findResources('AWS::KMS::Key')[keyId ?? ''];
    expect(key, JSON.stringify(keyRef)).toBeDefined();
    expect(key?.DeletionPolicy).toBe('Retain');
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    const statements = key?.Properties.KeyPolicy.Statement as {
      Principal?: { Service?: unknown };
      Action: string | string[];
      Condition?: unknown;
    }[];
    const forCloudWatch = statements.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect([forCloudWatch?.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(forCloudWatch?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('encrypts every log group, queue, topic, table and bucket', () => {
    const logGroups = Object.values(api.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(6);
    for (const group of logGroups) {
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBe(365);
    }
    // SSE-SQS, not the AWS-managed alias/aws/sqs key: EventBridge sends a rule's failed invocations
    // as events.amazonaws.com, which that key's fixed policy (account principals only) refuses.
    const queues = api.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).length).toBeGreaterThan(0);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
    }
    for (const bucket of Object.values(data.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toBeDefined();
    }
    // Only CloudWatch Logs of this region may use the log key, and only for log groups.
    api.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: { 'Fn::Join': ['', ['logs.cn-north-1.', { Ref: 'AWS::URLSuffix' }]] } },
            Condition: { ArnLike: Match.objectLike({}) },
          }),
        ]),
      },
    });
  });

  it('locks the audit archive in compliance mode by default, for ten years', () => {
    const locked = Object.values(
      data.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
    );
    expect(locked).toHaveLength(1);
    expect(JSON.stringify(locked[0]!.Properties.BucketName)).toContain('elicense-small-audit-archive-');
    data.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3653 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    // A plain delete would lay a marker hiding the locked versions from every listing: refused to all.
    const [lockedId] = Object.keys(
      data.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
    );
    const policies = Object.values(data.findResources('AWS::S3::BucketPolicy')).filter(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: lockedId }),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:DeleteObject' }),
    );
  });

  it('creates no user pool where the stage names an external holder identity provider, and tells the holder function', () => {
    data.resourceCountIs('AWS::Cognito::UserPool', 0);
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense small: holder routes',
      Environment: {
        Variables: Match.objectLike({
          ELICENSE_HOLDER_ISSUER: 'https://id.test',
          ELICENSE_HOLDER_AUDIENCE: 'holder-app',
        }),
      },
    });
  });

  it('gives the holder function its tables, the field key to seal and open, documents, and no sign', () => {
    const statements = policyOf('holder');
    for (const table of ['holders', 'applications', 'grants', 'audit']) {
      expect(actionsOn('holder', `table/elicense-small-${table}"`)).toContain('dynamodb:PutItem');
    }
    for (const table of ['config', 'holder-index', 'license-person-0']) {
      const actions = actionsOn('holder', `table/elicense-small-${table}"`);
      expect(actions).toContain('dynamodb:GetItem');
      expect(actions).not.toContain('dynamodb:PutItem');
    }
    // Application data, proofed holder codes and presentation references are sealed; licenses opened.
    expect(statements).toContain('kms:Decrypt');
    expect(statements).toContain('kms:GenerateDataKey');
    expect(statements).not.toContain('kms:Sign');
    // Application attachments are stored (and removed again when their step is not recorded).
    expect(statements).toContain('s3:PutObject');
  });

  it('lets a function delete items only in the tables its code deletes from, and batch-write in none', () => {
    const noDelete: [string, string[]][] = [
      ['issuer', ['license-person-0', 'holder-index', 'issuer-listing', 'status-lists', 'applications']],
      ['retrieval', ['grants']],
      ['holder', ['grants', 'applications']],
      ['sealer', ['audit-seals']],
    ];
    for (const [group, tables] of noDelete) {
      for (const name of tables) {
        const actions = actionsOn(group, `table/elicense-small-${name}"`);
        expect(actions, `${group} on ${name}`).toEqual(
          expect.arrayContaining([
            'dynamodb:GetItem',
            'dynamodb:Query',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ]),
        );
        expect(actions, `${group} on ${name}`).not.toContain('dynamodb:DeleteItem');
      }
    }
    // Powertools idempotency deletes a record whose request failed; the holder unlocks proofing
    // and consumes device-key challenges; the operator drops catalog links.
    const deletes: [string, string][] = [
      ['issuer', 'idempotency'],
      ['holder', 'holders'],
      ['operator', 'config'],
    ];
    for (const [group, name] of deletes) {
      expect(actionsOn(group, `table/elicense-small-${name}"`), `${group} on ${name}`).toContain(
        'dynamodb:DeleteItem',
      );
    }
    for (const group of ['public', 'status', 'issuer', 'retrieval', 'operator', 'holder', 'sealer']) {
      expect(policyOf(group)).not.toContain('dynamodb:BatchWriteItem');
    }
  });

  it('lets the holder put, read and delete documents but not tag them (it presigns no upload)', () => {
    const onDocuments = actionsOn('holder', 'elicense-small-documents-');
    expect(onDocuments).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:DeleteObject']));
    expect(onDocuments.filter((a) => a.includes('Tagging'))).toEqual([]);
    // The issuer does: a presigned upload is tagged pending until it is verified.
    expect(actionsOn('issuer', 'elicense-small-documents-')).toEqual(
      expect.arrayContaining(['s3:PutObjectTagging', 's3:DeleteObjectTagging']),
    );
  });

  it('lets the issuer sign only with keys tagged as agency seals, never with the platform key', () => {
    const document = JSON.parse(policyOf('issuer')) as {
      Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    };
    const signing = document.Statement.filter((s) => [s.Action].flat().includes('kms:Sign'));
    expect(signing).toHaveLength(1);
    expect(signing[0]!.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/elicense-role': 'seal', 'aws:ResourceTag/elicense-stage': 'small' },
    });
    expect(policyOf('issuer')).toContain('elicense-small-applications');
    // Reads holders' device keys (cnf), never writes them.
    expect(actionsOn('issuer', 'table/elicense-small-holders"')).toContain('dynamodb:GetItem');
    expect(actionsOn('issuer', 'table/elicense-small-holders"')).not.toContain('dynamodb:PutItem');
  });

  it('lets EventBridge deliver each scheduled rule’s failed invocations to its dead-letter queue, by one statement per queue', () => {
    const rules = Object.values(api.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(5); // the sealer's, one per seal group (4 by default), and the sweeper's
    const queues = api.findResources('AWS::SQS::Queue');
    const policies = Object.values(api.findResources('AWS::SQS::QueuePolicy'));
    for (const rule of rules) {
      const queueId = rule.Properties.Targets[0].DeadLetterConfig.Arn['Fn::GetAtt'][0] as string;
      // EventBridge sends as events.amazonaws.com: the queue policy names it, and the queue's
      // encryption must not be a key whose policy cannot (alias/aws/sqs).
      expect(queues[queueId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
      expect(queues[queueId]!.Properties.KmsMasterKeyId).toBeUndefined();
      const sends = policies
        .filter((p) => JSON.stringify(p.Properties.Queues).includes(queueId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter(
          (st: { Principal?: { Service?: string } }) => st.Principal?.Service === 'events.amazonaws.com',
        );
      // One statement for all of the queue's rules (SQS takes 20 statements and 8 KB at most),
      // on their name prefix, which this rule's name has.
      expect(sends).toHaveLength(1);
      expect(sends[0].Action).toBe('sqs:SendMessage');
      const [, prefix] = /:rule\/([a-z0-9_-]+)\*"/.exec(
        JSON.stringify(sends[0].Condition.ArnLike['aws:SourceArn']),
      )!;
      expect(rule.Properties.Name).toMatch(new RegExp(`^${prefix}\\d+$`));
    }
    // Each queue's prefix names its own function's rules only.
    expect(rules.map((r) => r.Properties.Name).sort()).toEqual([
      'elicense-small_document-sweeper-0',
      'elicense-small_sealer-0',
      'elicense-small_sealer-1',
      'elicense-small_sealer-2',
      'elicense-small_sealer-3',
    ]);
  });

  it('runs the audit sealer every minute for each of the stage’s 4 seal groups (the default), with the platform key, appending to the archive without delete', () => {
    expect(sealerRules(api, 'small')).toEqual(
      [0, 1, 2, 3].map((group) => ({
        description: `elicense small: run the audit sealer for seal group ${group} of 4`,
        schedule: 'rate(1 minute)',
        input: { group },
        retries: 0,
        deadLetters: true,
      })),
    );
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense small: audit sealer (scheduled)',
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      // Two per seal group: a group's runs may overlap.
      ReservedConcurrentExecutions: 8,
      // One whole vCPU: one chain is sealed at one core's pace.
      MemorySize: 1769,
      Environment: {
        Variables: Match.objectLike({
          TABLE_AUDIT: 'elicense-small-audit',
          TABLE_AUDIT_SEALS: 'elicense-small-audit-seals',
          BUCKET_AUDIT_ARCHIVE: Match.anyValue(),
          ELICENSE_PLATFORM_KEY_ID: Match.anyValue(),
          ELICENSE_AUDIT_SEAL_GROUPS: '4',
        }),
      },
    });
    // The health answer reads every group's chain head.
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense small: public routes',
      Environment: { Variables: Match.objectLike({ ELICENSE_AUDIT_SEAL_GROUPS: '4' }) },
    });
    const statements = policyOf('sealer');
    expect(statements).toContain('kms:Sign');
    expect(statements).toContain('s3:PutObject');
    expect(statements).not.toContain('s3:DeleteObject');
    expect(actionsOn('sealer', 'table/elicense-small-audit"')).not.toContain('dynamodb:PutItem');
    expect(actionsOn('sealer', 'table/elicense-small-audit-seals"')).toContain('dynamodb:PutItem');
  });

  it('sweeps unheld documents daily: lists the bucket, reads metadata and deletes under documents/ only, no key, reads licenses and applications’ attachment lists, appends events', () => {
    api.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'elicense small: sweep of documents nothing holds (scheduled)',
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          TABLE_AUDIT: 'elicense-small-audit',
          TABLE_CONFIG: 'elicense-small-config',
          TABLE_APPLICATIONS: 'elicense-small-applications',
          BUCKET_DOCUMENTS: Match.anyValue(),
          ELICENSE_SHARDS_PER_DOMAIN: Match.anyValue(),
        }),
      },
    });
    const document = JSON.parse(policyOf('documentSweeper')) as { Statement: PolicyStatementJson[] };
    const onBucket = document.Statement.filter((s) => JSON.stringify(s.Resource).includes(':s3:::'));
    expect(onBucket.map((s) => ({ Action: s.Action, Condition: s.Condition }))).toEqual([
      // No s3:prefix condition: the HeadObject of a document removed meanwhile must answer 404
      // ("gone"), which S3 gives only to a caller allowed s3:ListBucket on the bucket.
      { Action: 's3:ListBucket', Condition: undefined },
      { Action: ['s3:GetObject', 's3:DeleteObject'], Condition: undefined },
    ]);
    expect(JSON.stringify(onBucket[1]!.Resource)).toMatch(/elicense-small-documents-.*\/documents\/\*"/);
    // HeadObject of an SSE-KMS object needs no key: the sweeper never can read a document's bytes.
    const actions = document.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([]);
    expect(actions).not.toContain('s3:PutObject');
    for (const shard of ['person-0', 'legal-entity-0']) {
      const onLicenses = actionsOn('documentSweeper', `table/elicense-small-license-${shard}"`);
      expect(onLicenses).toContain('dynamodb:Query');
      expect(onLicenses).not.toContain('dynamodb:PutItem');
    }
    expect(actionsOn('documentSweeper', 'table/elicense-small-audit"')).toEqual([
      'dynamodb:DescribeTable',
      'dynamodb:PutItem',
    ]);
    expect(policyOf('documentSweeper')).not.toContain('holder-index');
    // Of applications, one GetItem naming the key, type and attachment list only: never the
    // sealed content (nor all attributes, which a read naming none asks for), nor the indexes.
    const onApplications = document.Statement.filter((s) =>
      JSON.stringify(s.Resource).includes('table/elicense-small-applications'),
    );
    expect(onApplications).toHaveLength(1);
    expect(onApplications[0]).toMatchObject({
      Action: 'dynamodb:GetItem',
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'typeCode', 'attachments'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
    expect(JSON.stringify(onApplications[0]!.Resource)).not.toContain('/index/');
    const alarms = Object.values(api.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    // A daily run fails once a day at most: its dead letter, visible until handled, is what alarms.
    expect(
      alarms.find(
        (a) => a.AlarmDescription === 'A document sweep run failed and its event is in the dead-letter queue',
      ),
    ).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
  });

  it('alarms on sealer lag (missing data breaching), dead letters and KMS use against its quota', () => {
    const alarms = Object.values(api.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const lag = alarms.find((a) => String(a.AlarmDescription).startsWith('The oldest unsealed audit event'));
    expect(lag).toMatchObject({
      MetricName: 'AuditSealLagSeconds',
      Namespace: 'elicense',
      // Every seal group's run publishes the one metric: the slowest group decides.
      Statistic: 'Maximum',
      TreatMissingData: 'breaching',
    });
    // The stage's own sealer only: stages may share an account and region.
    expect(lag?.Dimensions).toEqual([
      { Name: 'service', Value: 'elicense' },
      { Name: 'stage', Value: 'small' },
    ]);
    // Sealed events gone from the log, seen past a chain's head once (the run then seals past it).
    const mismatch = alarms.find((a) => a.MetricName === 'AuditArchiveMismatches');
    expect(mismatch).toMatchObject({
      Namespace: 'elicense',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(mismatch?.Dimensions).toEqual(lag?.Dimensions);
    const dlq = alarms.find((a) => String(a.AlarmDescription).includes('dead-letter queue'));
    expect(dlq).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    // KMS publishes its cryptographic calls in AWS/Usage under one Resource per shared quota, not
    // per operation: a Resource named after an operation (Sign, Decrypt) has no data, ever.
    const kmsQuotaAlarms = alarms.filter((a) => String(a.AlarmDescription).startsWith('KMS '));
    expect(kmsQuotaAlarms).toHaveLength(2);
    for (const resource of ['CryptographicOperationsSymmetric', 'CryptographicOperationsEcc']) {
      const quota = kmsQuotaAlarms.find((a) => JSON.stringify(a.Metrics).includes(`"Value":"${resource}"`));
      const metrics = quota?.Metrics as {
        Id: string;
        Expression?: string;
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] };
          Stat: string;
        };
      }[];
      const usage = metrics.find((m) => m.MetricStat);
      expect(usage?.MetricStat).toMatchObject({
        Metric: { Namespace: 'AWS/Usage', MetricName: 'CallCount' },
        Stat: 'Sum',
      });
      expect(usage?.MetricStat?.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'Service', Value: 'KMS' },
          { Name: 'Type', Value: 'API' },
          { Name: 'Resource', Value: resource },
          { Name: 'Class', Value: 'None' },
        ]),
      );
      expect(metrics.find((m) => m.Expression)?.Expression).toBe(
        `100 * (${usage?.Id} / 60) / SERVICE_QUOTA(${usage?.Id})`,
      );
      // A minute without calls publishes nothing: that is no use of the quota.
      expect(quota).toMatchObject({ Threshold: 80, TreatMissingData: 'notBreaching' });
    }
    expect(alarms.map((a) => a.AlarmDescription)).toContain('The sealer function was throttled');
  });

  it('logs WAF decisions with the Authorization header, the path and the query redacted', () => {
    api.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: Match.arrayWith([
        { UriPath: {} },
        { QueryString: {} },
        { SingleHeader: { Name: 'authorization' } },
      ]),
    });
    api.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: 'aws-waf-logs-elicense-small' });
  });

  it('keeps no WAF request samples (they hold every header and URI, redaction aside), on the ACL or any rule', () => {
    const [acl] = Object.values(api.findResources('AWS::WAFv2::WebACL'));
    const configs = [
      acl!.Properties.VisibilityConfig,
      ...acl!.Properties.Rules.map((rule: { VisibilityConfig: unknown }) => rule.VisibilityConfig),
    ];
    expect(configs.length).toBeGreaterThan(1);
    for (const config of configs) expect(config).toMatchObject({ SampledRequestsEnabled: false });
  });

  it('traces no request for a presentation: its URL carries a live bearer reference', () => {
    api.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: {
        RuleName: 'eli-small-norefs',
        FixedRate: 0,
        ReservoirSize: 0,
        ServiceName: 'elicense-small/small',
        URLPath: '*/presentations/*',
        Priority: 1,
      },
    });
  });

  it('outputs the API, JWKS and status-list URLs', () => {
    api.hasOutput('JwksUrl', { Value: 'https://api.small.test/.well-known/jwks.json' });
    api.hasOutput('StatusListBaseUrl', { Value: 'https://api.small.test/status-lists/' });
    api.hasOutput('ApiUrl', Match.anyValue());
    data.hasOutput('FieldKeyArn', Match.anyValue());
  });

  it('serves every route of the route table', () => {
    api.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'health' });
    api.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', OperationName: 'getHealth' });
  });

  it('lets API Gateway invoke each function by one permission for the whole API (a function’s policy is capped at 20 KB)', () => {
    const permissions = Object.values(api.findResources('AWS::Lambda::Permission')).filter(
      (p) => (p.Properties as { Principal: string }).Principal === 'apigateway.amazonaws.com',
    );
    const perFunction = new Map<string, number>();
    for (const p of permissions) {
      const target = JSON.stringify((p.Properties as { FunctionName: unknown }).FunctionName);
      perFunction.set(target, (perFunction.get(target) ?? 0) + 1);
    }
    // Every route group's function (holder, issuer, retrieval, operator, public, status…), once each.
    expect(perFunction.size).toBeGreaterThanOrEqual(5);
    expect([...perFunction.values()].every((n) => n === 1)).toBe(true);
    for (const p of permissions) {
      expect(JSON.stringify((p.Properties as { SourceArn: unknown }).SourceArn)).toContain('/*/*/*');
    }
  });

  it('has no development OIDC issuer: holders sign in with the stage’s identity provider only', () => {
    const paths = Object.values(api.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r.Properties as { PathPart: string }).PathPart,
    );
    expect(paths).toContain('holder');
    expect(paths).not.toContain('dev-oidc');
    expect(JSON.stringify(api.toJSON())).not.toContain('dev-oidc');
  });
});

describe('stage configuration', () => {
  it('shards license tables per stage', () => {
    const large = createApp({ context: { stage: 'large', stages, ...noBundling } });
    const template = Template.fromStack(large.stateful);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', allTables(stages.large.shardsPerDomain).length);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'elicense-large-license-person-7',
    });
  });

  it('refuses at synth shard counts whose table variables would pass Lambda’s 4 KB environment limit', () => {
    // Each license shard is a TABLE_LICENSE_* variable of the issuer, retrieval and holder
    // functions; CloudFormation would fail the deploy, after the data stack was made.
    const crowded = { ...stages.small, shardsPerDomain: { person: 40, 'legal-entity': 20 } };
    const built = createApp({ context: { stage: 'crowded', stages: { crowded }, ...noBundling } });
    expect(() => built.app.synth()).toThrow(
      /stages\.crowded\.shardsPerDomain: .*environment of \d+ bytes .*over Lambda's 4 KB/,
    );
  });

  it('fails synth naming the bad field', () => {
    expect(() =>
      createApp({
        context: {
          stage: 'bad',
          stages: {
            bad: {
              region: 'cn-north-1',
              publicBaseUrl: 'https://api.bad.test',
              shardsPerDomain: { person: 0 },
            },
          },
        },
      }),
    ).toThrow(/stages\.bad\.shardsPerDomain\.person/);
    expect(() => createApp({ context: { stage: 'missing', stages } })).toThrow(/unknown stage 'missing'/);
    const greedy = {
      ...stages.small,
      reservedConcurrency: { public: 500, status: 20, issuer: 300, retrieval: 400, operator: 5, holder: 1 },
    };
    expect(() => createApp({ context: { stage: 'greedy', stages: { greedy } } })).toThrow(
      /leave at least 100/,
    );
    // 892 for the route groups, the sealer's 8 (2 for each of the default 4 seal groups) and the
    // document sweeper's 1 leave 99; one fewer for the holders leaves 100.
    const reservedConcurrency = {
      public: 200,
      status: 20,
      issuer: 100,
      retrieval: 400,
      operator: 5,
      holder: 167,
    };
    const tight = { ...stages.small, reservedConcurrency };
    expect(() => createApp({ context: { stage: 'tight', stages: { tight } } })).toThrow(
      /stages\.tight\.reservedConcurrency: reserved concurrency of the route groups with the sealer's 8 \(2 for each of 4 seal groups\) and the document sweeper's 1 is 901: it must leave at least 100 of the default 1,000 unreserved/,
    );
    const fits = { ...stages.small, reservedConcurrency: { ...reservedConcurrency, holder: 166 } };
    expect(loadStageConfig({ stage: 'fits', stages: { fits } }).reservedConcurrency.holder).toBe(166);
  });

  it('offers the seal-group counts that divide the 32 audit shards, 4 by default, and refuses any other naming the field', () => {
    const load = (auditSealGroups?: unknown, reservedConcurrency?: object) =>
      loadStageConfig({
        stage: 'sealed',
        stages: { sealed: { ...stages.small, auditSealGroups, reservedConcurrency } },
      }).auditSealGroups;
    expect(load()).toBe(4);
    // Below the defaults' route-group reservations: 32 groups reserve 64 for the sealer.
    const modest = { public: 200, status: 20, issuer: 100, retrieval: 300, operator: 5, holder: 150 };
    for (const count of [1, 2, 4, 8, 16, 32]) expect(load(count, modest)).toBe(count);
    for (const refused of [3, 0, 64, '4']) {
      expect(() => load(refused)).toThrow(
        `invalid stage configuration — stages.sealed.auditSealGroups: expected a seal-group count of 1, 2, 4, 8, 16, 32 (a divisor of the 32 audit shards), found ${JSON.stringify(refused)}`,
      );
    }
    // At the defaults' route-group reservations (875), 32 groups' 64 and the sweeper's 1 leave 60.
    expect(() => load(32)).toThrow(
      /the sealer's 64 \(2 for each of 32 seal groups\) .* is 940: it must leave at least 100/,
    );
  });

  it.each([1, 32] as const)(
    'runs the sealer once a minute for each of %i seal groups, reserving two runs for each',
    (count) => {
      const stage = `g${count}`;
      // Room for 32 groups' 64: the defaults' route groups reserve 875.
      const reservedConcurrency = {
        public: 200,
        status: 20,
        issuer: 100,
        retrieval: 300,
        operator: 5,
        holder: 150,
      };
      const config = { ...stages.small, auditSealGroups: count, reservedConcurrency };
      const built = createApp({ context: { stage, stages: { [stage]: config }, ...noBundling } });
      const api = Template.fromStack(built.stateless);
      expect(sealerRules(api, stage)).toEqual(
        Array.from({ length: count }, (_, group) => ({
          description: `elicense ${stage}: run the audit sealer for seal group ${group} of ${count}`,
          schedule: 'rate(1 minute)',
          input: { group },
          retries: 0,
          deadLetters: true,
        })),
      );
      api.hasResourceProperties('AWS::Lambda::Function', {
        Description: `elicense ${stage}: audit sealer (scheduled)`,
        ReservedConcurrentExecutions: 2 * count,
        Environment: { Variables: Match.objectLike({ ELICENSE_AUDIT_SEAL_GROUPS: String(count) }) },
      });
      api.hasResourceProperties('AWS::Lambda::Function', {
        Description: `elicense ${stage}: public routes`,
        Environment: { Variables: Match.objectLike({ ELICENSE_AUDIT_SEAL_GROUPS: String(count) }) },
      });
      // However many rules, their dead-letter queue's policy stays within SQS's 20 statements.
      for (const policy of Object.values(api.findResources('AWS::SQS::QueuePolicy'))) {
        expect(policy.Properties.PolicyDocument.Statement.length).toBeLessThanOrEqual(2);
      }
    },
  );
});

describe('cdk-nag', () => {
  it('stops synth on an unacknowledged finding', () => {
    const app = new App();
    const stack = new Stack(app, 'Unsafe');
    new Bucket(stack, 'Plain'); // no TLS enforcement, no access logs
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

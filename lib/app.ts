import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { loadStageConfig, type StageConfig } from './stage-config.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface ElicenseApp {
  app: App;
  config: StageConfig;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/**
 * The CDK feature flags the app is built with. Here rather than in cdk.json, so that the infra
 * tests, which build the app without the CLI, assert on the very template `cdk deploy` sends
 * (they did not while the flags lived in cdk.json: partition literals and cross-stack exports
 * differed). Context given on the command line still overrides them.
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
  '@aws-cdk/aws-apigateway:disableCloudWatchRole': false,
  '@aws-cdk/core:stackRelativeExports': true,
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  // S3 server access logs are delivered under a bucket policy naming the logging service and the
  // source buckets, not through the LogDeliveryWrite ACL: the log bucket can then disable ACLs
  // altogether (ObjectOwnership BucketOwnerEnforced, Security Hub S3.12).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

/** Builds the CDK app of one stage; shared by bin/elicense.ts and the infra tests. */
export function createApp(options: { context?: Record<string, unknown>; outdir?: string } = {}): ElicenseApp {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: { ...FEATURE_FLAGS, ...options.context },
  });
  const config = loadStageConfig(
    { stage: app.node.tryGetContext('stage'), stages: app.node.tryGetContext('stages') },
    process.env,
  );
  const env =
    config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const stateful = new StatefulStack(app, `elicense-${config.stage}-data`, { config, env });
  const stateless = new StatelessStack(app, `elicense-${config.stage}-api`, { config, data: stateful, env });
  Tags.of(app).add('project', 'elicense');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new NIST80053R5Checks(app, { verbose: true }),
  );
  return { app, config, stateful, stateless };
}

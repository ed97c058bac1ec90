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

/** Builds the CDK app of one stage; shared by bin/elicense.ts and the infra tests. */
export function createApp(options: { context?: Record<string, unknown>; outdir?: string } = {}): ElicenseApp {
  const app = new App({ ...(options.outdir ? { outdir: options.outdir } : {}), context: options.context });
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

// CDK app entry: `npx cdk synth -c stage=<name>` (stages are defined in cdk.json).
import { createApp } from '../lib/app.ts';

createApp().app.synth();

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerEntry, routeGroups } from '#http/routes.ts';
import { createApp } from '#lib/app.ts';

// Every function of the stack starts with the environment the stack gives it: each handler module
// is imported in a child process with exactly the variables of its function in the template
// (CloudFormation references replaced by placeholders), as a Lambda container does at a cold
// start. A handler that reads a table, bucket or setting its function is not bound to fails its
// import with "not bound to this function" — a container that would never start on AWS.
const repository = resolve(import.meta.dirname, '..', '..');
const stages = {
  small: {
    region: 'cn-north-1',
    publicBaseUrl: 'https://api.small.test',
    shardsPerDomain: { person: 2, 'legal-entity': 1 },
    holderIdentity: { kind: 'oidc', issuer: 'https://id.test', audience: 'holder-app' },
    // Made once after the first deploy (README, Deploying, step 3); without it the functions
    // that look holders up refuse to start, by design.
    blindIndexKeyBlob: Buffer.from('a KMS ciphertext of the blind-index key').toString('base64'),
    // The holder function's face-match provider starts with its bucket and threshold.
    holderProofing: { faceMatch: { referencePhotoBucket: 'gov-id-photos', similarityThreshold: 92 } },
    // The operator function then also starts with the usage plan's name (usage keys on AWS).
    agencyUsagePlan: { enabled: true },
  },
};

let functions: { description: string; variables: Record<string, string> }[];

beforeAll(() => {
  const built = createApp({ context: { stage: 'small', stages, 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(built.stateless).findResources('AWS::Lambda::Function');
  functions = Object.values(template).map((resource) => {
    const properties = resource.Properties as {
      Description?: string;
      Environment?: { Variables?: Record<string, unknown> };
    };
    const variables = Object.fromEntries(
      Object.entries(properties.Environment?.Variables ?? {}).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : placeholder(name),
      ]),
    );
    return { description: properties.Description ?? '', variables };
  });
});

/** A value for a variable the template resolves at deploy time (an ARN, a pool id). */
function placeholder(name: string): string {
  if (name.endsWith('_ARN') || name.endsWith('_KEY_ID')) {
    return 'arn:aws-cn:kms:cn-north-1:123456789012:key/00000000-0000-0000-0000-000000000000';
  }
  if (name.startsWith('BUCKET_')) return 'elicense-small-bucket-123456789012';
  return 'deploy-time-value';
}

function importWith(entry: string, variables: Record<string, string>): Promise<string> {
  const script = `await import(${JSON.stringify(pathToFileURL(resolve(repository, entry)).href)}); console.log('loaded');`;
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: repository,
        timeout: 60_000,
        // Only what Lambda sets besides the function's own variables.
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'cn-north-1', ...variables },
      },
      (error, stdout, stderr) => done(error ? `${stdout}${stderr}` : stdout.trim()),
    );
  });
}

describe('each function starts with the environment the stack gives it', () => {
  const entries = [
    ...routeGroups.map((group) => ({ label: `${group} routes`, entry: handlerEntry(group) })),
    { label: 'audit sealer (scheduled)', entry: 'functions/handlers/sealer.ts' },
    {
      label: 'sweep of documents nothing holds (scheduled)',
      entry: 'functions/handlers/document-sweeper.ts',
    },
  ];
  for (const { label, entry } of entries) {
    it(`elicense small: ${label}`, async () => {
      const fn = functions.find((f) => f.description === `elicense small: ${label}`);
      expect(fn, `a function described as "elicense small: ${label}"`).toBeDefined();
      expect(await importWith(entry, fn!.variables)).toBe('loaded');
    });
  }
});

// README, Deploying, step 3: an API stack deployed before its blind-index key blob still runs its
// holder and retrieval functions; only the requests that look a holder up fail.
describe('a function that looks holders up on some requests only starts without the blind-index key blob', () => {
  for (const group of ['holder', 'retrieval'] as const) {
    it(`elicense small: ${group} routes`, async () => {
      const fn = functions.find((f) => f.description === `elicense small: ${group} routes`);
      expect(fn, `a function described as "elicense small: ${group} routes"`).toBeDefined();
      const { ELICENSE_BLIND_INDEX_KEY_BLOB: blob, ...variables } = fn!.variables;
      expect(blob).toBeDefined();
      expect(await importWith(handlerEntry(group), variables)).toBe('loaded');
    });
  }
});

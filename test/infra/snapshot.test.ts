import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createApp } from '#lib/app.ts';

// The synthesised templates of a fixed stage, pinned: any change to the infrastructure shows
// up here as a diff a reviewer reads (update with `npx vitest run --project infra -u`).
// Asset hashes change with every line of handler code, so they are masked.
const stages = {
  snap: {
    region: 'cn-north-1',
    publicBaseUrl: 'https://api.snap.test',
    shardsPerDomain: { person: 2, 'legal-entity': 1 },
    holderIdentity: { kind: 'oidc', issuer: 'https://id.snap.test', audience: 'holder-app' },
  },
};

function masked(template: object): unknown {
  return JSON.parse(
    JSON.stringify(template)
      .replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>')
      .replace(/"cdk-[a-z0-9]+-assets-/g, '"cdk-<qualifier>-assets-'),
  );
}

describe('the templates of a fixed stage', () => {
  const { stateful, stateless } = createApp({ context: { stage: 'snap', stages } });

  it('data stack', () => {
    expect(masked(Template.fromStack(stateful).toJSON())).toMatchSnapshot();
  });

  it('API stack', () => {
    expect(masked(Template.fromStack(stateless).toJSON())).toMatchSnapshot();
  });
});

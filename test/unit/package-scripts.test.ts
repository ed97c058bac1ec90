import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const { scripts } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

// npm runs a script through `sh -c` (dash on Debian), which dies on SIGTERM without passing it
// on: `kill -TERM <npm pid>` would leave `node dev/start.ts` and its emulators running. With
// `exec`, the shell becomes with-node.sh, which execs the command: the signal reaches it.
describe('package.json scripts', () => {
  const throughWithNode = Object.entries(scripts).filter(([, line]) => line.includes('scripts/with-node.sh'));

  it('has scripts that go through with-node.sh', () => {
    expect(throughWithNode.map(([name]) => name)).toContain('start');
  });

  it.each(throughWithNode)('%s replaces npm’s shell instead of running under it', (_name, line) => {
    expect(line).toMatch(/^exec bash scripts\/with-node\.sh /);
  });

  it('with-node.sh replaces itself by the command', () => {
    const script = readFileSync(join(import.meta.dirname, '../../scripts/with-node.sh'), 'utf8');
    expect(script.trimEnd().split('\n').at(-1)).toBe('exec "$@"');
  });
});

// No emulator outlives the process that started it, however that process ends: each runs
// under a tether that takes its process group down when the parent's pipe closes.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { isAlive, survivors } from './processes.ts';

const HOLDER = fileURLToPath(new URL('./fixtures/hold-emulators.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts the holder (always with our own emulators) and resolves with the emulator pids and its output lines. */
async function startHolder(): Promise<{ child: ChildProcess; pids: number[]; lines: AsyncIterator<string> }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_ENDPOINT_URL')),
  );
  const child = spawn(process.execPath, [HOLDER], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  if (child.stdout === null) throw new Error('the holder has no stdout pipe');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error('the holder exited before printing its emulator pids');
  const { pids } = JSON.parse(first.value) as { pids: number[] };
  return { child, pids, lines };
}

describe('emulator processes', () => {
  test.each(['SIGKILL', 'SIGTERM', 'SIGINT'] as const)(
    'die when the process that started them gets %s',
    async (signal) => {
      const { child, pids } = await startHolder();
      expect(pids).toHaveLength(2); // DynamoDB Local's java and moto's python
      expect(pids.every(isAlive)).toBe(true);

      child.kill(signal);
      await once(child, 'exit');

      expect(await survivors(pids, 15_000)).toEqual([]);
    },
  );

  test('are gone as soon as stop() resolves', async () => {
    const { child, pids, lines } = await startHolder();

    child.stdin?.write('stop\n');
    const next = await lines.next();

    expect(next.value).toBe('stopped');
    expect(pids.filter(isAlive)).toEqual([]);
  });
});

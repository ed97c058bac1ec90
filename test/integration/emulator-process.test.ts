// Shared emulator process handling: an emulator that dies or never answers is reported with
// its own last words, and is not left running.

import { describe, expect, test } from 'vitest';
import { EmulatorStartError } from '#dev/emulators/errors.ts';
import { spawnTethered, waitUntilReady } from '#dev/emulators/process.ts';
import { isAlive, survivors } from './processes.ts';

const neverReady = async (): Promise<void> => {
  throw new Error('connection refused');
};

describe('waitUntilReady', () => {
  test('reports the exit status and last output of an emulator that exits before answering', async () => {
    const child = await spawnTethered({
      name: 'fake-emulator',
      command: 'sh',
      args: ['-c', 'echo "starting up"; echo "java.net.BindException: Address already in use" >&2; exit 3'],
    });

    const attempt = waitUntilReady(child, neverReady, { timeoutMs: 30_000, what: 'the fake port' });

    await expect(attempt).rejects.toBeInstanceOf(EmulatorStartError);
    await expect(attempt).rejects.toThrow(
      /fake-emulator: exited \(code 3\) before the fake port answered; last output:\n.*starting up.*BindException/s,
    );
  });

  test('stops an emulator that does not answer in time, and reports its last output and the last probe error', async () => {
    const child = await spawnTethered({
      name: 'silent-emulator',
      command: 'sh',
      args: ['-c', 'echo "listening nowhere" >&2; exec sleep 600'],
    });

    const attempt = waitUntilReady(child, neverReady, { timeoutMs: 500, what: 'the silent port' });

    await expect(attempt).rejects.toThrow(
      /silent-emulator: the silent port did not answer within 0.5 s \(last attempt: connection refused\); last output:\nlistening nowhere/,
    );
    expect(isAlive(child.pid)).toBe(false);
  });
});

describe('spawnTethered', () => {
  test('reports a command that cannot be started', async () => {
    const attempt = spawnTethered({ name: 'missing', command: 'no-such-emulator-binary', args: [] });

    await expect(attempt).rejects.toThrow(/missing: could not start no-such-emulator-binary: .*ENOENT/);
  });

  test('stop() takes down everything the emulator started in its process group', async () => {
    const child = await spawnTethered({
      name: 'forking-emulator',
      command: 'sh',
      // A grandchild that ignores SIGTERM, as a stuck helper process would.
      args: ['-c', `sh -c 'trap "" TERM; echo $$; exec sleep 600' & wait`],
    });
    const grandchild = await new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        const pid = Number(child.outputTail().split('\n')[0]);
        if (pid > 0) {
          clearInterval(poll);
          resolve(pid);
        }
      }, 20);
    });

    await child.stop();

    expect(isAlive(child.pid)).toBe(false);
    // Killed by the tether; reaped by init, which may take a moment.
    expect(await survivors([grandchild], 5_000)).toEqual([]);
  });
});

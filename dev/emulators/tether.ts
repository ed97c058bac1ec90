// Tether: runs one emulator process and ties its life to the parent's.
//
//   node dev/emulators/tether.ts <command> [args...]
//
// The parent spawns this script with a pipe on stdin and an extra pipe on fd 3. The tether
// starts <command> in a process group of its own, reports `{"pid":N}` (or `{"error":"..."}`)
// as one JSON line on fd 3, and kills the whole group when stdin reaches end-of-file or
// errors — which the kernel guarantees however the parent ends, SIGKILL included — or when
// the tether itself gets SIGTERM, SIGINT or SIGHUP. When the emulator exits on its own, the
// tether exits with its status.
//
// Written by hand on purpose: Linux offers PR_SET_PDEATHSIG only through prctl(2), which
// Node cannot call without a native addon, and no maintained npm package ties a child's
// life to its parent's without native code. A parent-side 'exit' handler cannot help
// either: it never runs on SIGKILL. This script is self-contained (node: built-ins only) so
// that it starts fast and never depends on the project's own modules.

import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';

const [command, ...args] = process.argv.slice(2);
const GRACE_MS = 5_000;
const CONTROL_FD = 3;

function report(message: Record<string, unknown>): void {
  try {
    writeSync(CONTROL_FD, `${JSON.stringify(message)}\n`);
  } catch {
    // No control pipe (run by hand, or the parent is already gone): nothing to report to.
  }
}

if (command === undefined) {
  report({ error: 'tether: no command given' });
  process.exit(2);
}

// detached → setsid(): the emulator leads a new session and process group, so that a
// terminal's Ctrl-C reaches only us (we then stop it in order) and one kill(-pgid) reaches
// everything it forked (moto's Python, the JVM's helpers).
const child = spawn(command, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

function killGroup(signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  killGroup('SIGTERM');
  // A JVM flushing to disk may take a moment; after the grace period nothing is spared.
  setTimeout(() => {
    killGroup('SIGKILL');
    process.exit(137);
  }, GRACE_MS).unref();
}

child.once('spawn', () => report({ pid: child.pid }));
child.once('error', (error) => {
  report({ error: `could not start ${command}: ${error.message}` });
  process.exit(127);
});
child.once('exit', (code, signal) => {
  // Leftovers of the group (grandchildren) go with the leader.
  killGroup('SIGKILL');
  process.exit(code ?? (signal === null ? 1 : 128 + signalNumber(signal)));
});

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}

process.stdin.on('data', () => {
  // The parent never writes; reading keeps the pipe flowing so that end-of-file is seen.
});
process.stdin.once('end', stop);
process.stdin.once('close', stop);
process.stdin.once('error', stop);
// `on`, not `once`: a second Ctrl-C must not kill the tether before the group is gone.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);

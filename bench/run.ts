// Runs every bench/*.bench.ts in this one process (one core) and prints their figures:
// a table by default, one JSON object with `--json`. Benchmarks are never part of `npm test`.
// `--only <name>[,<name>…]` runs just those files (`--only sd-jwt-vc,status-list` for the core
// figures without the emulators the storage and API benches start).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** What a benchmark module exports: named figures, each with its unit and optional target. */
export interface Figure {
  value: number;
  unit: string;
  target?: string;
}
export type BenchModule = { run(): Promise<Record<string, Figure>> };

const json = process.argv.includes('--json');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1]?.split(',') : undefined;
if (onlyAt >= 0 && !only?.length) throw new Error('--only needs a list of bench names, e.g. sd-jwt-vc');
const dir = import.meta.dirname;
const all = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
const unknown = only?.filter((name) => !all.includes(`${name}.bench.ts`)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `no bench named ${unknown.join(', ')}; there are ${all.map((f) => f.replace('.bench.ts', '')).join(', ')}`,
  );
}
const files = only ? all.filter((f) => only.includes(f.replace('.bench.ts', ''))) : all;
const figures: Record<string, Figure> = {};
for (const file of files) {
  const mod = (await import(join(dir, file))) as BenchModule;
  Object.assign(figures, await mod.run());
}

if (json) {
  console.log(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.value]))));
} else {
  const rows = Object.entries(figures).map(([name, f]) => [name, format(f.value), f.unit, f.target ?? '']);
  const header = ['figure', 'value', 'unit', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

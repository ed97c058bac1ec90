// Runs the local platform as a stage of its own (`node stage-platform-main.ts <stage> <dataDir>`):
// its own tables (`elicense-<stage>-*`), key vault and demo catalog, on the services the
// environment names. For e2e tests that change the catalog the other suites rely on.
import { startPlatform } from '#dev/platform.ts';

const [stage, dataDir] = process.argv.slice(2);
if (stage === undefined || dataDir === undefined) {
  throw new Error('usage: node stage-platform-main.ts <stage> <data dir>');
}
const log = (line: string) => console.log(`[elicense] ${line}`);
const platform = await startPlatform({ port: 0, dataDir, stage, log });
log(`ready ${JSON.stringify({ url: platform.url })}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await platform.stop();
    process.exit(0);
  });
}

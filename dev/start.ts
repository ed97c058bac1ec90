// `npm start`: the whole platform on this machine. `npm start -- --help` lists the options.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { resetDataDirectory } from './data-dir.ts';
import { startPlatform } from './platform.ts';
import { StartRefused } from './start-refused.ts';

const program = new Command('npm start --')
  .description('Run the elicense platform locally: DynamoDB Local, an S3 server, and the API on localhost.')
  .option('-p, --port <port>', 'HTTP port of the API', parsePort, Number(process.env.PORT ?? 3000))
  .option('--data-dir <dir>', 'where local data persists', resolve(import.meta.dirname, '..', '.elicense'))
  .option('--reset', 'delete the local data before starting', false)
  .option('--bundled', 'serve the esbuild bundles that `cdk deploy` ships instead of the sources', false)
  .parse();

const options = program.opts<{ port: number; dataDir: string; reset: boolean; bundled: boolean }>();
const log = (line: string) => console.log(`[elicense] ${line}`);

const platform = await (async () => {
  try {
    if (options.reset) {
      await resetDataDirectory(options.dataDir);
      log(`cleared ${options.dataDir}`);
    }
    return await startPlatform({
      port: options.port,
      dataDir: options.dataDir,
      bundled: options.bundled,
      log,
    });
  } catch (error) {
    if (!(error instanceof StartRefused)) throw error;
    console.error(`[elicense] ${error.message}`);
    process.exit(2);
  }
})();
log(`API on ${platform.url} (${options.bundled ? 'bundled handlers' : 'handlers from source'})`);
for (const [service, endpoint] of Object.entries(platform.services.endpoints)) {
  if (endpoint) log(`${service}: ${endpoint}`);
}
log(`holder tokens (development OIDC issuer, demo accounts in the README): ${platform.holderIssuer}`);
log(`try: curl ${platform.url}/health — Ctrl-C stops everything`);
// One machine-readable line for whoever started us (the e2e setup reads it).
log(
  `ready ${JSON.stringify({ url: platform.url, holderIssuer: platform.holderIssuer, endpoints: platform.services.endpoints, emulatorPids: platform.services.pids })}`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await platform.stop();
    log('stopped');
    process.exit(0);
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('a port number 0–65535');
  return port;
}

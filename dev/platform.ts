import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUDIT_SEAL_GROUPS_ENV } from '#adapters/aws/audit-seal-groups.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { handlerEntry, type RouteGroup } from '#http/routes.ts';
import { bundleHandler } from '#lib/bundling.ts';
import type { ApiHandler } from '../functions/handlers/observability.ts';
import { type LocalSealer, localSealGroupCount, startLocalSealer } from './audit-sealer.ts';
import { assertSameBaseUrl, localBaseUrl, recordBaseUrl, recordedBaseUrl } from './base-url.ts';
import { privateDataDirectory } from './data-dir.ts';
import { DEMO_AGENCIES } from './demo/catalog.ts';
import { type LocalDocumentSweeper, startLocalDocumentSweeper } from './document-sweeper.ts';
import { type LocalServices, startLocalServices } from './emulators/index.ts';
import { writeLocalEndpoints } from './local-endpoints.ts';
import { DEV_OIDC_PATH, openDevOidcIssuer } from './oidc-issuer.ts';
import { provisionStage } from './provision.ts';
import { seedDemo } from './seed.ts';
import { assertPortFree, createLocalServer, listen, PortTaken } from './server.ts';

const repositoryRoot = resolve(import.meta.dirname, '..');

export interface PlatformOptions {
  /** 0 picks a free port. */
  port: number;
  /** Where DynamoDB Local, the S3 server, the key vault and the demo key files keep their data. */
  dataDir: string;
  /** Serve the esbuild bundles that the CDK stack deploys instead of the sources. */
  bundled?: boolean;
  stage?: string;
  shardsPerDomain?: Record<string, number>;
  log?: (line: string) => void;
}

export interface LocalPlatform {
  url: string;
  port: number;
  services: LocalServices;
  /** Seals the settled audit events now (the in-process sealer also runs on its interval). */
  sealAudit: LocalSealer['sealNow'];
  /** Sweeps documents nothing holds now (the in-process sweep also runs daily). */
  sweepDocuments: LocalDocumentSweeper['sweepNow'];
  /** The development OIDC issuer of holder tokens (never on AWS). */
  holderIssuer: string;
  stop(): Promise<void>;
}

/**
 * The whole platform on one machine: emulators (unless endpoints are given), tables and
 * buckets from the stack's definitions, and the handlers behind a local API Gateway.
 */
export async function startPlatform(options: PlatformOptions): Promise<LocalPlatform> {
  const log = options.log ?? (() => {});
  const stage = options.stage ?? 'local';
  await privateDataDirectory(options.dataDir);
  const recorded = await recordedBaseUrl(options.dataDir);
  assertSameBaseUrl(options.dataDir, recorded, options.port);
  await assertPortFree(options.port).catch((error: unknown) => {
    throw error instanceof PortTaken && recorded !== undefined
      ? new PortTaken(options.port, options.dataDir)
      : error;
  });
  const services = await startLocalServices({
    services: ['dynamodb', 's3'],
    mode: 'platform',
    dataDir: options.dataDir,
    log,
  });
  let server: Server | undefined;
  let sealer: LocalSealer | undefined;
  let sweeper: LocalDocumentSweeper | undefined;
  try {
    const keyVaultDir = join(options.dataDir, 'keys');
    const vault = await openKeyVault(keyVaultDir, log);
    const shardsPerDomain = options.shardsPerDomain ?? { person: 2, 'legal-entity': 2 };
    const bindings = await provisionStage({ stage, shardsPerDomain, env: services.env });
    const auditSealGroups = await localSealGroupCount({
      env: services.env,
      stage,
      sealsTable: bindings.TABLE_AUDIT_SEALS!,
    });
    await seedDemo({
      env: services.env,
      configTable: bindings.TABLE_CONFIG!,
      holderTables: { holders: bindings.TABLE_HOLDERS!, audit: bindings.TABLE_AUDIT! },
      vault,
      dataDir: options.dataDir,
      log,
    });
    // In-process handlers read their configuration from process.env when first imported,
    // exactly as a Lambda container does.
    Object.assign(process.env, services.env, bindings, {
      ELICENSE_SHARDS_PER_DOMAIN: JSON.stringify(shardsPerDomain),
      // The deployed issuer and public functions' catalog age (5 s), unless told otherwise: every
      // handler shares this process, so the other paths' 60 s promise holds a fortiori.
      ELICENSE_CATALOG_MAX_AGE_SECONDS: process.env.ELICENSE_CATALOG_MAX_AGE_SECONDS ?? '5',
      // The handlers' count: the data folder's own, or two (localSealGroupCount).
      [AUDIT_SEAL_GROUPS_ENV]: String(auditSealGroups),
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    const bundleDir = join(options.dataDir, 'bundles');
    let baseUrl = '';
    const oidc = await openDevOidcIssuer({ dataDir: options.dataDir, baseUrl: () => baseUrl });
    server = createLocalServer({
      stage,
      log,
      devRoutes: [{ prefix: DEV_OIDC_PATH, handle: oidc.handle }],
      loadHandler: (group) => (options.bundled ? loadBundled(group, bundleDir) : loadSource(group)),
    });
    const port = await listen(server, options.port);
    const url = localBaseUrl(port);
    baseUrl = url;
    if (recorded === undefined) await recordBaseUrl(options.dataDir, url);
    // Handlers load on their first request, after this: they see the URL they are served at.
    Object.assign(process.env, {
      ELICENSE_PUBLIC_BASE_URL: url,
      ELICENSE_KEY_VAULT_DIR: keyVaultDir,
      ELICENSE_HOLDER_ISSUER: oidc.issuer(),
      ELICENSE_HOLDER_AUDIENCE: oidc.audience,
    });
    await writeLocalEndpoints(options.dataDir, {
      stage,
      url,
      env: services.env,
      keyVaultDir,
      auditSealGroups,
    });
    const localSealer = await startLocalSealer(log);
    sealer = localSealer;
    const documentSweeper = await startLocalDocumentSweeper(log);
    sweeper = documentSweeper;
    const running = server;
    return {
      url,
      port,
      services,
      holderIssuer: oidc.issuer(),
      sealAudit: localSealer.sealNow,
      sweepDocuments: documentSweeper.sweepNow,
      async stop() {
        await documentSweeper.stop();
        await localSealer.stop();
        const closed = new Promise<void>((done) => running.close(() => done()));
        running.closeAllConnections();
        await closed;
        await services.stop();
      },
    };
  } catch (error) {
    await sweeper?.stop();
    await sealer?.stop();
    server?.close();
    await services.stop();
    throw error;
  }
}

/**
 * The local platform's software HSM: created on first start under the data folder (keys
 * sealed under a master key there), opened on every later one — the platform key, the field
 * wrapping key, the blind-index key and a seal key per demo issuing agency.
 */
async function openKeyVault(dir: string, log: (line: string) => void): Promise<LocalKeyVault> {
  const vault = await LocalKeyVault.open({ dir });
  const seals = DEMO_AGENCIES.flatMap((agency) => (agency.sealKey ? [agency.sealKey.keyRef] : []));
  const [platform] = await Promise.all([
    vault.platformKey(),
    vault.fieldWrappingKey(),
    vault.blindIndexKey(),
    ...seals.map((ref) => vault.keyFor(ref)),
  ]);
  log(`key vault ${dir}: platform key ${platform.publicJwk.kid}, ${seals.length} agency seal keys`);
  return vault;
}

async function loadSource(group: RouteGroup): Promise<ApiHandler> {
  const module = (await import(pathToFileURL(join(repositoryRoot, handlerEntry(group))).href)) as {
    handler: ApiHandler;
  };
  return module.handler;
}

async function loadBundled(group: RouteGroup, bundleDir: string): Promise<ApiHandler> {
  const outDir = join(bundleDir, group);
  await rm(outDir, { recursive: true, force: true });
  const file = bundleHandler(handlerEntry(group), outDir);
  const module = (await import(pathToFileURL(file).href)) as { handler: ApiHandler };
  return module.handler;
}

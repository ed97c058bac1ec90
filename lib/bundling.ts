import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

// One bundler for both the CDK stack and `npm start --bundled`: what the local platform
// serves with --bundled is byte for byte what `cdk deploy` uploads. Local esbuild, never Docker.

export const BUNDLE_FILE = 'index.mjs';

const repositoryRoot = resolve(import.meta.dirname, '..');

/** Bundles one handler module (path relative to the repository root) into `outDir/index.mjs`. */
export function bundleHandler(entry: string, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, BUNDLE_FILE);
  buildSync({
    absWorkingDir: repositoryRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // The SDK is bundled rather than taken from the runtime so that the version deployed is
    // the version tested.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    // CommonJS dependencies bundled into an ES module still call require() and read __dirname.
    banner: {
      js: [
        "import { createRequire as __elicenseCreateRequire } from 'node:module';",
        "import { fileURLToPath as __elicenseFileURLToPath } from 'node:url';",
        "import { dirname as __elicenseDirname } from 'node:path';",
        'const require = __elicenseCreateRequire(import.meta.url);',
        'const __filename = __elicenseFileURLToPath(import.meta.url);',
        'const __dirname = __elicenseDirname(__filename);',
      ].join(''),
    },
  });
  return outfile;
}

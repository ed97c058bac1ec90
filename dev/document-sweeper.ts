import type { DaySweep } from '#app/sweep-unheld-documents.ts';

// The sweep of documents nothing holds, on the local platform: the Lambda's own code
// (functions/handlers/document-sweeper.ts) run in-process on an interval instead of by the daily
// EventBridge rule, as the audit sealer is (audit-sealer.ts). The interval is
// ELICENSE_DOCUMENT_SWEEP_INTERVAL_SECONDS (default 86,400: daily; 0: only when asked); one run at
// start makes up for the days a laptop was off. `sweepNow` runs one sweep at once.

export interface LocalDocumentSweeper {
  /** One sweep now (after any sweep in progress). */
  sweepNow(): Promise<DaySweep[]>;
  stop(): Promise<void>;
}

export async function startLocalDocumentSweeper(log: (line: string) => void): Promise<LocalDocumentSweeper> {
  const intervalSeconds = Number(process.env.ELICENSE_DOCUMENT_SWEEP_INTERVAL_SECONDS ?? 86_400);
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0) {
    throw new Error(`expected ELICENSE_DOCUMENT_SWEEP_INTERVAL_SECONDS ≥ 0, found ${intervalSeconds}`);
  }
  // Imported only now: the handler reads its environment when first loaded, as a Lambda does.
  const { sweepDocumentsNow } = await import('#handlers/document-sweeper.ts');
  let running: Promise<DaySweep[]> = Promise.resolve([]);
  const run = (): Promise<DaySweep[]> => {
    running = running.catch(() => []).then(() => sweepDocumentsNow());
    return running;
  };
  const report = () =>
    run().catch((error: unknown) => log(`document sweep failed: ${(error as Error).message}`));
  // setInterval holds at most 2^31 − 1 ms (24.8 days); a longer interval is that.
  const timer =
    intervalSeconds === 0 ? undefined : setInterval(report, Math.min(intervalSeconds * 1000, 2 ** 31 - 1));
  timer?.unref();
  if (intervalSeconds > 0) report();
  log(
    intervalSeconds === 0
      ? 'document sweep: on demand only'
      : `document sweep: now, then every ${intervalSeconds} s`,
  );
  return {
    sweepNow: run,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}

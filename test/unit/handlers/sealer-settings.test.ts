import { describe, expect, it } from 'vitest';
import { parseSealerSettings } from '#handlers/sealer-settings.ts';

describe('parseSealerSettings', () => {
  it('bounds a run by a time budget below the one-minute schedule, with growing batches and a batch cap behind it', () => {
    const settings = parseSealerSettings({});
    expect(settings).toMatchObject({
      settleSeconds: 60,
      batchSize: 1_000,
      maxBatchSize: 20_000,
      runSeconds: 50,
      maxBatchesPerRun: 200,
    });
  });

  it('reads overrides from the environment', () => {
    const settings = parseSealerSettings({
      ELICENSE_AUDIT_SEAL_BATCH_SIZE: '500',
      ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE: '50000',
      ELICENSE_AUDIT_SEAL_RUN_SECONDS: '30',
    });
    expect(settings).toMatchObject({ batchSize: 500, maxBatchSize: 50_000, runSeconds: 30 });
  });

  it('refuses a largest batch below the first, a batch past what memory allows, and a budget near the timeout', () => {
    expect(() =>
      parseSealerSettings({
        ELICENSE_AUDIT_SEAL_BATCH_SIZE: '5000',
        ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE: '2000',
      }),
    ).toThrow(/ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE: expected at least ELICENSE_AUDIT_SEAL_BATCH_SIZE/);
    expect(() => parseSealerSettings({ ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE: '50001' })).toThrow(
      /ELICENSE_AUDIT_SEAL_MAX_BATCH_SIZE/,
    );
    expect(() => parseSealerSettings({ ELICENSE_AUDIT_SEAL_RUN_SECONDS: '121' })).toThrow(
      /ELICENSE_AUDIT_SEAL_RUN_SECONDS/,
    );
  });
});

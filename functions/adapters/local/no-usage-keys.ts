import type { UsageKey, UsageKeys } from '#ports/usage-keys.ts';

/**
 * Usage keys where no usage plan meters agencies: the local platform (no API Gateway, and its
 * server checks no x-api-key) and stages without `agencyUsagePlan`. Issues nothing.
 */
export class NoUsageKeys implements UsageKeys {
  async issue(_agency: string): Promise<UsageKey | undefined> {
    return undefined;
  }
  async list(_agency: string): Promise<string[]> {
    return [];
  }
  async withdraw(_keyId: string): Promise<void> {}
}

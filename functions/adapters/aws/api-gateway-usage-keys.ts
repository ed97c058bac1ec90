import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  NotFoundException,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
} from '@aws-sdk/client-api-gateway';
import type { UsageKey, UsageKeys } from '#ports/usage-keys.ts';

/** No usage plan, or more than one, has the name the stage's plan was given by. */
export class UsagePlanNotFound extends Error {
  constructor(name: string, found: number) {
    super(`expected one usage plan named ${name}, found ${found}`);
    this.name = 'UsagePlanNotFound';
  }
}

export interface ApiGatewayUsageKeysOptions {
  client: APIGatewayClient;
  stage: string;
  /**
   * The stage's usage plan, by id, or by name (found once with GetUsagePlans): the stack can
   * give the operator function only the name, as the plan depends on the function through the
   * API's deployment.
   */
  usagePlan: { id: string } | { name: string };
}

/**
 * Agency usage keys as API Gateway API keys named `elicense-<stage>-<USCC>` on the stage's
 * usage plan. Only this plan's keys are listed and withdrawn: a withdrawn key stays in the
 * account but, on no plan of the API, is refused by API Gateway (its role may not delete keys).
 */
export class ApiGatewayUsageKeys implements UsageKeys {
  readonly #client: APIGatewayClient;
  readonly #stage: string;
  readonly #plan: ApiGatewayUsageKeysOptions['usagePlan'];
  #planId: Promise<string> | undefined;

  constructor(options: ApiGatewayUsageKeysOptions) {
    this.#client = options.client;
    this.#stage = options.stage;
    this.#plan = options.usagePlan;
  }

  /** The name of an agency's keys: one name per agency and stage. */
  keyName(agency: string): string {
    return `elicense-${this.#stage}-${agency}`;
  }

  async issue(agency: string): Promise<UsageKey> {
    const usagePlanId = await this.#usagePlanId();
    const created = await this.#client.send(
      new CreateApiKeyCommand({
        name: this.keyName(agency),
        description: `elicense ${this.#stage}: usage key of agency ${agency}`,
        enabled: true,
      }),
    );
    if (!created.id || !created.value) throw new Error('API Gateway created an API key without id or value');
    await this.#client.send(
      new CreateUsagePlanKeyCommand({ usagePlanId, keyId: created.id, keyType: 'API_KEY' }),
    );
    return { id: created.id, value: created.value };
  }

  async list(agency: string): Promise<string[]> {
    const usagePlanId = await this.#usagePlanId();
    const name = this.keyName(agency);
    const ids: string[] = [];
    // nameQuery matches by prefix; the exact name is checked here.
    for await (const page of paginateGetUsagePlanKeys(
      { client: this.#client },
      { usagePlanId, nameQuery: name },
    )) {
      for (const key of page.items ?? []) if (key.name === name && key.id) ids.push(key.id);
    }
    return ids;
  }

  async withdraw(keyId: string): Promise<void> {
    const usagePlanId = await this.#usagePlanId();
    try {
      await this.#client.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }

  #usagePlanId(): Promise<string> {
    if ('id' in this.#plan) return Promise.resolve(this.#plan.id);
    const { name } = this.#plan;
    this.#planId ??= this.#findPlan(name).catch((error: unknown) => {
      this.#planId = undefined; // a failed look-up is tried again on the next call
      throw error;
    });
    return this.#planId;
  }

  async #findPlan(name: string): Promise<string> {
    const ids: string[] = [];
    for await (const page of paginateGetUsagePlans({ client: this.#client }, {})) {
      for (const plan of page.items ?? []) if (plan.name === name && plan.id) ids.push(plan.id);
    }
    if (ids.length !== 1) {
      throw new UsagePlanNotFound(name, ids.length);
    }
    return ids[0]!;
  }
}

// The first operator agency of a fresh stage. Every operator route needs a request signed by an
// agency holding the operator role, so on an empty registry nobody could register anyone: the
// infrastructure team runs this once, with the stage's own storage credentials, and from then
// on the operator registers everything else over the API.
import type { AuditEvent } from '#core/audit/event.ts';
import {
  type Agency,
  type AgencyPublicJwk,
  ApiKeySchema,
  hasRole,
  PublicJwkSchema,
  type RequestSignatureAlgorithm,
} from '#core/catalog/agency.ts';
import { AreaCodeSchema } from '#core/catalog/codes.ts';
import { isDemoPublicKey } from '#core/catalog/demo-keys.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { UsageKeys } from '#ports/usage-keys.ts';
import type { AdminChangeDeps } from './admin-change.ts';
import { withNewUsageKey } from './agency-usage-keys.ts';
import { activeApiKey, apiKeyThumbprints, type RegisteredAgency } from './register-agency.ts';

/** What the infrastructure team hands in: who the operator is and the public key it signs with. */
export interface OperatorBootstrap {
  uscc: string;
  name: string;
  areaCode: string;
  keyId: string;
  /** The request-signing public key as a JWK; its curve decides the RFC 9421 algorithm. */
  publicJwk: unknown;
}

/** No `demoData`: a bootstrap refuses demo keys on every stage (the local platform seeds its operator). */
export interface BootstrapOperatorDeps extends Omit<AdminChangeDeps, 'demoData'> {
  config: Pick<ConfigStore, 'listAgencies' | 'createFirstOperator'>;
  /**
   * The stage's usage plan, when the operator is to get its usage key with the bootstrap (a stage
   * that meters agencies refuses every agency route without one); no key is made when absent.
   */
  usageKeys?: UsageKeys;
}

/** Who the audit log names as the actor: no agency exists yet to be one. */
export const BOOTSTRAP_ACTOR = { kind: 'system', id: 'bootstrap' } as const;

/** Input the bootstrap cannot use; each problem names the field. */
export class OperatorBootstrapInvalid extends Error {
  readonly code = 'OPERATOR_BOOTSTRAP_INVALID';
  readonly problems: readonly { field: string; message: string }[];
  constructor(problems: readonly { field: string; message: string }[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'OperatorBootstrapInvalid';
    this.problems = problems;
  }
}

/** The registry already holds an operator: bootstrapping again would bypass it. */
export class OperatorAlreadyRegistered extends Error {
  readonly code = 'OPERATOR_ALREADY_REGISTERED';
  readonly operators: readonly string[];
  constructor(operators: readonly string[]) {
    super(
      `the registry already holds an operator agency (${operators.join(', ')}); register further agencies through its signed API calls`,
    );
    this.name = 'OperatorAlreadyRegistered';
    this.operators = operators;
  }
}

/** The RFC 9421 algorithm a public key signs with: its curve has exactly one. */
export function requestSignatureAlgorithmOf(jwk: AgencyPublicJwk): RequestSignatureAlgorithm {
  return jwk.kty === 'OKP' ? 'ed25519' : 'ecdsa-p256-sha256';
}

/**
 * Registers the first operator agency with its audit event, in one registry transaction; refused
 * when any agency already holds the operator role. Two bootstraps racing for one USCC cannot
 * both succeed: the registry's create is conditional on the record not existing. With usage
 * keys, the operator's key is issued just before the write, its id recorded (never its value),
 * and withdrawn again when the registry refuses the write for certain.
 */
export async function bootstrapOperator(
  request: OperatorBootstrap,
  deps: BootstrapOperatorDeps,
): Promise<RegisteredAgency> {
  const publicJwk = checked(request);
  const operators = await operatorAgencies(deps.config);
  if (operators.length > 0) throw new OperatorAlreadyRegistered(operators);

  const now = deps.now();
  const key = activeApiKey(
    { keyId: request.keyId, algorithm: requestSignatureAlgorithmOf(publicJwk), publicJwk },
    now,
  );
  const agency: Agency = {
    uscc: request.uscc,
    name: request.name,
    roles: ['operator'],
    areaCode: request.areaCode,
    apiKeys: [key],
  };
  return withNewUsageKey(deps.usageKeys, agency.uscc, async (usageKey) => {
    const event: AuditEvent = {
      id: deps.newEventId(),
      time: now.toISOString(),
      actor: { ...BOOTSTRAP_ACTOR },
      action: 'agency.registered',
      outcome: 'success',
      details: {
        agency: agency.uscc,
        version: 1,
        roles: agency.roles,
        apiKeys: [key.keyId],
        apiKeyThumbprints: apiKeyThumbprints([key]),
        ...(usageKey ? { usageKey: usageKey.id } : {}),
        bootstrap: true,
        stage: deps.stage,
      },
    };
    const saved = await deps.config.createFirstOperator(agency, event);
    return usageKey ? { ...saved, usageKey } : saved;
  });
}

/** The public key, once every field is fit to register; all problems reported together. */
function checked(request: OperatorBootstrap): AgencyPublicJwk {
  const problems: { field: string; message: string }[] = [];
  const uscc = parseUscc(request.uscc);
  if (!uscc.valid) problems.push({ field: 'uscc', message: uscc.reason });
  const name = request.name.trim();
  if (name.length === 0 || name.length > 128 || name !== request.name) {
    problems.push({ field: 'name', message: 'expected 1–128 characters without surrounding spaces' });
  }
  const area = AreaCodeSchema.safeParse(request.areaCode);
  if (!area.success) problems.push({ field: 'areaCode', message: area.error.issues[0]!.message });
  const keyId = ApiKeySchema.shape.keyId.safeParse(request.keyId);
  if (!keyId.success) problems.push({ field: 'keyId', message: keyId.error.issues[0]!.message });

  const jwk = request.publicJwk;
  let publicJwk: AgencyPublicJwk | undefined;
  if (typeof jwk === 'object' && jwk !== null && 'd' in jwk) {
    // Said plainly: the strict schema would only call `d` an unrecognized key.
    problems.push({
      field: 'publicKey',
      message: 'the JWK holds a private key (member "d"); hand in the public key only',
    });
  } else {
    const parsed = PublicJwkSchema.safeParse(jwk);
    if (parsed.success && isDemoPublicKey(parsed.data)) {
      // Whatever the stage: the local platform seeds its demo operator and needs no bootstrap.
      problems.push({
        field: 'publicKey',
        message:
          "is a demo agency's request key, whose private key anyone can derive; generate a key of your own",
      });
    } else if (parsed.success) publicJwk = parsed.data;
    else {
      problems.push({
        field: 'publicKey',
        message: `expected a public P-256 (EC) or Ed25519 (OKP) JWK: ${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`)
          .join('; ')}`,
      });
    }
  }
  if (problems.length > 0 || publicJwk === undefined) throw new OperatorBootstrapInvalid(problems);
  return publicJwk;
}

/** USCCs of every registered agency holding the operator role, read page by page. */
async function operatorAgencies(config: Pick<ConfigStore, 'listAgencies'>): Promise<string[]> {
  const operators: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await config.listAgencies(cursor === undefined ? {} : { cursor });
    for (const { value } of page.items) if (hasRole(value, 'operator')) operators.push(value.uscc);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return operators;
}

import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { S3ReferencePhotoSource } from '#adapters/aws/reference-photos.ts';
import {
  REKOGNITION_PROVIDER_NAME,
  RekognitionProofingProvider,
} from '#adapters/aws/rekognition-proofing-provider.ts';
import {
  DEVELOPMENT_ONLY_PROVIDER_NAME,
  DevelopmentOnlyProofingProvider,
} from '#adapters/local/development-only-proofing-provider.ts';
import {
  type DeviceKeyDeps,
  listDeviceKeys,
  openDeviceKeyChallenge,
  registerDeviceKey,
  revokeDeviceKey,
} from '#app/device-keys.ts';
import { listHolderProofings } from '#app/holder-account.ts';
import { IdentityNotProofed, proofIdentity } from '#app/proof-identity.ts';
import { DeviceKeyLimitReached, DeviceKeyProofInvalid } from '#core/holders/device-key.ts';
import { asProblem, type ProblemMapping } from '#http/domain-problems.ts';
import { parseJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import { ProofingRequestSchema, RegisterDeviceKeyRequestSchema } from '#http/schemas/holder-identity.ts';
import {
  AccountBoundToAnotherIdentity,
  type DeviceKey,
  DeviceKeyAlreadyRevoked,
  DeviceKeyChallengeUnknown,
  DeviceKeyExists,
  DeviceKeyNotFound,
  IdentityBoundToAnotherAccount,
  ProofingInProgress,
  type ProofingRecord,
} from '#ports/holder-store.ts';
import {
  type IdentityProofingProvider,
  ProofingEvidenceInvalid,
  ProofingProviderUnavailable,
} from '#ports/identity-proofing.ts';
import { s3 } from '../aws-clients.ts';
import { environment } from '../environment.ts';
import { blindIndexerOnFirstUse } from '../key-material.ts';
import { logger, tracer } from '../observability.ts';
import { accountReadDeps, bindingView, holderOf } from './account.ts';
import { audit, blindIndexer, eventIds, now, identity as store } from './deps.ts';

// The holder's identity: proofing with the providers this stage enables, and device keys.
//
// Configuration, read once at start:
// - ELICENSE_PROOFING_PROVIDERS: comma-separated provider names. Default: `development-only` on a
//   local stage (local key vault), none on AWS. `development-only` on a KMS stage stops the
//   container at start: it proves nothing.
// - `rekognition-compare-faces` needs ELICENSE_REFERENCE_PHOTO_BUCKET (registered photos under
//   `reference-photos/<blind index>`) and takes ELICENSE_FACE_SIMILARITY_THRESHOLD (0–100, default 90).
const settings = z
  .object({
    ELICENSE_PROOFING_PROVIDERS: z.string().optional(),
    ELICENSE_REFERENCE_PHOTO_BUCKET: z.string().min(1).optional(),
    ELICENSE_FACE_SIMILARITY_THRESHOLD: z.coerce.number().min(0).max(100).default(90),
  })
  .parse(process.env);
const local = environment.keys.kind === 'local-vault';

function enabledProviders(): Map<string, IdentityProofingProvider> {
  const names = (settings.ELICENSE_PROOFING_PROVIDERS ?? (local ? DEVELOPMENT_ONLY_PROVIDER_NAME : ''))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const providers = new Map<string, IdentityProofingProvider>();
  for (const name of names) {
    if (name === DEVELOPMENT_ONLY_PROVIDER_NAME) {
      providers.set(name, new DevelopmentOnlyProofingProvider({ local }));
    } else if (name === REKOGNITION_PROVIDER_NAME) {
      const bucket = settings.ELICENSE_REFERENCE_PHOTO_BUCKET;
      if (bucket === undefined) {
        throw new Error(`invalid function environment — ${name} needs ELICENSE_REFERENCE_PHOTO_BUCKET`);
      }
      providers.set(
        name,
        new RekognitionProofingProvider({
          rekognition: tracer.captureAWSv3Client(new RekognitionClient({})),
          // Made on first use: the function starts on a stage without the blind-index key blob yet.
          photos: new S3ReferencePhotoSource({ s3, bucket, blindIndex: blindIndexerOnFirstUse() }),
          similarityThreshold: settings.ELICENSE_FACE_SIMILARITY_THRESHOLD,
          // No identity in it: the reference-photo bucket's keeper finds the photo by the failures.
          onUnusablePhoto: () =>
            logger.warn('a registered reference photo is no JPEG or PNG of at most 5 MiB'),
        }),
      );
    } else {
      throw new Error(
        `invalid function environment — ELICENSE_PROOFING_PROVIDERS names unknown provider ${name}`,
      );
    }
  }
  return providers;
}

const providers = enabledProviders();
const keyDeps: DeviceKeyDeps = { store, audience: environment.publicBaseUrl, now };
const keyListDeps = { store, audit, now, newEventId: eventIds('holder-read') };

export const identityRoutes: Record<string, RouteImplementation> = {
  async proofHolderIdentity(event) {
    const request = parseJsonBody(event, ProofingRequestSchema);
    const { account } = holderOf(event);
    const outcome = await refusals(() =>
      proofIdentity({ account, ...request }, { store, blindIndex: blindIndexer(), providers, now }),
    );
    return jsonResponse(201, {
      proofing: proofingView(outcome.proofing),
      ...(outcome.binding ? { identity: bindingView(outcome.binding) } : {}),
    });
  },
  async listHolderProofings(event) {
    const { proofings, auditEventId } = await listHolderProofings(
      { account: holderOf(event).account },
      accountReadDeps,
    );
    return jsonResponse(200, { items: proofings.map(proofingView), auditEventId });
  },
  async openDeviceKeyChallenge(event) {
    return jsonResponse(201, await refusals(() => openDeviceKeyChallenge(holderOf(event).account, keyDeps)));
  },
  async registerDeviceKey(event) {
    const request = parseJsonBody(event, RegisterDeviceKeyRequestSchema);
    const key = await refusals(() =>
      registerDeviceKey({ account: holderOf(event).account, ...request }, keyDeps),
    );
    return jsonResponse(201, keyView(key));
  },
  async listDeviceKeys(event) {
    const { keys, auditEventId } = await listDeviceKeys(holderOf(event).account, keyListDeps);
    return jsonResponse(200, { items: keys.map(keyView), auditEventId });
  },
  async revokeDeviceKey(event) {
    const key = await refusals(() => revokeDeviceKey(holderOf(event).account, keyIdOf(event), keyDeps));
    return jsonResponse(200, keyView(key));
  },
};

function proofingView({ account: _account, holderIndex: _index, ...record }: ProofingRecord) {
  return record;
}

function keyView({ account: _account, ...key }: DeviceKey) {
  return key;
}

function keyIdOf(event: APIGatewayProxyEvent): string {
  return event.pathParameters?.keyId ?? '';
}

// This part's typed errors and their problem types; the router maps the shared ones. Kept here,
// not in the shared list, because that list is in every function's bundle and
// DeviceKeyProofInvalid's module brings jose along.
const PROBLEMS: ProblemMapping = [
  [ProofingEvidenceInvalid, 'validation-failed'],
  [DeviceKeyProofInvalid, 'validation-failed'],
  [DeviceKeyChallengeUnknown, 'validation-failed'],
  [ProofingProviderUnavailable, 'dependency-unavailable'],
  [AccountBoundToAnotherIdentity, 'conflict'],
  [IdentityBoundToAnotherAccount, 'conflict'],
  [ProofingInProgress, 'conflict'],
  [DeviceKeyExists, 'conflict'],
  [DeviceKeyLimitReached, 'conflict'],
  [DeviceKeyAlreadyRevoked, 'conflict'],
  [DeviceKeyNotFound, 'not-found'],
  [IdentityNotProofed, 'identity-not-proofed'],
];

async function refusals<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProofingProviderUnavailable) logger.warn('proofing provider failed', { error });
    throw asProblem(error, PROBLEMS);
  }
}

// The Rekognition CompareFaces provider over the wire against moto, with registered photos from
// S3 (moto too). What is real here: the SDK request the provider builds (selfie as source, the
// registered photo as target, the configured threshold) as it reaches the endpoint, the photo
// lookup by blind index in S3, the provider's reading of a CompareFaces answer, and its refusals
// before any call. What moto does NOT check: moto's compare_faces ignores both images and the
// threshold and always answers the same canned match (Similarity 100) — it does not compare
// faces, detect that an image has no face, or reject a non-image. Those answers are covered by
// the unit test of the provider with scripted Rekognition answers.

import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S3ReferencePhotoSource } from '#adapters/aws/reference-photos.ts';
import { RekognitionProofingProvider } from '#adapters/aws/rekognition-proofing-provider.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import { ProofingEvidenceInvalid, type ProofingRequest } from '#ports/identity-proofing.ts';
import { useSuiteAwsEnv } from '../aws-env.ts';

const env = useSuiteAwsEnv();
// moto's server answers every service it emulates on one endpoint: the suite's KMS endpoint.
const rekognition = new RekognitionClient({ endpoint: env.AWS_ENDPOINT_URL_KMS });
const s3 = new S3Client({ forcePathStyle: process.env.ELICENSE_S3_FORCE_PATH_STYLE === 'true' });
const bucket = `it-reference-photos-${Date.now()}`;
const indexer: BlindIndexer = {
  async tokenFor(codeType, code) {
    return createHmac('sha256', 'it').update(`${codeType}:${code}`).digest('base64url');
  },
};
const photos = new S3ReferencePhotoSource({ s3, bucket, blindIndex: indexer });
const sent: { target: string; body: string }[] = [];
rekognition.middlewareStack.add(
  (next, context) => async (args) => {
    const request = args.request as { headers: Record<string, string>; body: string | Uint8Array };
    sent.push({
      target: request.headers['x-amz-target'] ?? String(context.commandName),
      body: typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body),
    });
    return next(args);
  },
  { step: 'finalizeRequest', name: 'recordRequests' },
);

/** A 1×1 PNG: real image bytes, small enough to read in a request body. */
function png(gray: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, gray]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const SELFIE = png(0x40);
const REGISTERED = png(0xc0);
const identity = { codeType: '111', code: '330102199003071230' };
const request = (evidence: Record<string, unknown>): ProofingRequest => ({
  account: 'acct-face',
  identity,
  evidence,
});

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: await S3ReferencePhotoSource.keyOf(indexer, identity),
      Body: REGISTERED,
    }),
  );
});

afterAll(async () => {
  await s3.send(
    new DeleteObjectCommand({ Bucket: bucket, Key: await S3ReferencePhotoSource.keyOf(indexer, identity) }),
  );
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
  rekognition.destroy();
});

describe('RekognitionProofingProvider against moto', () => {
  test('sends the selfie as source and the registered photo as target with the threshold, and accepts the match', async () => {
    const provider = new RekognitionProofingProvider({ rekognition, photos, similarityThreshold: 95 });
    sent.length = 0;

    const result = await provider.proof(request({ selfie: SELFIE.toString('base64') }));

    expect(result).toEqual({ verified: true, assurance: 'substantial', methods: ['face-comparison'] });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.target).toBe('RekognitionService.CompareFaces');
    const body = JSON.parse(sent[0]!.body) as Record<string, { Bytes?: string } | number>;
    expect(body).toEqual({
      SourceImage: { Bytes: SELFIE.toString('base64') },
      TargetImage: { Bytes: REGISTERED.toString('base64') },
      SimilarityThreshold: 95,
    });
  });

  test('an identity without a registered photo fails without calling Rekognition', async () => {
    const provider = new RekognitionProofingProvider({ rekognition, photos });
    sent.length = 0;

    const result = await provider.proof({
      ...request({ selfie: SELFIE.toString('base64') }),
      identity: { codeType: '111', code: '330106198511202461' },
    });

    expect(result).toMatchObject({
      verified: false,
      reason: 'the selfie was not matched to the registered photo of this identity',
    });
    expect(sent).toHaveLength(0);
  });

  test('evidence without a base64 selfie is refused before any call', async () => {
    const provider = new RekognitionProofingProvider({ rekognition, photos });
    sent.length = 0;

    await expect(provider.proof(request({ selfie: 'not base64!' }))).rejects.toBeInstanceOf(
      ProofingEvidenceInvalid,
    );
    await expect(provider.proof(request({ photo: SELFIE.toString('base64') }))).rejects.toBeInstanceOf(
      ProofingEvidenceInvalid,
    );
    expect(sent).toHaveLength(0);
  });
});

import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { ClaimedIdentity } from '#core/holders/identity.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { ReferencePhotoSource } from '#ports/identity-proofing.ts';

// Registered ID photos kept in an S3 bucket under `reference-photos/<blind index>` — the
// shape an integrator fills from the authoritative photo service (e.g. the public-security
// population database) or a stage seeds for tests. Keyed by blind index, so object names reveal
// no identity number.

export class S3ReferencePhotoSource implements ReferencePhotoSource {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #blindIndex: BlindIndexer;

  constructor(options: { s3: S3Client; bucket: string; blindIndex: BlindIndexer }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#blindIndex = options.blindIndex;
  }

  static async keyOf(blindIndex: BlindIndexer, identity: ClaimedIdentity): Promise<string> {
    return `reference-photos/${await blindIndex.tokenFor(identity.codeType, identity.code)}`;
  }

  async photoOf(identity: ClaimedIdentity): Promise<Uint8Array | undefined> {
    try {
      const object = await this.#s3.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: await S3ReferencePhotoSource.keyOf(this.#blindIndex, identity),
        }),
      );
      return object.Body?.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }
}

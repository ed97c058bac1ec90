import {
  CompareFacesCommand,
  ImageTooLargeException,
  InvalidImageFormatException,
  InvalidParameterException,
  type RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { z } from 'zod';
import { sniffDocumentFormat } from '#core/layout-document/format.ts';
import {
  type IdentityProofingProvider,
  ProofingEvidenceInvalid,
  ProofingProviderUnavailable,
  type ProofingRequest,
  type ProofingResult,
  type ReferencePhotoSource,
} from '#ports/identity-proofing.ts';

// Face comparison with Amazon Rekognition CompareFaces: the holder's live selfie (source) against
// the identity's registered ID photo (target, from a ReferencePhotoSource). A match at or above
// the similarity threshold earns `substantial`: the photo is an authoritative record, but a
// selfie upload alone does not prove liveness (Rekognition Face Liveness would, for `high`).
// The selfie is sent to Rekognition and dropped: neither it nor the photo is stored here.

export const REKOGNITION_PROVIDER_NAME = 'rekognition-compare-faces';
/** Rekognition's limit for image bytes passed inline. */
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

const EvidenceSchema = z.strictObject({
  selfie: z.base64().min(1).describe('The live selfie, JPEG or PNG, base64'),
});

export interface RekognitionProofingOptions {
  rekognition: RekognitionClient;
  photos: ReferencePhotoSource;
  /** Minimum similarity (0–100) of the best face match. Default 90. */
  similarityThreshold?: number;
  /**
   * Told, with no identity, when a registered photo is one Rekognition cannot compare (not a JPEG
   * or PNG, or over 5 MiB): its holder's every proofing then fails as not matched and uses up
   * their attempts, and only this says why — the answer may not.
   */
  onUnusablePhoto?: () => void;
}

export class RekognitionProofingProvider implements IdentityProofingProvider {
  readonly name = REKOGNITION_PROVIDER_NAME;
  readonly #rekognition: RekognitionClient;
  readonly #photos: ReferencePhotoSource;
  readonly #threshold: number;
  readonly #onUnusablePhoto: (() => void) | undefined;

  constructor(options: RekognitionProofingOptions) {
    const threshold = options.similarityThreshold ?? 90;
    if (!(threshold >= 0 && threshold <= 100)) {
      throw new Error(`expected a similarity threshold between 0 and 100, found ${threshold}`);
    }
    this.#rekognition = options.rekognition;
    this.#photos = options.photos;
    this.#threshold = threshold;
    this.#onUnusablePhoto = options.onUnusablePhoto;
  }

  async proof(request: ProofingRequest): Promise<ProofingResult> {
    const parsed = EvidenceSchema.safeParse(request.evidence);
    if (!parsed.success) {
      throw new ProofingEvidenceInvalid(this.name, 'expected evidence {"selfie": "<base64 JPEG or PNG>"}');
    }
    const selfie = Buffer.from(parsed.data.selfie, 'base64');
    if (selfie.byteLength > MAX_IMAGE_BYTES) {
      throw new ProofingEvidenceInvalid(
        this.name,
        `expected a selfie of at most 5 MiB, found ${selfie.byteLength} bytes`,
      );
    }
    // Refused before the registered photo is looked at, so a bad selfie tells nothing of it.
    const format = sniffDocumentFormat(selfie);
    if (format !== 'jpeg' && format !== 'png') {
      throw new ProofingEvidenceInvalid(this.name, 'expected the selfie as a JPEG or PNG image');
    }
    const methods = ['face-comparison'];
    // No photo, no face, an image Rekognition cannot read, no match: one answer, so a failed
    // proofing does not tell whether the identity has a registered photo (whether the ID number is
    // a registered person's).
    const failed: ProofingResult = {
      verified: false,
      assurance: 'substantial',
      methods,
      reason: NOT_MATCHED,
    };
    const photo = await this.#photos.photoOf(request.identity);
    if (photo === undefined) return failed;
    if (photo.byteLength > MAX_IMAGE_BYTES || !['jpeg', 'png'].includes(sniffDocumentFormat(photo) ?? '')) {
      this.#onUnusablePhoto?.();
    }
    let similarity: number | undefined;
    try {
      const answer = await this.#rekognition.send(
        new CompareFacesCommand({
          SourceImage: { Bytes: selfie },
          TargetImage: { Bytes: photo },
          SimilarityThreshold: this.#threshold,
        }),
      );
      similarity = Math.max(...(answer.FaceMatches ?? []).map((m) => m.Similarity ?? 0), -1);
    } catch (error) {
      // Rekognition answers InvalidParameter when it finds no face in an image. An image it cannot
      // read or finds too large (the selfie, or the photo) is refused only here, after a photo was
      // found: refused as bad evidence (400, not counted) it would tell, for free, that the ID
      // number has a registered photo — so it is the one failed answer too, counted as any.
      if (
        error instanceof InvalidParameterException ||
        error instanceof InvalidImageFormatException ||
        error instanceof ImageTooLargeException
      ) {
        return failed;
      }
      throw new ProofingProviderUnavailable(this.name, error);
    }
    if (similarity >= this.#threshold) return { verified: true, assurance: 'substantial', methods };
    return failed;
  }
}

const NOT_MATCHED = 'the selfie was not matched to the registered photo of this identity';

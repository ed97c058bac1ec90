// How the Rekognition provider reads CompareFaces answers moto cannot give (moto always answers
// a canned match): a match below the threshold, no match, no face, an unreadable image, an
// outage. The client is scripted; the wire is covered by test/integration/holders/.

import {
  ImageTooLargeException,
  InvalidImageFormatException,
  InvalidParameterException,
  type RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { describe, expect, it } from 'vitest';
import { RekognitionProofingProvider } from '#adapters/aws/rekognition-proofing-provider.ts';
import { ProofingEvidenceInvalid, ProofingProviderUnavailable } from '#ports/identity-proofing.ts';

const meta = { $metadata: {} };
function provider(answer: () => unknown, similarityThreshold?: number) {
  const rekognition = { send: async () => answer() } as unknown as RekognitionClient;
  const photos = { photoOf: async () => new Uint8Array([1, 2, 3]) };
  return new RekognitionProofingProvider({
    rekognition,
    photos,
    ...(similarityThreshold === undefined ? {} : { similarityThreshold }),
  });
}
/** The first bytes of a JPEG (start of image, then an APP0 marker): what the provider sniffs. */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const request = {
  account: 'acct',
  identity: { codeType: '111', code: '330102199003071230' },
  evidence: { selfie: JPEG.toString('base64') },
};
const NOT_MATCHED = 'the selfie was not matched to the registered photo of this identity';

describe('RekognitionProofingProvider', () => {
  it('verifies at the threshold and fails below it or with no match', async () => {
    const at = provider(() => ({ FaceMatches: [{ Similarity: 80 }, { Similarity: 92.5 }] }), 92.5);
    expect(await at.proof(request)).toMatchObject({ verified: true, assurance: 'substantial' });
    const below = provider(() => ({ FaceMatches: [{ Similarity: 89.9 }] }));
    expect(await below.proof(request)).toMatchObject({ verified: false, reason: NOT_MATCHED });
    const none = provider(() => ({ FaceMatches: [], UnmatchedFaces: [{}] }));
    expect(await none.proof(request)).toMatchObject({ verified: false });
  });

  it('fails when Rekognition finds no face or cannot read an image, and reports an outage', async () => {
    const noFace = provider(() => {
      throw new InvalidParameterException({ message: 'no face', ...meta });
    });
    // No face, no photo and no match read alike: the answer tells nothing of the registered photo.
    expect(await noFace.proof(request)).toMatchObject({ verified: false, reason: NOT_MATCHED });
    // Refused only once a registered photo is found, an unreadable selfie must fail alike: a
    // refusal would tell, uncounted, that the ID number has a photo.
    const unreadable = provider(() => {
      throw new InvalidImageFormatException({ message: 'format', ...meta });
    });
    expect(await unreadable.proof(request)).toEqual({
      verified: false,
      assurance: 'substantial',
      methods: ['face-comparison'],
      reason: NOT_MATCHED,
    });
    const tooLarge = provider(() => {
      throw new ImageTooLargeException({ message: 'too large', ...meta });
    });
    expect(await tooLarge.proof(request)).toMatchObject({ verified: false, reason: NOT_MATCHED });
    const throttled = provider(() => {
      throw new ThrottlingException({ message: 'slow down', ...meta });
    });
    await expect(throttled.proof(request)).rejects.toBeInstanceOf(ProofingProviderUnavailable);
  });

  it('tells, with no identity, of a registered photo Rekognition cannot compare, and answers as ever', async () => {
    const warned: string[] = [];
    const withPhoto = (photo: Uint8Array) =>
      new RekognitionProofingProvider({
        rekognition: {
          send: async () => {
            throw new InvalidImageFormatException({ message: 'format', ...meta });
          },
        } as unknown as RekognitionClient,
        photos: { photoOf: async () => photo },
        onUnusablePhoto: () => warned.push('unusable'),
      });
    // A corrupt photo fails the holder's proofing as not matched, as it must; only the hook tells.
    expect(await withPhoto(new Uint8Array([1, 2, 3])).proof(request)).toMatchObject({ reason: NOT_MATCHED });
    expect(warned).toEqual(['unusable']);
    // A JPEG photo Rekognition cannot read is the selfie's fault as far as anyone can tell: no hook.
    await withPhoto(JPEG).proof(request);
    expect(warned).toEqual(['unusable']);
  });

  it('refuses a selfie that is no JPEG or PNG before it looks for the registered photo', async () => {
    let looked = 0;
    const sniffing = new RekognitionProofingProvider({
      rekognition: { send: async () => ({ FaceMatches: [] }) } as unknown as RekognitionClient,
      photos: {
        photoOf: async () => {
          looked += 1;
          return undefined;
        },
      },
    });
    await expect(
      sniffing.proof({ ...request, evidence: { selfie: Buffer.from('not an image').toString('base64') } }),
    ).rejects.toBeInstanceOf(ProofingEvidenceInvalid);
    expect(looked).toBe(0);
    // Without a registered photo, the failure reads as any other.
    expect(await sniffing.proof(request)).toMatchObject({ verified: false, reason: NOT_MATCHED });
    expect(looked).toBe(1);
  });

  it('refuses a threshold outside 0–100', () => {
    expect(() => provider(() => ({}), 101)).toThrow(/between 0 and 100/);
  });
});

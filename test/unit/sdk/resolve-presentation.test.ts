// A verifier's backend resolves what a QR code carries: a reference, or the URL the platform made
// for it. It follows a URL only to the platform (the endpoint's origin, or origins the verifier
// allows), so a code pointing elsewhere cannot make it fetch an attacker's answer as a presentation.
import { describe, expect, test } from 'vitest';
import { resolvePresentation } from '../../../sdk/holder.ts';

const ENDPOINT = 'https://api.example.gov.cn/prod';
const RESOLVED = {
  presentation: 'eyJ…~',
  licenseId: 'license-1',
  typeCode: '11100000000013338W001',
  disclosed: ['姓名'],
  expiresAt: '2025-03-01T08:05:00Z',
};

function recording(urls: string[]): typeof fetch {
  return async (input) => {
    urls.push(String(input));
    return Response.json(RESOLVED);
  };
}

describe('resolvePresentation', () => {
  test('resolves a reference under the endpoint, and a URL of the endpoint’s origin as given', async () => {
    const urls: string[] = [];
    expect(await resolvePresentation(ENDPOINT, 'ABC123', recording(urls))).toEqual(RESOLVED);
    await resolvePresentation(ENDPOINT, `${ENDPOINT}/presentations/ABC123`, recording(urls));
    expect(urls).toEqual([`${ENDPOINT}/presentations/ABC123`, `${ENDPOINT}/presentations/ABC123`]);
  });

  test.each([
    'https://evil.example/presentations/ABC123',
    'https://api.example.gov.cn.evil.example/prod/presentations/ABC123',
    'http://api.example.gov.cn/prod/presentations/ABC123',
    'https://api.example.gov.cn:8443/prod/presentations/ABC123',
    'https://user@evil.example/presentations/ABC123',
  ])('refuses to fetch a URL of another origin: %s', async (url) => {
    const urls: string[] = [];
    await expect(resolvePresentation(ENDPOINT, url, recording(urls))).rejects.toThrow(/origin/);
    expect(urls).toEqual([]);
  });

  test('refuses a URL of the platform’s origin that names no presentation', async () => {
    const urls: string[] = [];
    await expect(
      resolvePresentation(ENDPOINT, `${ENDPOINT}/holder/licenses`, recording(urls)),
    ).rejects.toThrow(/presentations/);
    expect(urls).toEqual([]);
  });

  test('follows a URL of an origin the caller allows', async () => {
    const urls: string[] = [];
    await resolvePresentation(ENDPOINT, 'https://license.example.gov.cn/presentations/ABC123', {
      fetch: recording(urls),
      allowedOrigins: ['https://license.example.gov.cn'],
    });
    expect(urls).toEqual(['https://license.example.gov.cn/presentations/ABC123']);
  });
});

// RFC 9421 Appendix B and RFC 9530 examples, through the platform's own code: bases and
// Ed25519 signatures reproduced byte for byte, ECDSA signatures verified, digests recomputed.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  componentValue,
  contentDigest,
  parseSignature,
  parseSignatureInput,
  publicKeyFromJwk,
  signatureBase,
  signMessage,
  verifyContentDigest,
  verifySignatureBase,
} from '#core/http-signatures/index.ts';
import {
  B_2_4,
  B_2_6,
  B_3,
  B_4,
  DERIVED_COMPONENT_EXAMPLES,
  RFC9530_EXAMPLES,
  TEST_KEY_ECC_P256_PUBLIC_JWK,
  TEST_KEY_ECC_P256_PUBLIC_PEM,
  TEST_KEY_ED25519_JWK,
  TEST_KEY_ED25519_PRIVATE_PEM,
  TEST_REQUEST,
  TEST_RESPONSE,
} from './rfc9421-vectors.ts';

const ed25519Private = createPrivateKey({ key: TEST_KEY_ED25519_JWK, format: 'jwk' });
const eccPublic = publicKeyFromJwk(TEST_KEY_ECC_P256_PUBLIC_JWK);
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The signature base a verifier rebuilds from a message and the received Signature-Input. */
function verifierBase(message: Parameters<typeof signatureBase>[0], signatureInput: string, label: string) {
  const member = parseSignatureInput(signatureInput).get(label)!;
  return signatureBase(message, member.components, member.signatureParams);
}

describe('the RFC 9421 test keys', () => {
  test('B.1.4: the JWK and the PKCS#8 PEM are the same Ed25519 key', () => {
    expect(createPrivateKey(TEST_KEY_ED25519_PRIVATE_PEM).export({ format: 'jwk' })).toEqual(
      TEST_KEY_ED25519_JWK,
    );
  });

  test('B.1.3: the JWK is the published SPKI public key', () => {
    expect(createPublicKey(TEST_KEY_ECC_P256_PUBLIC_PEM).export({ format: 'jwk' })).toEqual(
      TEST_KEY_ECC_P256_PUBLIC_JWK,
    );
  });
});

describe('B.2.6 signing a request with ed25519', () => {
  const signed = signMessage(TEST_REQUEST, {
    label: B_2_6.label,
    components: B_2_6.components,
    parameters: B_2_6.parameters,
    algorithm: 'ed25519',
    privateKey: ed25519Private,
  });

  test('reproduces the signature base byte for byte', () => {
    expect(signed.signatureBase).toBe(B_2_6.signatureBase);
  });

  test('reproduces Signature-Input and Signature byte for byte', () => {
    expect(signed.signatureInput).toBe(B_2_6.signatureInput);
    expect(signed.signature).toBe(B_2_6.signature);
  });

  test('a verifier rebuilds the same base from the received Signature-Input and the signature verifies', () => {
    const base = verifierBase(TEST_REQUEST, B_2_6.signatureInput, B_2_6.label);
    expect(base).toBe(B_2_6.signatureBase);
    const signature = parseSignature(B_2_6.signature).get(B_2_6.label)!;
    const publicKey = createPublicKey(ed25519Private);
    expect(verifySignatureBase(base, signature, publicKey, 'ed25519')).toBe(true);
    const tampered = Uint8Array.from(signature);
    tampered[0]! ^= 1;
    expect(verifySignatureBase(base, tampered, publicKey, 'ed25519')).toBe(false);
  });
});

describe('B.2.4 signing a response with ecdsa-p256-sha256', () => {
  test('rebuilds the signature base, including @status, byte for byte', () => {
    expect(verifierBase(TEST_RESPONSE, B_2_4.signatureInput, B_2_4.label)).toBe(B_2_4.signatureBase);
  });

  test('the published raw r‖s signature verifies under test-key-ecc-p256', () => {
    const signature = parseSignature(B_2_4.signature).get(B_2_4.label)!;
    expect(signature).toHaveLength(64);
    expect(verifySignatureBase(B_2_4.signatureBase, signature, eccPublic, 'ecdsa-p256-sha256')).toBe(true);
  });

  test('the published signature does not verify once the covered status changes', () => {
    const signature = parseSignature(B_2_4.signature).get(B_2_4.label)!;
    const base = verifierBase({ ...TEST_RESPONSE, status: 201 }, B_2_4.signatureInput, B_2_4.label);
    expect(verifySignatureBase(base, signature, eccPublic, 'ecdsa-p256-sha256')).toBe(false);
  });

  test('the same signature re-encoded as DER is refused: only raw r‖s is accepted', () => {
    const signature = parseSignature(B_2_4.signature).get(B_2_4.label)!;
    const der = rawToDer(signature);
    expect(verifySignatureBase(B_2_4.signatureBase, der, eccPublic, 'ecdsa-p256-sha256')).toBe(false);
  });
});

describe('B.3 a TLS-terminating proxy signs with ecdsa-p256-sha256 over @query', () => {
  test('rebuilds the base and verifies the published signature', () => {
    const base = verifierBase(B_3.request, B_3.signatureInput, B_3.label);
    expect(base).toBe(B_3.signatureBase);
    const signature = parseSignature(B_3.signature).get(B_3.label)!;
    expect(verifySignatureBase(base, signature, eccPublic, 'ecdsa-p256-sha256')).toBe(true);
  });
});

describe('B.4 transformations: Accept on two lines', () => {
  test('reproduces the base with the lines combined, and the Ed25519 signature byte for byte', () => {
    const signed = signMessage(B_4.request, {
      label: B_4.label,
      components: B_4.components,
      parameters: B_4.parameters,
      algorithm: 'ed25519',
      privateKey: ed25519Private,
    });
    expect(signed.signatureBase).toBe(B_4.signatureBase);
    expect(signed.signatureInput).toBe(B_4.signatureInput);
    expect(signed.signature).toBe(B_4.signature);
  });

  test('the lines already combined into one give the same base; reordered lines do not', () => {
    const combined = { ...B_4.request, headers: { ...B_4.request.headers, accept: 'application/json, */*' } };
    expect(verifierBase(combined, B_4.signatureInput, B_4.label)).toBe(B_4.signatureBase);
    const reordered = {
      ...B_4.request,
      headers: { ...B_4.request.headers, accept: ['*/*', 'application/json'] },
    };
    expect(verifierBase(reordered, B_4.signatureInput, B_4.label)).not.toBe(B_4.signatureBase);
  });
});

describe('§2.2 derived components', () => {
  const message = { method: 'POST', targetUri: DERIVED_COMPONENT_EXAMPLES.targetUri, headers: {} };
  test.each(Object.entries(DERIVED_COMPONENT_EXAMPLES.values))('%s is %s', (component, value) => {
    expect(componentValue(message, component)).toBe(value);
  });

  test('@query of a request without a query string is a lone ?', () => {
    const { targetUri, query } = DERIVED_COMPONENT_EXAMPLES.emptyQuery;
    expect(componentValue({ method: 'GET', targetUri, headers: {} }, '@query')).toBe(query);
  });
});

describe('Content-Digest examples', () => {
  test('RFC 9421 test-request and test-response carry the sha-512 of their content', () => {
    expect(contentDigest(utf8(TEST_REQUEST.body), 'sha-512')).toBe(TEST_REQUEST.headers['content-digest']);
    expect(contentDigest(utf8(TEST_RESPONSE.body), 'sha-512')).toBe(TEST_RESPONSE.headers['content-digest']);
    expect(verifyContentDigest(TEST_REQUEST.headers['content-digest'], utf8(TEST_REQUEST.body))).toEqual({
      ok: true,
      algorithms: ['sha-512'],
    });
  });

  test('RFC 9530: sha-512 (§2) and sha-256 (Appendix B.1) of the example content, and of empty content', () => {
    const body = utf8(RFC9530_EXAMPLES.body);
    expect(contentDigest(body, 'sha-512')).toBe(RFC9530_EXAMPLES.sha512);
    expect(contentDigest(body)).toBe(RFC9530_EXAMPLES.sha256);
    expect(contentDigest(new Uint8Array())).toBe(RFC9530_EXAMPLES.emptySha256);
    expect(verifyContentDigest(`${RFC9530_EXAMPLES.sha256}, ${RFC9530_EXAMPLES.sha512}`, body)).toEqual({
      ok: true,
      algorithms: ['sha-256', 'sha-512'],
    });
  });

  test('a mismatch over a body holding U+FFFD says the body was not UTF-8 as sent; one without does not', () => {
    // Sent: {"name":"张<0xFF>"} — API Gateway hands it over decoded, the stray byte as U+FFFD.
    const sent = Buffer.concat([Buffer.from('{"name":"张'), Buffer.from([0xff]), Buffer.from('"}')]);
    const received = utf8(sent.toString('utf8'));
    const replaced = verifyContentDigest(contentDigest(sent), received);
    expect(replaced).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(replaced.ok ? '' : replaced.detail).toContain('U+FFFD');
    const altered = verifyContentDigest(contentDigest(sent), utf8('{"name":"李"}'));
    expect(altered).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(altered.ok ? '' : altered.detail).not.toContain('U+FFFD');
  });
});

/** DER ECDSA-Sig-Value of a raw r‖s signature (both halves as positive INTEGERs). */
function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (half: Uint8Array) => {
    let bytes = [...half];
    while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.slice(1);
    if (bytes[0]! >= 0x80) bytes = [0, ...bytes];
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...integer(raw.subarray(0, 32)), ...integer(raw.subarray(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

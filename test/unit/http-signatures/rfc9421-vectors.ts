// Test vectors of RFC 9421 "HTTP Message Signatures" (February 2024), Appendix B, and of
// RFC 9530 "Digest Fields" — https://www.rfc-editor.org/rfc/rfc9421#appendix-B.
//
// Provenance: transcribed from the RFC text (rfc-editor.org; the B.2.6 section as quoted on
// rfcinfo.com/rfc-9421/appendix-b-2-6-signing-a-request-using-ed25519), with RFC 8792 line
// wrapping undone, and cross-checked against independent implementations' transcriptions
// (httpsig test suites in Go, Rust, Java and TypeScript found by searching for the published
// signatures). Self-consistency proves the transcription: B.2.6 and B.4 are Ed25519 and
// reproduce byte for byte from the B.1.4 private key; B.2.4 and B.3 are ECDSA and verify
// under the B.1.3 public key; the test-request and test-response digests are recomputed.
//
// Keys are the RFC's published test keys: never use them for anything else.

/** B.1.3 test-key-ecc-p256, public half (the RFC's SPKI PEM, as a JWK). */
export const TEST_KEY_ECC_P256_PUBLIC_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA',
  y: 'Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0',
} as const;

/** B.1.3 test-key-ecc-p256 public key as published (SPKI PEM). */
export const TEST_KEY_ECC_P256_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----`;

/** B.1.4 test-key-ed25519 as published (JWK, private part included). */
export const TEST_KEY_ED25519_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs',
  d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU',
} as const;

/** B.1.4 test-key-ed25519 private key as published (PKCS#8 PEM). */
export const TEST_KEY_ED25519_PRIVATE_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----`;

/**
 * B.2 test-request:
 *
 *   POST /foo?param=Value&Pet=dog HTTP/1.1
 *   Host: example.com
 *   Date: Tue, 20 Apr 2021 02:07:55 GMT
 *   Content-Type: application/json
 *   Content-Digest: sha-512=:WZDPaVn/…Xew==:
 *   Content-Length: 18
 *
 *   {"hello": "world"}
 */
export const TEST_REQUEST = {
  method: 'POST',
  targetUri: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest':
      'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  },
  body: '{"hello": "world"}',
} as const;

/**
 * B.2 test-response:
 *
 *   HTTP/1.1 200 OK
 *   Date: Tue, 20 Apr 2021 02:07:56 GMT
 *   Content-Type: application/json
 *   Content-Digest: sha-512=:mEWXIS7M…fLQ==:
 *   Content-Length: 23
 *
 *   {"message": "good dog"}
 */
export const TEST_RESPONSE = {
  status: 200,
  headers: {
    date: 'Tue, 20 Apr 2021 02:07:56 GMT',
    'content-type': 'application/json',
    'content-digest':
      'sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
    'content-length': '23',
  },
  body: '{"message": "good dog"}',
} as const;

/** B.2.4 Signing a Response Using ecdsa-p256-sha256 (randomised: verify only). */
export const B_2_4 = {
  label: 'sig-b24',
  signatureInput:
    'sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
  signatureBase: [
    '"@status": 200',
    '"content-type": application/json',
    '"content-digest": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
    '"content-length": 23',
    '"@signature-params": ("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
  ].join('\n'),
  signature:
    'sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:',
} as const;

/** B.2.6 Signing a Request Using ed25519 (deterministic: reproduced byte for byte). */
export const B_2_6 = {
  label: 'sig-b26',
  components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
  parameters: { created: 1618884473, keyid: 'test-key-ed25519' },
  signatureInput:
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  signatureBase: [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ].join('\n'),
  signature:
    'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
} as const;

const CLIENT_CERT =
  ':MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6MRswGQYDVQQKDBJMZXQncyBBdXRoZW50aWNhdGUxGzAZBgNVBAMMEkxBIEludGVybWVkaWF0ZSBDQTAeFw0yMDAxMTQyMjU1MzNaFw0yMTAxMjMyMjU1MzNaMA0xCzAJBgNVBAMMAkJDMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8YnXXfaUgmnMtOXU/IncWalRhebrXmckC8vdgJ1p5Be5F/3YC8OthxM4+k1M6aEAEFcGzkJiNy6J84y7uzo9M6NyMHAwCQYDVR0TBAIwADAfBgNVHSMEGDAWgBRm3WjLa38lbEYCuiCPct0ZaSED2DAOBgNVHQ8BAf8EBAMCBsAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0RAQH/BBMwEYEPYmRjQGV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gAMEUCIBHda/r1vaL6G3VliL4/Di6YK0Q6bMjeSkC3dFCOOB8TAiEAx/kHSB4urmiZ0NX5r5XarmPk0wmuydBVoU4hBVZ1yhk=:';

/** B.3 TLS-terminating proxy: the proxy's ecdsa-p256-sha256 signature, covering @query. */
export const B_3 = {
  request: {
    method: 'POST',
    targetUri: 'https://service.internal.example/foo?param=Value&Pet=dog',
    headers: {
      host: 'service.internal.example',
      date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'content-type': 'application/json',
      'content-length': '18',
      'client-cert': CLIENT_CERT,
    },
  },
  label: 'ttrp',
  signatureInput:
    'ttrp=("@path" "@query" "@method" "@authority" "client-cert");created=1618884473;keyid="test-key-ecc-p256"',
  signatureBase: [
    '"@path": /foo',
    '"@query": ?param=Value&Pet=dog',
    '"@method": POST',
    '"@authority": service.internal.example',
    `"client-cert": ${CLIENT_CERT}`,
    '"@signature-params": ("@path" "@query" "@method" "@authority" "client-cert");created=1618884473;keyid="test-key-ecc-p256"',
  ].join('\n'),
  signature:
    'ttrp=:xVMHVpawaAC/0SbHrKRs9i8I3eOs5RtTMGCWXm/9nvZzoHsIg6Mce9315T6xoklyy0yzhD9ah4JHRwMLOgmizw==:',
} as const;

/**
 * B.4 HTTP message transformations: one Ed25519 signature over a request whose Accept field
 * arrives as two lines, combined with ", " in the base. Deterministic.
 */
export const B_4 = {
  request: {
    method: 'GET',
    targetUri: 'https://example.org/demo?name1=Value1&Name2=value2',
    headers: {
      host: 'example.org',
      date: 'Fri, 15 Jul 2022 14:24:55 GMT',
      accept: ['application/json', '*/*'],
    },
  },
  label: 'transform',
  components: ['@method', '@path', '@authority', 'accept'],
  parameters: { created: 1618884473, keyid: 'test-key-ed25519' },
  signatureInput:
    'transform=("@method" "@path" "@authority" "accept");created=1618884473;keyid="test-key-ed25519"',
  signatureBase: [
    '"@method": GET',
    '"@path": /demo',
    '"@authority": example.org',
    '"accept": application/json, */*',
    '"@signature-params": ("@method" "@path" "@authority" "accept");created=1618884473;keyid="test-key-ed25519"',
  ].join('\n'),
  signature:
    'transform=:ZT1kooQsEHpZ0I1IjCqtQppOmIqlJPeo7DHR3SoMn0s5JZ1eRGS0A+vyYP9t/LXlh5QMFFQ6cpLt2m0pmj3NDA==:',
} as const;

/**
 * RFC 9421 §2.2 derived-component examples (request `POST /path?param=value&foo=bar&baz=bat%2Dman`
 * to `www.example.com`, §2.2.2–§2.2.7).
 */
export const DERIVED_COMPONENT_EXAMPLES = {
  targetUri: 'https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman',
  values: {
    '@method': 'POST',
    '@target-uri': 'https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman',
    '@authority': 'www.example.com',
    '@scheme': 'https',
    '@request-target': '/path?param=value&foo=bar&baz=bat%2Dman',
    '@path': '/path',
    '@query': '?param=value&foo=bar&baz=bat%2Dman',
  },
  /** §2.2.7: a request with no query string has `?` as its @query. */
  emptyQuery: { targetUri: 'https://www.example.com/path', query: '?' },
} as const;

/**
 * RFC 9530 §2 example (https://www.rfc-editor.org/rfc/rfc9530#section-2, as quoted on
 * rfcinfo.com/rfc-9530/2.Content-Digest): the sha-512 Content-Digest of the Appendix B content,
 * `{"hello": "world"}` followed by a line feed. Appendix B.1 gives its sha-256, and the
 * digest of empty content (Appendix B.2 style) is the well-known SHA-256 of nothing.
 */
export const RFC9530_EXAMPLES = {
  body: '{"hello": "world"}\n',
  sha512:
    'sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:',
  sha256: 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:',
  emptySha256: 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
} as const;

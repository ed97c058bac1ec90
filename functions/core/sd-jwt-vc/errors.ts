/**
 * Why the platform's own code could not build an SD-JWT VC or a presentation. A credential
 * that fails verification is never an error: the verifier returns its failed checks instead.
 */
export class SdJwtVcError extends Error {
  readonly code: 'invalid_license_input' | 'unknown_field' | 'not_an_sd_jwt';

  constructor(code: SdJwtVcError['code'], message: string) {
    super(message);
    this.name = 'SdJwtVcError';
    this.code = code;
  }
}

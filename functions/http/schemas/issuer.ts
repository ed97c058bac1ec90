import { z } from 'zod';
import { NO_CONTROL_CHARACTERS } from '#core/control-characters.ts';
import { MAX_LAYOUT_DOCUMENT_BYTES } from '#core/layout-document/format.ts';
import { ProblemSchema } from '../schemas.ts';

// Requests and responses of the issuer route group: issuing, status changes, re-issue, layout
// documents. Requests are strict (unknown fields refused); license data is checked against its
// type's field schema by the use case, which reports one error per field.

const TYPE_CODE = /^[0-9A-Z]{18}[0-9]{3}$/;
const CONTROL_CHARACTERS_REFUSED = 'expected text without control characters';

export const LicenseHolderInputSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(256)
      .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_REFUSED)
      .describe('持证主体: the holder name, as in the data'),
    codeType: z
      .string()
      .regex(/^\d{3}$/, 'expected 3 digits')
      .describe('持证主体代码类型: 111 citizen identity number, 001 USCC, …'),
    code: z
      .string()
      .min(1)
      .max(64)
      .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_REFUSED)
      .describe('持证主体代码, as in the data'),
  })
  .meta({
    id: 'LicenseHolderInput',
    description: 'The holder; must agree with the holder fields of the data',
  });

export const LicenseValidityInputSchema = z
  .strictObject({
    from: z.string().min(1).max(32).describe('First valid day, YYYY-MM-DD'),
    until: z.string().min(1).max(32).describe('Last valid day, YYYY-MM-DD, or long-term (长期)'),
  })
  .meta({
    id: 'LicenseValidityInput',
    description:
      "Validity period; required for a type without a validity field and when the data leaves out an optional one, and must agree with the data's when it has one",
  });

const licenseData = z
  .record(z.string(), z.unknown())
  .describe(
    "Field name → value, checked against the type's field schema (GET /license-types/{code}); a control character (U+0000–U+001F, U+007F–U+009F, line breaks included) anywhere in a value is refused with the field's error `control-character`",
  );

const licenseRequestFields = {
  typeCode: z.string().regex(TYPE_CODE, 'expected a 21-character type code').describe('证照类型代码'),
  serial: z
    .string()
    .regex(/^[0-9A-Z]{1,32}$/, 'expected 1–32 characters of 0-9 and A-Z')
    .optional()
    .describe(
      '流水号; when absent, 16 characters of 0-9A-Z derived from the agency, the Idempotency-Key and a batch item’s position, so a retry whose idempotency record was lost names the same license (of the same type only: the identifier includes the type code). It is part of the license identifier, shown in clear wherever the license is named: one holding the holder’s own code, or the value of one of the license’s sensitive string or number fields (six characters of 0-9A-Z or more, such as a file number), is refused 400 validation-failed naming `serial` (other numbers shaped like an identity number are an issuer’s numbering, and taken)',
    ),
  holder: LicenseHolderInputSchema,
  data: licenseData,
  validity: LicenseValidityInputSchema.optional(),
};

/** Base64 of the largest layout document, padded. */
const MAX_DOCUMENT_BASE64 = Math.ceil(MAX_LAYOUT_DOCUMENT_BYTES / 3) * 4;

const LayoutDocumentInputSchema = z
  .strictObject({
    mediaType: z.string().min(1).max(128).describe('application/pdf or application/ofd'),
    content: z
      .base64()
      .min(1)
      .max(MAX_DOCUMENT_BASE64)
      .describe('The document, base64 (standard alphabet, padded)'),
  })
  .meta({
    id: 'LayoutDocumentInput',
    description:
      'The layout document (版式文件) the license is printed as, checked and stored like an attached one. On AWS the whole request is at most ≈ 4 MB of document (Lambda takes 6 MB, base64 inside); attach larger ones afterwards through /licenses/{id}/document-uploads',
  });

export const IssueLicenseRequestSchema = z
  .strictObject({ ...licenseRequestFields, document: LayoutDocumentInputSchema.optional() })
  .meta({
    id: 'IssueLicenseRequest',
    description: 'One license to issue, optionally with its layout document',
  });

/** A batch item: a license without its document (a batch of documents would not fit one request). */
export const IssueLicenseBatchItemSchema = z.strictObject(licenseRequestFields).meta({
  id: 'IssueLicenseBatchItem',
  description: 'One license of a batch; documents are attached afterwards',
});

const StatusListReferenceSchema = z
  .object({ uri: z.string(), idx: z.number().int().nonnegative() })
  .describe('The Token Status List entry of the license');

export const IssuedLicenseSchema = z
  .object({
    licenseId: z.string().describe('GB/T 36904 identifier of the version'),
    version: z.string().describe('3-digit version, 001 first'),
    status: z.literal('valid'),
    statusList: StatusListReferenceSchema,
    sdJwt: z.string().describe('The signed license (SD-JWT VC) with every disclosure'),
  })
  .meta({ id: 'IssuedLicense' });

/** What the batch route documents; items are parsed one by one (see IssueLicenseBatchEnvelopeSchema). */
export const IssueLicenseBatchRequestSchema = z
  .strictObject({ items: z.array(IssueLicenseBatchItemSchema).min(1).max(100) })
  .meta({ id: 'IssueLicenseBatchRequest', description: 'Up to 100 licenses, each issued on its own' });

/** The batch as parsed: the envelope strictly, each item on its own so that one bad item fails alone. */
export const IssueLicenseBatchEnvelopeSchema = z.strictObject({
  items: z.array(z.unknown()).min(1, 'expected at least 1 item').max(100, 'expected at most 100 items'),
});

export const IssueLicenseBatchResultSchema = z
  .object({
    issued: z.number().int().describe('Items issued'),
    failed: z.number().int().describe('Items refused or failed'),
    items: z.array(
      z.object({
        index: z.number().int().describe('Position in the request'),
        status: z.number().int().describe('201, or the status of the problem'),
        licenseId: z.string().optional(),
        version: z.string().optional(),
        statusList: StatusListReferenceSchema.optional(),
        problem: ProblemSchema.optional(),
      }),
    ),
  })
  .meta({
    id: 'IssueLicenseBatchResult',
    description: 'Every item’s outcome in request order; partial success is explicit in the counts',
  });

/** Refused by the use case when it names a citizen identity number (core/holders/identity-in-text.ts). */
const NO_ID_NUMBER = 'no citizen identity number (400 when it names one)';
const reason = z
  .string()
  .trim()
  .min(1, 'expected a reason')
  .max(1000)
  .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_REFUSED);

export const SuspendLicenseRequestSchema = z
  .strictObject({
    reason: reason.describe(`Why (挂失, 暂扣, …); recorded and audited for good: ${NO_ID_NUMBER}`),
  })
  .meta({ id: 'SuspendLicenseRequest' });

export const ReinstateLicenseRequestSchema = z
  .strictObject({ reason: reason.optional().describe(`Why; recorded and audited for good: ${NO_ID_NUMBER}`) })
  .meta({ id: 'ReinstateLicenseRequest' });

export const RevokeLicenseRequestSchema = z
  .strictObject({
    reason: reason.describe(`Why (吊销, 注销, …); required, recorded and audited for good: ${NO_ID_NUMBER}`),
  })
  .meta({ id: 'RevokeLicenseRequest' });

export const ChangedLicenseStatusSchema = z
  .object({
    licenseId: z.string(),
    version: z.string(),
    status: z.enum(['valid', 'suspended', 'revoked', 'superseded']),
    statusList: StatusListReferenceSchema,
  })
  .meta({ id: 'ChangedLicenseStatus' });

export const ReissueLicenseRequestSchema = z
  .strictObject({
    reason: reason.optional().describe(`Why (换发, 补发, …); recorded and audited for good: ${NO_ID_NUMBER}`),
    data: licenseData
      .optional()
      .describe(
        'The new version’s data; the current data when absent. A validity the data does not carry is, when not sent, the current version’s. The layout document stays bound only to a new version with the same data (not sent, or sent as it is, in any spelling the type normalises) and validity',
      ),
    holder: LicenseHolderInputSchema.optional(),
    validity: LicenseValidityInputSchema.optional(),
  })
  .meta({ id: 'ReissueLicenseRequest' });

export const ReissuedLicenseSchema = IssuedLicenseSchema.extend({
  supersedes: z.string().describe('The version this one supersedes'),
}).meta({ id: 'ReissuedLicense' });

const Sha256Schema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'expected a SHA-256 digest, unpadded base64url (43 characters)')
  .describe('SHA-256 of the bytes, unpadded base64url');

export const DocumentUploadRequestSchema = z
  .strictObject({
    sha256: Sha256Schema,
    size: z.number().int().min(1).max(MAX_LAYOUT_DOCUMENT_BYTES).describe('Exact byte count, at most 20 MiB'),
    mediaType: z.enum(['application/pdf', 'application/ofd']),
  })
  .meta({ id: 'DocumentUploadRequest' });

export const DocumentUploadSchema = z
  .object({
    licenseId: z.string(),
    upload: z.string().describe('Names the upload when completing it'),
    url: z.string().describe('PUT the bytes here'),
    method: z.literal('PUT'),
    headers: z
      .record(z.string(), z.string())
      .describe('Headers the PUT must carry exactly as given (most are signed)'),
    expiresAt: z.string().describe('The URL is refused after this time (15 minutes)'),
    sha256: z.string(),
    size: z.number().int(),
    mediaType: z.string(),
  })
  .meta({ id: 'DocumentUpload', description: 'A presigned upload of a layout document for one license' });

export const CompleteDocumentUploadRequestSchema = z
  .strictObject({
    upload: z.string().min(1).max(200).describe('The `upload` of the DocumentUpload'),
    sha256: Sha256Schema,
  })
  .meta({ id: 'CompleteDocumentUploadRequest' });

export const AttachedLicenseDocumentSchema = z
  .object({
    licenseId: z.string(),
    version: z.string(),
    document: z.object({
      sha256: z.string().describe('SHA-256 of the bytes, unpadded base64url: the binding to the license'),
      size: z.number().int(),
      mediaType: z.enum(['application/pdf', 'application/ofd']),
    }),
  })
  .meta({ id: 'AttachedLicenseDocument' });

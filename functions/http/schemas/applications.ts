import { z } from 'zod';
import { APPLICATION_ACTIONS, APPLICATION_STATES } from '#core/applications/application.ts';
import { LINES_WITHOUT_CONTROL_CHARACTERS } from '#core/control-characters.ts';
import { PageQuerySchema } from './paging.ts';

// Requests and responses of license applications (申请 → 审核 → 颁发), both sides: the holder's
// (/holder/applications…) and the issuing agency's (/applications…). Requests are strict; the
// applied data is checked against its type's field schema by the use case, one error per field.

const TYPE_CODE = /^[0-9A-Z]{18}[0-9]{3}$/;
/** 2 MiB of bytes in base64. */
const MAX_BASE64_CHARS = Math.ceil((2 * 1024 * 1024) / 3) * 4;

export const ApplicationIdSchema = z.uuid();

// A note is a message between applicant and officer, so it may run over several lines: LF is
// its one line break. Every other control character is refused, CR included — a lone CR
// rewrites the line before it on a terminal, and a note is shown to the other party for good.
const note = z
  .string()
  .min(1)
  .max(2000)
  .regex(
    LINES_WITHOUT_CONTROL_CHARACTERS,
    'expected text without control characters (a line break is LF alone)',
  );

const ValiditySchema = z.strictObject({
  from: z.string().min(1).max(32).describe('First valid day, YYYY-MM-DD'),
  until: z.string().min(1).max(32).describe('Last valid day, YYYY-MM-DD, or long-term (长期)'),
});

export const AttachmentInputSchema = z
  .strictObject({
    mediaType: z
      .string()
      .min(1)
      .max(100)
      .describe('application/pdf, application/ofd, image/jpeg or image/png'),
    content: z.base64().max(MAX_BASE64_CHARS).describe('The document itself, base64; at most 2 MiB'),
    sha256: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'expected an unpadded base64url SHA-256')
      .optional()
      .describe('The digest the bytes must have; refused if they do not'),
  })
  .meta({
    id: 'ApplicationAttachmentInput',
    description: 'A supporting document (PDF, OFD, or a JPEG or PNG image), bound by its digest',
  });

const attachments = z
  .array(AttachmentInputSchema)
  .max(3)
  .describe('At most 3 per request, 20 per application');

export const ApplyRequestSchema = z
  .strictObject({
    typeCode: z.string().regex(TYPE_CODE, 'expected a 21-character type code').describe('证照类型代码'),
    agency: z
      .string()
      .regex(/^[0-9A-Z]{18}$/, 'expected an 18-character USCC')
      .optional()
      .describe('The issuing agency; may be left out when the type has one issuer'),
    data: z
      .record(z.string(), z.unknown())
      .describe(
        "Field name → value, checked against the type's field schema; the holder code may be left out",
      ),
    validity: ValiditySchema.optional().describe(
      "Needed when the data carries no validity (the type has no validity field, or an optional one is left out); else it must agree with the data's, and is kept there only",
    ),
    note: note.optional(),
    attachments: attachments.optional(),
  })
  .meta({
    id: 'ApplyRequest',
    description: 'An application for a license, in the applicant’s own proofed identity',
  });

const dataChanges = z
  .record(z.string(), z.unknown())
  .describe('Fields to change: a value replaces the field, null removes it; the rest stays');

export const RespondRequestSchema = z
  .strictObject({
    note: note.optional(),
    data: dataChanges.optional(),
    validity: ValiditySchema.optional(),
    attachments: attachments.optional(),
  })
  .meta({ id: 'RespondToApplicationRequest', description: 'The answer to a request for information' });

export const WithdrawRequestSchema = z
  .strictObject({ note: note.optional() })
  .meta({ id: 'WithdrawApplicationRequest' });

export const RequestInformationSchema = z
  .strictObject({ note: note.describe('What the applicant must add or correct') })
  .meta({ id: 'RequestApplicationInformation' });

export const RejectRequestSchema = z
  .strictObject({ reason: note.describe('Why the application is refused; the holder reads it') })
  .meta({ id: 'RejectApplicationRequest' });

export const ApproveRequestSchema = z
  .strictObject({
    data: dataChanges.optional().describe('Corrections or completions of the applied data before issuing'),
    validity: ValiditySchema.optional(),
    note: note.optional(),
  })
  .meta({ id: 'ApproveApplicationRequest' });

export const ApplicationStateSchema = z.enum(APPLICATION_STATES);

export const ApplicationSummarySchema = z
  .object({
    id: z.string(),
    typeCode: z.string(),
    agency: z.string().describe('USCC of the issuing agency the application is addressed to'),
    holderAccount: z.string(),
    holderCodeType: z.string(),
    state: ApplicationStateSchema,
    created: z.string(),
    updated: z.string(),
    version: z.number().int().describe('The number of steps so far'),
    licenseId: z.string().optional().describe('The license issued, once approved'),
  })
  .meta({ id: 'ApplicationSummary' });

export const ApplicationListSchema = z
  .object({
    applications: z.array(ApplicationSummarySchema),
    cursor: z.string().optional().describe('Pass as ?cursor= for the next page'),
    auditEventId: z.string().describe('The audit event of this read (application.listed)'),
  })
  .meta({ id: 'ApplicationList' });

const StepSchema = z.object({
  seq: z.number().int(),
  action: z.enum(['submit', ...APPLICATION_ACTIONS]),
  from: ApplicationStateSchema.nullable(),
  to: ApplicationStateSchema,
  actor: z.object({ kind: z.enum(['holder', 'agency']), id: z.string() }),
  time: z.string(),
  note: z.string().optional().describe('The request, reason or message of the step'),
  licenseId: z.string().optional(),
  attachments: z.array(z.string()).optional().describe('Digests of the attachments added'),
  dataChanged: z
    .boolean()
    .optional()
    .describe(
      'Set when the step changed the data as stored (a response’s or an approval’s changes): data or validity restated as it stands changes nothing',
    ),
});

export const ApplicationSchema = ApplicationSummarySchema.extend({
  data: z
    .record(z.string(), z.unknown())
    .describe(
      'The applied data, normalised; once an approval is decided, the data as decided — what the license is issued with',
    ),
  validity: z.object({ from: z.string(), until: z.string() }).optional(),
  applied: z
    .object({
      data: z.record(z.string(), z.unknown()),
      validity: z.object({ from: z.string(), until: z.string() }).optional(),
    })
    .optional()
    .describe(
      'The data as the holder applied with it (or last corrected it), kept beside the decided data; present only when the approval changed it',
    ),
  attachments: z.array(
    z.object({
      sha256: z.string(),
      size: z.number().int(),
      mediaType: z.string(),
      added: z.string(),
      step: z.number().int(),
      download: z.object({ url: z.string(), expiresAt: z.string() }).describe('A link valid for 5 minutes'),
    }),
  ),
  history: z.array(StepSchema).describe('Every step, oldest first'),
}).meta({ id: 'Application', description: 'An application with its data, attachments and whole history' });

export const ApplicationReadSchema = ApplicationSchema.extend({
  auditEventId: z.string().describe('The audit event of this read (application.viewed)'),
}).meta({ id: 'ApplicationRead', description: 'An application as read, with the audit event of the read' });

export const ApprovedApplicationSchema = z
  .object({
    application: ApplicationSchema,
    license: z.object({ licenseId: z.string(), version: z.string() }).describe('The license issued'),
  })
  .meta({ id: 'ApprovedApplication' });

export const HolderApplicationListQuery = {
  limit: 'Page size, 1–100 (default 100)',
  cursor: 'The cursor of the previous page',
} as const;

export const AgencyApplicationListQuery = {
  state:
    'submitted (default), info-requested, approving (decided, license not yet recorded: approve again to finish), approved, rejected or withdrawn',
  ...HolderApplicationListQuery,
} as const;

/**
 * The holder's listing: a page of all their applications. The store has no index by holder and
 * state, so there is no ?state here — strict, so a ?state is refused rather than ignored.
 */
export const HolderApplicationListQuerySchema = PageQuerySchema;

/** The agency's queue: one state, a page. */
export const ApplicationListQuerySchema = z.strictObject({
  state: ApplicationStateSchema.optional(),
  ...HolderApplicationListQuerySchema.shape,
});

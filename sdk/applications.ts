// License applications (申请 → 审核 → 颁发) as both sides of the SDK see them: the holder applies
// and answers (holder.ts), the issuing agency reviews and decides (issuer.ts). Types only, written
// out here rather than imported from the platform's schemas (functions/http/schemas/applications.ts)
// so the SDK stays usable without the server code.

/** `approving`: the agency decided to approve and the license is being issued; no withdrawal any more. */
export type ApplicationState =
  | 'submitted'
  | 'info-requested'
  | 'approving'
  | 'approved'
  | 'rejected'
  | 'withdrawn';

export interface ApplicationValidity {
  /** YYYY-MM-DD. */
  from: string;
  /** YYYY-MM-DD, or `long-term` (长期). */
  until: string;
}

/** A supporting document (PDF, OFD, or a JPEG or PNG image such as an ID photo), at most 2 MiB. */
export interface ApplicationAttachmentInput {
  mediaType: 'application/pdf' | 'application/ofd' | 'image/jpeg' | 'image/png';
  /** The document's bytes, base64. */
  content: string;
  /** Unpadded base64url SHA-256 the bytes must have; refused if they do not. */
  sha256?: string;
}

export interface ApplyRequest {
  /** 证照类型代码. */
  typeCode: string;
  /** USCC of the issuing agency; may be left out when the type has one issuer. */
  agency?: string;
  /** Field name → value, checked against the type's field schema; the holder code may be left out. */
  data: Record<string, unknown>;
  /** Only for types whose data carries no validity field. */
  validity?: ApplicationValidity;
  note?: string;
  /** At most 3 per request, 20 per application. */
  attachments?: ApplicationAttachmentInput[];
}

/** The answer to an agency's request for information (补正). */
export interface ApplicationResponse {
  note?: string;
  /** Fields to change: a value replaces the field, `null` removes it; the rest stays. */
  data?: Record<string, unknown>;
  validity?: ApplicationValidity;
  attachments?: ApplicationAttachmentInput[];
}

export interface ApproveRequest {
  /** Corrections or completions of the applied data before issuing (`null` removes a field). */
  data?: Record<string, unknown>;
  validity?: ApplicationValidity;
  note?: string;
}

export interface ApplicationSummary {
  id: string;
  typeCode: string;
  /** USCC of the issuing agency the application is addressed to. */
  agency: string;
  holderAccount: string;
  holderCodeType: string;
  state: ApplicationState;
  created: string;
  updated: string;
  /** The number of steps so far. */
  version: number;
  /** The license issued, once approved. */
  licenseId?: string;
}

export interface ApplicationList {
  applications: ApplicationSummary[];
  /** Pass as `cursor` for the next page. */
  cursor?: string;
  /** The audit event of this read (application.listed). */
  auditEventId: string;
}

export interface ApplicationAttachment {
  sha256: string;
  size: number;
  mediaType: string;
  added: string;
  step: number;
  /** A link valid for 5 minutes. */
  download: { url: string; expiresAt: string };
}

export interface ApplicationStep {
  seq: number;
  action: 'submit' | 'request-info' | 'respond' | 'approve' | 'issue' | 'reject' | 'withdraw';
  from: ApplicationState | null;
  to: ApplicationState;
  actor: { kind: 'holder' | 'agency'; id: string };
  time: string;
  /** The request, reason or message of the step. */
  note?: string;
  licenseId?: string;
  /** Digests of the attachments added. */
  attachments?: string[];
  dataChanged?: boolean;
}

/** An application with its data, attachments and whole history (oldest step first). */
export interface Application extends ApplicationSummary {
  /** The data as applied; once an approval is decided, as decided (what the license is issued with). */
  data: Record<string, unknown>;
  validity?: ApplicationValidity;
  /** The data as the holder applied with it, present only when the approval changed it. */
  applied?: { data: Record<string, unknown>; validity?: ApplicationValidity };
  attachments: ApplicationAttachment[];
  history: ApplicationStep[];
}

/** An application as read with GET: the read is audited before it answers. */
export interface ApplicationRead extends Application {
  /** The audit event of this read (application.viewed). */
  auditEventId: string;
}

export interface ApprovedApplication {
  application: Application;
  /** The license issued. */
  license: { licenseId: string; version: string };
}

// Text of the catalog that reaches licenses and audit records: a field's name becomes a claim name
// of every license signed after, its label and the type's name are shown beside them, an
// agreement's purposes become a retrieval's purpose in the audit log. Such text refuses control
// characters (control-characters.ts) as license data does. Checked when the operator registers or
// updates a record, not in the record's schema, which also reads stored records: one stored before
// the check must stay readable.
import { CONTROL_CHARACTER } from '#core/control-characters.ts';

/** One control character found: where, and what, counted in characters (not UTF-16 units). */
export interface TextIssue {
  path: string;
  message: string;
}

/** An issue for each text, by path, that holds a control character. */
export function controlCharacterIssues(texts: Iterable<readonly [path: string, text: string]>): TextIssue[] {
  const issues: TextIssue[] = [];
  for (const [path, text] of texts) {
    const characters = [...text];
    const at = characters.findIndex((c) => CONTROL_CHARACTER.test(c));
    if (at < 0) continue;
    const code = characters[at]!.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    issues.push({
      path,
      message: `expected text without control characters, found U+${code} at character ${at + 1}`,
    });
  }
  return issues;
}

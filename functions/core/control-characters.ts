// Characters that steer how text is shown rather than being part of it. Text the platform signs,
// stores for good or shows to another party (license data, holder names, reasons, purposes,
// notes) refuses them: a NUL or an escape sequence is never a holder's name, only a broken
// export or an attempt on whatever displays it later. Beside the C0/C1 controls (\p{Cc}: NUL,
// ESC, CR, LF, …) that is the Unicode line and paragraph separators (U+2028, U+2029), which
// break a line like LF, and the bidirectional embeddings, overrides and isolates (U+202A–202E,
// U+2066–2069), which reorder what a reader sees against what is signed ("Trojan Source",
// CVE-2021-42574). Left alone: the marks (U+200E/200F) and joiners (ZWJ, ZWNJ) real text needs.

const STEERING = String.raw`\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069`;

/** Matches one control character anywhere in a text. */
export const CONTROL_CHARACTER = new RegExp(`[${STEERING}]`, 'u');

/** Matches a text with no control character at all. */
export const NO_CONTROL_CHARACTERS = new RegExp(`^[^${STEERING}]*$`, 'u');

/** Matches a text whose only control character is LF: several lines, nothing else steered. */
export const LINES_WITHOUT_CONTROL_CHARACTERS = new RegExp(`^(?:\\n|[^${STEERING}])*$`, 'u');

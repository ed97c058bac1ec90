// Civil dates (YYYY-MM-DD, no time zone): the dates printed on licenses. The core has no clock,
// so "today" always arrives as one of these from the caller. Strings in this form compare
// correctly with < and >, which the rest of the core relies on.

/** A calendar date written `YYYY-MM-DD`. */
export type CivilDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `value` is `YYYY-MM-DD` and names a day that exists (no 2023-02-29). */
export function isCivilDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// Each form either uses one separator throughout or none at all, so that "2015-11" is never
// read as 2015-1-1.
const PRINTED_DATES = [
  /^(\d{4})([-./])(\d{1,2})\2(\d{1,2})$/,
  /^(\d{4})()(\d{2})(\d{2})$/,
  /^(\d{4})(年)(\d{1,2})月(\d{1,2})日?$/,
];

/**
 * Reads a date as issuers send it — `2015-03-01`, `2015.03.01`, `2015/3/1`, `20150301`,
 * `2015年3月1日` — and returns it as `YYYY-MM-DD`, or undefined when it is not a real day.
 */
export function normaliseCivilDate(value: string): CivilDate | undefined {
  const text = value.trim();
  for (const form of PRINTED_DATES) {
    const m = form.exec(text);
    if (!m) continue;
    const date = `${m[1]}-${m[3]!.padStart(2, '0')}-${m[4]!.padStart(2, '0')}`;
    return isCivilDate(date) ? date : undefined;
  }
  return undefined;
}

/**
 * Adds whole years; a 29 February start lands on 28 February in a common year, which is how
 * fixed terms are counted on documents issued on a leap day.
 */
export function addYears(date: CivilDate, years: number): CivilDate {
  const m = ISO_DATE.exec(date);
  if (!m) throw new RangeError(`expected a YYYY-MM-DD date, found ${JSON.stringify(date)}`);
  const year = Number(m[1]) + years;
  const month = Number(m[2]);
  const day = Math.min(Number(m[3]), daysInMonth(year, month));
  return `${String(year).padStart(4, '0')}-${m[2]}-${String(day).padStart(2, '0')}`;
}

// Week view dates. Pure; calendar dates are YYYY-MM-DD shifted in UTC arithmetic.

import { shiftDate } from "./format";

/** The Monday of the week `date` (YYYY-MM-DD) falls in. */
export function mondayOf(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
  return shiftDate(date, -((weekday + 6) % 7));
}

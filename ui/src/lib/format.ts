// Formatting of clock times, money and calendar dates; calendar dates are "YYYY-MM-DD" strings, never Date objects.

import type { Locale } from "./i18n";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "HH:MM" for minutes since local midnight; 1440 is "24:00" (end of day). */
export function formatClock(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 24 * 60) {
    throw new RangeError(`minutes out of range: ${minutes}`);
  }
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** Money given as integer fen, e.g. 1250 → "¥12.50". */
export function formatMoney(fen: number, locale: Locale): string {
  if (!Number.isSafeInteger(fen)) {
    throw new RangeError(`fen must be an integer: ${fen}`);
  }
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: "CNY",
    currencyDisplay: "narrowSymbol",
  }).format(fen / 100);
}

/** True when `s` is a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Midnight UTC of a calendar date; used only as a time-zone-free calendar value. */
function utcDate(iso: string): Date {
  if (!isIsoDate(iso)) throw new RangeError(`not a YYYY-MM-DD date: ${iso}`);
  const [y, mo, d] = iso.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, mo - 1, d));
}

/** The calendar date `days` days after `iso` (negative for before), independent of the machine's time zone. */
export function shiftDate(iso: string, days: number): string {
  const t = utcDate(iso);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** A calendar date for humans, e.g. "2025年3月10日星期一" or "Monday, March 10, 2025". */
export function formatDate(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: "UTC",
    year: "numeric",
    month: "long",
    day: "numeric",
    weekday: "long",
  }).format(utcDate(iso));
}

/** The day of the week of a calendar date, e.g. "星期一" or "Monday". */
export function formatWeekday(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "long" }).format(utcDate(iso));
}

/** The wall-clock date and minutes since midnight of instant `now` in IANA zone `timeZone`. */
export function wallClock(now: Date, timeZone: string): { date: string; minutes: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    date: `${get("year")}-${get("month")}-${get("day")}`,
    minutes: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

/** An instant (ISO UTC) as date and time on the wall clock of `timeZone`, worded for `locale`. */
export function formatInstant(iso: string, locale: Locale, timeZone: string): string {
  const t = new Date(iso);
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(t);
  } catch {
    // A time zone Intl does not know: the machine's own.
    return new Intl.DateTimeFormat(locale, options).format(t);
  }
}

/** How long since `iso` at `now`, rounded down to whole minutes, hours or days (at least 0 minutes). */
export function waited(iso: string, now: Date): { unit: "minutes" | "hours" | "days"; n: number } {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 60_000));
  if (minutes < 60) return { unit: "minutes", n: minutes };
  if (minutes < 48 * 60) return { unit: "hours", n: Math.floor(minutes / 60) };
  return { unit: "days", n: Math.floor(minutes / (24 * 60)) };
}

/** The instant (ISO UTC) of `minutes` after local midnight of calendar date `date` in IANA zone `timeZone`. */
export function zonedInstant(date: string, minutes: number, timeZone: string): string {
  const [y, mo, d] = utcDate(date).toISOString().slice(0, 10).split("-").map(Number) as [number, number, number];
  const wanted = Date.UTC(y, mo - 1, d, 0, minutes);
  let t = wanted;
  // Two corrections settle the zone's offset (also across a DST change).
  for (let i = 0; i < 2; i++) {
    const wall = wallClock(new Date(t), timeZone);
    const [wy, wm, wd] = wall.date.split("-").map(Number) as [number, number, number];
    t += wanted - Date.UTC(wy, wm - 1, wd, 0, wall.minutes);
  }
  return new Date(t).toISOString();
}

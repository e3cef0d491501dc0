/**
 * FORMAT_TIME (`ts fmt → s`, LANGUAGE.md §7): a Unix time in seconds formatted in UTC with the
 * strftime directives `%Y %m %d %H %M %S %j %a %b %%`.
 *
 * Choices: a Float ts is rounded down to a whole second (so -0.5 is 23:59:59 of 1969-12-31);
 * `%Y` is the proleptic Gregorian year zero-padded to 4 digits, with a sign outside 0…9999
 * (as Rust's chrono writes it: `-0001`, `+10000`); `%a`/`%b` are the English abbreviations;
 * any other directive, or a lone `%` at the end, is the catchable error
 * `Invalid time format: <fmt>`; a time JavaScript dates cannot hold (beyond ±8.64e12 s, NaN,
 * ±inf) is `Invalid timestamp: <ts>`.
 */
import { R_TMP0 } from "../proc/pcb.ts";
import { T_FLOAT } from "../term/tags.ts";
import { typeMismatch, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { replaceWithTmp } from "./ops_data.ts";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** The largest |time| in milliseconds a JavaScript Date holds. */
const MAX_DATE_MS = 8.64e15;

export function formatTimeOp(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "FORMAT_TIME");
  const ts = m.arg(pcb, 1), fmt = m.arg(pcb, 0);
  const isNumber = v.isInt(ts) || v.tag(ts) === T_FLOAT;
  if (!isNumber || !v.isStr(fmt)) {
    throw typeMismatch("FORMAT_TIME", "a time in seconds (int or float) and a format string", [
      v.debug(ts),
      v.debug(fmt),
    ]);
  }
  const seconds = v.isInt(ts) ? v.intNumber(ts) : Math.floor(v.num(ts));
  const format = v.str(fmt);
  it.charge(format.length);
  v.putStr(pcb, pcb + R_TMP0, formatTime(seconds, format, v.display(ts)));
  replaceWithTmp(it, pcb, 2);
}

/** `format` applied to Unix time `seconds` (an integer) in UTC; `shown` is how errors name
 *  the time. */
export function formatTime(seconds: number, format: string, shown = String(seconds)): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw new VmError(`Invalid timestamp: ${shown}`);
  }
  const d = new Date(ms);
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch !== "%") {
      out += ch;
      continue;
    }
    const directive = format[++i];
    switch (directive) {
      case "Y":
        out += year(d.getUTCFullYear());
        break;
      case "m":
        out += pad(d.getUTCMonth() + 1, 2);
        break;
      case "d":
        out += pad(d.getUTCDate(), 2);
        break;
      case "H":
        out += pad(d.getUTCHours(), 2);
        break;
      case "M":
        out += pad(d.getUTCMinutes(), 2);
        break;
      case "S":
        out += pad(d.getUTCSeconds(), 2);
        break;
      case "j":
        out += pad(dayOfYear(d), 3);
        break;
      case "a":
        out += WEEKDAYS[d.getUTCDay()];
        break;
      case "b":
        out += MONTHS[d.getUTCMonth()];
        break;
      case "%":
        out += "%";
        break;
      default:
        throw new VmError(`Invalid time format: ${format}`);
    }
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function year(y: number): string {
  if (y >= 0 && y <= 9999) return pad(y, 4);
  return (y < 0 ? "-" : "+") + pad(Math.abs(y), 4);
}

function dayOfYear(d: Date): number {
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  // Date.UTC maps years 0…99 to 1900…1999; rebuild January 1st for those years explicitly.
  const jan1 = new Date(start);
  jan1.setUTCFullYear(d.getUTCFullYear());
  return Math.floor((d.getTime() - jan1.getTime()) / 86_400_000) + 1;
}

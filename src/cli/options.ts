/**
 * Command-line options as one declarative table: each option is one row (its spelling, whether
 * it takes a value, how the value is checked, its help line), and `parseOptions` turns argv into
 * a typed record of the options given. Adding an option = one row here + its handling where the
 * parsed record is used (src/cli/main.ts).
 *
 * Syntax (invariants):
 * - Options come before the program path; parsing stops at the first argument that is not an
 *   option (the program) or after `--`. Everything after belongs to the program.
 * - A flag takes no value (`--verbose`; `--verbose=1` is an error).
 * - A value option takes `--name=V` or `--name V` (`--reductions 200`, `--reductions=200`).
 * - An optional-value option takes `--name=V`, or `--name V` when V looks like its value (for
 *   numbers: starts with a digit), else its implicit value (`--smp`, `--smp=2`, `--smp 2`).
 * - Every problem is a UsageError whose message says what is wrong (unknown option with a
 *   "did you mean", missing value, bad value and why); the CLI prints it as `Error: …` plus a
 *   hint and exits 2.
 */
import { nearest } from "../asm/suggest.ts";

/** A command-line mistake: printed as `Error: <message>` and a hint, exit status 2. */
export class UsageError extends Error {}

export type ParsedValue<T> = { ok: true; value: T } | { ok: false; message: string };

export interface OptionRow<T> {
  /** `flag`: no value; `value`: a value is required; `optional`: the value may be omitted. */
  kind: "flag" | "value" | "optional";
  /** One-letter alias (`-h`). */
  short?: string;
  /** Name of the value in help and messages (`N`, `FILE`). */
  valueName?: string;
  help: string;
  /** Checks and converts a value text; the message says what a good value is. */
  parse: (text: string) => ParsedValue<T>;
  /** `optional`: the value when none is given. */
  implicit?: () => T;
  /** `optional`: whether a separate next argument is this option's value. */
  takesNext?: (text: string) => boolean;
}

export type OptionTable = Record<string, OptionRow<unknown>>;

/** The options given on a command line, by row name. */
export type ParsedOptions<Table> = {
  [K in keyof Table]?: Table[K] extends OptionRow<infer T> ? T : never;
};

export interface ParsedCommandLine<Table> {
  options: ParsedOptions<Table>;
  /** The program path and its arguments (what follows the options). */
  rest: string[];
}

// ── row builders ─────────────────────────────────────────────────────────────────────────

/** An option without a value. */
export function flag(help: string, short?: string): OptionRow<true> {
  return { kind: "flag", short, help, parse: () => ({ ok: true, value: true }) };
}

function integerParser(min: number, max: number): (text: string) => ParsedValue<number> {
  return (text) => {
    const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return { ok: true, value: n };
    return { ok: false, message: `expected an integer from ${min} to ${max}` };
  };
}

/** An option with a required integer value in [min, max]. */
export function integer(
  valueName: string,
  min: number,
  max: number,
  help: string,
): OptionRow<number> {
  return { kind: "value", valueName, help, parse: integerParser(min, max) };
}

/** An option with an optional integer value in [min, max]; `implicit` when omitted. */
export function optionalInteger(
  valueName: string,
  min: number,
  max: number,
  implicit: () => number,
  help: string,
): OptionRow<number> {
  return {
    kind: "optional",
    valueName,
    help,
    parse: integerParser(min, max),
    implicit,
    takesNext: (text) => /^[0-9]/.test(text),
  };
}

/** An option with a required text value; `check` returns an error message or undefined. */
export function text(
  valueName: string,
  help: string,
  check: (value: string) => string | undefined = (v) =>
    v === "" ? "expected a non-empty value" : undefined,
): OptionRow<string> {
  return {
    kind: "value",
    valueName,
    help,
    parse: (value) => {
      const message = check(value);
      return message === undefined ? { ok: true, value } : { ok: false, message };
    },
  };
}

// ── parsing ──────────────────────────────────────────────────────────────────────────────

/** Parses the options at the start of `argv` against `table`. Throws UsageError. */
export function parseOptions<Table extends OptionTable>(
  table: Table,
  argv: readonly string[],
): ParsedCommandLine<Table> {
  const options: Record<string, unknown> = {};
  const byShort = new Map<string, string>();
  for (const [name, row] of Object.entries(table)) if (row.short) byShort.set(row.short, name);
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      name = byShort.get(arg) ?? "";
      if (name === "") throw unknownOption(table, arg);
    }
    const row = Object.hasOwn(table, name) ? table[name] : undefined;
    if (row === undefined) throw unknownOption(table, `--${name}`);
    const shown = `--${name}`;
    let valueText: string | undefined = inline;
    switch (row.kind) {
      case "flag":
        if (inline !== undefined) throw new UsageError(`${shown} takes no value (got '${arg}')`);
        break;
      case "value":
        if (valueText === undefined) {
          if (i + 1 >= argv.length) {
            throw new UsageError(`${shown} needs a value: ${shown} ${row.valueName ?? "VALUE"}`);
          }
          valueText = argv[++i];
        }
        break;
      case "optional":
        if (valueText === undefined && i + 1 < argv.length && row.takesNext?.(argv[i + 1])) {
          valueText = argv[++i];
        }
        break;
    }
    if (valueText === undefined) {
      options[name] = row.kind === "optional" && row.implicit ? row.implicit() : true;
      continue;
    }
    const parsed = row.parse(valueText);
    if (!parsed.ok) {
      throw new UsageError(`invalid value '${valueText}' for ${shown}: ${parsed.message}`);
    }
    options[name] = parsed.value;
  }
  return { options: options as ParsedOptions<Table>, rest: argv.slice(i) };
}

function unknownOption(table: OptionTable, arg: string): UsageError {
  const spellings = Object.entries(table).flatMap(([name, row]) =>
    row.short ? [`--${name}`, row.short] : [`--${name}`]
  );
  const guess = arg.startsWith("--") ? nearest(arg, spellings) : undefined;
  const hint = guess === undefined ? "" : ` — did you mean '${guess}'?`;
  return new UsageError(`unknown option '${arg}'${hint}`);
}

/** The `Options:` lines of the help text, aligned, in table order. */
export function optionsHelp(table: OptionTable): string {
  const rows = Object.entries(table).map(([name, row]) => {
    const value = row.kind === "flag"
      ? ""
      : row.kind === "value"
      ? ` ${row.valueName ?? "VALUE"}`
      : `[=${row.valueName ?? "VALUE"}]`;
    return [`${row.short ? `${row.short}, ` : "    "}--${name}${value}`, row.help];
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  // A help text may span lines; later lines are indented to the help column.
  return rows.map(([left, help]) =>
    `  ${left.padEnd(width)}${help.split("\n").join(`\n  ${" ".repeat(width)}`)}\n`
  ).join("");
}

/**
 * Emitter: accumulates .ttvm source lines for the actor-program generator, hands out unique
 * labels, and writes the "report line" idiom every generated process uses to tell the test what
 * happened: a `|`-separated line built with TO_STR/CONCAT and printed with PRINT.
 *
 * Invariants: labels are unique within one Emitter (prefix + counter); string literals passed
 * in must not contain `"`, `\` or `|` (the test splits report lines on `|`).
 */

/** How many times a polling loop may YIELD before it declares itself stuck. */
export const PATIENCE_YIELDS = 300000;

/** One piece of a report line: literal text, or code that pushes one value (printed TO_STR). */
export type LinePart = string | { code: string[] };

export class Emitter {
  private readonly lines: string[] = [];
  private labels = 0;

  /** Append instruction lines verbatim. */
  op(...lines: string[]): void {
    for (const l of lines) this.lines.push(l);
  }

  /** A fresh label name (not yet placed). */
  newLabel(prefix: string): string {
    return `${prefix}_${this.labels++}`;
  }

  place(label: string): void {
    this.lines.push(`LABEL ${label}`);
  }

  /** `PUSH_STR "text"` for a data value: must not contain the report separator `|`. */
  pushStr(text: string): void {
    if (text.includes("|")) throw new Error(`data literal contains the separator: ${text}`);
    this.pushLiteral(text);
  }

  private pushLiteral(text: string): void {
    if (/["\\\n]/.test(text)) throw new Error(`unsafe literal for generated code: ${text}`);
    this.lines.push(`PUSH_STR "${text}"`);
  }

  /** Print one report line made of `parts` (literals and pushed values). */
  report(parts: LinePart[]): void {
    let first = true;
    for (const part of parts) {
      if (typeof part === "string") {
        if (part === "") continue;
        this.pushLiteral(part);
      } else {
        this.op(...part.code, "TO_STR");
      }
      if (!first) this.op("CONCAT");
      first = false;
    }
    if (first) this.pushLiteral("");
    this.op("PRINT");
  }

  /** Build `{type: "<type>", id: <id>, pid: SELF}` and send it to PID 1 (the main process). */
  sendReady(id: number): void {
    this.op("MAKE_OBJECT");
    this.pushStr("ready");
    this.op("SET_FIELD type", `PUSH_INT ${id}`, "SET_FIELD id", "SELF", "SET_FIELD pid", "SEND 1");
  }

  /** Push the pattern `{type: "<type>"}`. */
  typePattern(type: string): void {
    this.op("MAKE_OBJECT");
    this.pushStr(type);
    this.op("SET_FIELD type");
  }

  /**
   * A counted loop: `body` runs `count` times (the counter lives in variable `counter`).
   */
  countedLoop(prefix: string, counter: string, count: number, body: () => void): void {
    const top = this.newLabel(`${prefix}_loop`), done = this.newLabel(`${prefix}_done`);
    this.op(`PUSH_INT ${count}`, `STORE ${counter}`);
    this.place(top);
    this.op(`LOAD ${counter}`, `JZ ${done}`);
    body();
    this.op(`LOAD ${counter}`, "PUSH_INT 1", "SUB", `STORE ${counter}`, `JMP ${top}`);
    this.place(done);
  }

  /**
   * The retry path of a polling loop: count down the patience in `patience` (initialised by
   * `initPatience`), then YIELD (unless told not to: the reduction budget preempts a busy
   * loop anyway) and jump to `again`. When patience runs out the process reports
   * `STUCK|<id>|<what>` and exits with reason `stuck` — a lost message or name must show up as
   * a failure, not as a run that never ends.
   */
  retryOrGiveUp(again: string, id: number, what: string, yieldFirst = true): void {
    const stuck = this.newLabel(`stuck${id}`);
    this.op("LOAD patience", "PUSH_INT 1", "SUB", "DUP", "STORE patience", `JZ ${stuck}`);
    if (yieldFirst) this.op("YIELD");
    this.op(`JMP ${again}`);
    this.place(stuck);
    this.report([`STUCK|${id}|${what}`]);
    this.pushLiteral("stuck");
    this.op("EXIT_SELF");
  }

  initPatience(): void {
    this.op(`PUSH_INT ${PATIENCE_YIELDS}`, "STORE patience");
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/** Code pushing field `field` of variable `v`. */
export function field(v: string, name: string): { code: string[] } {
  return { code: [`LOAD ${v}`, `GET_FIELD ${name}`] };
}

/** Code pushing element `i` of the list in variable `v`. */
export function elem(v: string, i: number): { code: string[] } {
  return { code: [`LOAD ${v}`, `PUSH_INT ${i}`, "INDEX"] };
}

/** Code pushing variable `v`. */
export function load(v: string): { code: string[] } {
  return { code: [`LOAD ${v}`] };
}

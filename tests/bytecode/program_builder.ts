/**
 * Test helper: builds valid Programs instruction by instruction, interning pool entries in
 * first-use order exactly as the assembler does (so disassembly can round-trip them), plus
 * sample programs used by several bytecode tests.
 *
 * Invariants: `build()` returns a Program that satisfies src/isa/program.ts (every module ends
 * with END, whose line is 0 as in the assembler's output; files[] follows the module ranges); label targets are given RELATIVE to the current
 * module's start, as in source.
 */
import { INSTR_WORDS, OP_BY_NAME, OPCODES, OPERAND_KINDS } from "../../src/isa/opcodes.ts";
import type { LabelInfo, ModuleInfo, Program } from "../../src/isa/program.ts";

/** Operand values by kind: i64 bigint|number, f64 number, str/name string, bool boolean,
 *  label number|string (relative pc or label name), func {target, params}, count number,
 *  module number, pid number; undefined = absent optional operand. */
export type OperandValue =
  | bigint
  | number
  | string
  | boolean
  | { target: number | string; params: string[] }
  | undefined;

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

export class ProgramBuilder {
  private readonly code: number[] = [];
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly ints: bigint[] = [];
  private readonly floats: number[] = [];
  private readonly paramLists: number[][] = [];
  private readonly lines: number[] = [];
  private readonly files: number[] = [];
  private readonly modules: ModuleInfo[] = [];
  private readonly labels: LabelInfo[] = [];
  /** Label name → relative pc, per module, resolved when the module ends. */
  private pendingTargets: Array<{ word: number; name: string }> = [];
  private moduleLabels = new Map<string, number>();
  private line = 1;

  module(path: string): this {
    this.modules.push({ path, startPc: this.pc, endPc: -1 });
    this.moduleLabels = new Map();
    this.pendingTargets = [];
    return this;
  }

  get pc(): number {
    return this.code.length / INSTR_WORDS;
  }

  private get current(): ModuleInfo {
    return this.modules[this.modules.length - 1];
  }

  /** Sets the source line of the following instructions. */
  at(line: number): this {
    this.line = line;
    return this;
  }

  label(name: string): this {
    this.moduleLabels.set(name, this.pc - this.current.startPc);
    this.labels.push({ name, pc: this.pc, module: this.modules.length - 1 });
    return this;
  }

  str(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  private float(x: number): number {
    const i = this.floats.findIndex((f) => Object.is(f, x));
    if (i >= 0) return i;
    this.floats.push(x);
    return this.floats.length - 1;
  }

  private int(v: bigint): number {
    const i = this.ints.indexOf(v);
    if (i >= 0) return i;
    this.ints.push(v);
    return this.ints.length - 1;
  }

  private params(names: string[]): number {
    const indices = names.map((n) => this.str(n));
    const i = this.paramLists.findIndex((l) =>
      l.length === indices.length && l.every((v, j) => v === indices[j])
    );
    if (i >= 0) return i;
    this.paramLists.push(indices);
    return this.paramLists.length - 1;
  }

  private target(word: number, t: number | string): number {
    if (typeof t === "number") return this.current.startPc + t;
    this.pendingTargets.push({ word, name: t });
    return 0;
  }

  op(name: string, ...values: OperandValue[]): this {
    const info = OP_BY_NAME.get(name);
    if (!info) throw new Error(`no opcode ${name}`);
    const words = [info.code, 0, 0, 0];
    const base = this.code.length;
    let w = 1;
    info.operands.forEach((spec, i) => {
      const v = values[i];
      if (v === undefined) {
        if (!spec.optional) throw new Error(`${name}: operand ${spec.name} is required`);
        words[w] = spec.kind === "pid" ? 0 : -1;
      } else {
        switch (spec.kind) {
          case "i64": {
            const big = BigInt(v as bigint | number);
            if (big >= I32_MIN && big <= I32_MAX) words[w] = Number(big);
            else [words[w], words[w + 1]] = [this.int(big), 1];
            break;
          }
          case "f64":
            words[w] = this.float(v as number);
            break;
          case "str":
          case "name":
            words[w] = this.str(v as string);
            break;
          case "bool":
            words[w] = v ? 1 : 0;
            break;
          case "label":
            words[w] = this.target(base + w, v as number | string);
            break;
          case "func": {
            const f = v as { target: number | string; params: string[] };
            words[w] = this.target(base + w, f.target);
            words[w + 1] = this.params(f.params);
            break;
          }
          default:
            words[w] = v as number;
        }
      }
      w += OPERAND_KINDS[spec.kind].words;
    });
    this.code.push(...words);
    this.lines.push(this.line);
    this.files.push(this.modules.length - 1);
    return this;
  }

  /** Emits the module's END and resolves its label targets. */
  end(): this {
    const line = this.line;
    this.at(0).op("END").at(line); // the assembler records line 0 for the implicit END
    this.current.endPc = this.pc - 1;
    for (const { word, name } of this.pendingTargets) {
      const rel = this.moduleLabels.get(name);
      if (rel === undefined) throw new Error(`unknown label ${name}`);
      this.code[word] = this.current.startPc + rel;
    }
    return this;
  }

  build(): Program {
    return {
      code: Int32Array.from(this.code),
      ints: [...this.ints],
      floats: [...this.floats],
      strings: [...this.strings],
      paramLists: this.paramLists.map((l) => [...l]),
      lines: Int32Array.from(this.lines),
      files: Int32Array.from(this.files),
      modules: this.modules.map((m) => ({ ...m })),
      labels: this.labels.map((l) => ({ ...l })),
    };
  }
}

/** A small two-module program: a loop, a function, an import, long ints and odd floats. */
export function sampleProgram(): Program {
  return new ProgramBuilder()
    .module("main.ttvm")
    .at(1).op("IMPORT", 1)
    .at(2).op("PUSH_INT", 0).op("STORE", "i")
    .label("loop")
    .at(4).op("LOAD", "i").op("PUSH_INT", 3).op("LT").op("JZ", "done")
    .at(5).op("LOAD", "i").op("PUSH_INT", 1).op("ADD").op("STORE", "i")
    .at(6).op("JMP", "loop")
    .label("done")
    .at(8).op("PUSH_INT", 9007199254740993n).op("PUSH_INT", -(2n ** 63n)).op("PRINT").op("PRINT")
    .at(9).op("PUSH_FLOAT", NaN).op("PUSH_FLOAT", -0).op("PUSH_FLOAT", 1e300).op("PUSH_FLOAT", 0.1)
    .at(10).op("PUSH_STR", 'héllo, wörld ✓ 😀\n\t"q" \\ ; not a comment')
    .op("CALL", { target: "greet", params: ["who", "how much"] })
    .at(11).op("HALT")
    .label("greet")
    .at(13).op("LOAD", "who").op("PRINT").op("RET")
    .at(14).end()
    .module("lib/util.ttvm")
    .at(1).op("MAKE_FUNCTION", { target: "helper", params: [] }).op("STORE", "helper")
    .at(2).op("EXPORT", "helper").op("HALT")
    .label("helper")
    .at(4).op("PUSH_STR", "from util").op("RET")
    .label("tail")
    .at(5).end()
    .build();
}

/** Sample operands for every operand kind (all operands present). */
function sampleOperands(name: string): OperandValue[] {
  const info = OP_BY_NAME.get(name)!;
  return info.operands.map((spec, i) => {
    switch (spec.kind) {
      case "i64":
        return i === 0 ? -123456789012n : 1;
      case "f64":
        return 2.5;
      case "str":
        return `text for ${name}`;
      case "name":
        return `${spec.name}_${name.toLowerCase()}`;
      case "bool":
        return true;
      case "label":
        return "somewhere";
      case "func":
        return { target: "somewhere", params: ["x", "y"] };
      case "count":
        return 3;
      case "module":
        return 1;
      case "pid":
        return 7;
    }
  });
}

/** Every opcode of the table at least once (END implicitly), each operand kind present and
 *  absent where optional, in a two-module program. */
export function everyOpcodeProgram(): Program {
  const b = new ProgramBuilder().module("all.ttvm");
  let line = 1;
  b.label("somewhere");
  for (const op of OPCODES) {
    if (op.name === "END") continue;
    b.at(line++).op(op.name, ...sampleOperands(op.name));
    if (op.operands.some((o) => o.optional)) {
      const requiredOnly = sampleOperands(op.name).map((v, i) =>
        op.operands[i].optional ? undefined : v
      );
      b.at(line++).op(op.name, ...requiredOnly);
    }
  }
  b.op("START_SUPERVISOR", "one_for_all", 5).op("PUSH_BOOL", false).op("SEND", 0);
  b.end();
  b.module("second module.ttvm").at(1).label("somewhere").op("JMP", "somewhere").at(0)
    .op("HALT").end();
  return b.build();
}

/**
 * The linker: lays the parsed modules out one after another and encodes them into a Program.
 *
 * Invariants:
 * - Module i's code follows module i-1's; each module ends with an END whose line is 0.
 * - Targets are relocated by the module's startPc; IMPORT operands become module indices.
 * - Pools (`strings`, `ints`, `floats`, `paramLists`) are deduplicated and filled in order of
 *   first use: modules in index order, instructions in order, operands in order (a function
 *   operand interns its parameter names, then their list). The .ttb round trip relies on it.
 * - Floats are deduplicated by Object.is (0 and -0 differ; every NaN is one entry).
 */
import { INSTR_WORDS, OP_BY_NAME, operandWordOffsets, type OpInfo } from "../isa/opcodes.ts";
import type { LabelInfo, ModuleInfo, Program } from "../isa/program.ts";
import type { LoadedModule } from "./loader.ts";

const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;
const END = OP_BY_NAME.get("END") as OpInfo;

/** Deduplicating pool: the index of a value, appending it on first use. */
class Pool<T> {
  readonly entries: T[] = [];
  private readonly indexByKey = new Map<string | bigint, number>();

  constructor(private readonly keyOf: (value: T) => string | bigint) {}

  intern(value: T): number {
    const key = this.keyOf(value);
    let index = this.indexByKey.get(key);
    if (index === undefined) {
      index = this.entries.length;
      this.entries.push(value);
      this.indexByKey.set(key, index);
    }
    return index;
  }
}

export function link(modules: readonly LoadedModule[]): Program {
  const strings = new Pool<string>((s) => s);
  const ints = new Pool<bigint>((v) => v);
  const floats = new Pool<number>((x) => (Object.is(x, -0) ? "-0" : String(x)));
  const paramLists = new Pool<number[]>((l) => l.join(","));

  const moduleInfos: ModuleInfo[] = [];
  let pc = 0;
  for (const m of modules) {
    const startPc = pc;
    pc += m.parsed.instructions.length + 1; // + END
    moduleInfos.push({ path: m.displayPath, startPc, endPc: pc - 1 });
  }

  const code = new Int32Array(pc * INSTR_WORDS);
  const lines = new Int32Array(pc);
  const files = new Int32Array(pc);
  const labels: LabelInfo[] = [];

  modules.forEach((m, moduleIndex) => {
    const { startPc, endPc } = moduleInfos[moduleIndex];
    m.parsed.instructions.forEach((instruction, i) => {
      const base = (startPc + i) * INSTR_WORDS;
      const offsets = operandWordOffsets(instruction.op);
      code[base] = instruction.op.code;
      instruction.operands.forEach((operand, k) => {
        const at = base + offsets[k];
        switch (operand.kind) {
          case "int":
            if (operand.value >= I32_MIN && operand.value <= I32_MAX) {
              code[at] = Number(operand.value);
            } else {
              code[at] = ints.intern(operand.value);
              code[at + 1] = 1;
            }
            break;
          case "float":
            code[at] = floats.intern(operand.value);
            break;
          case "string":
            code[at] = strings.intern(operand.value);
            break;
          case "word":
            code[at] = operand.value;
            break;
          case "target":
            code[at] = startPc + (instruction.localTargets[k] ?? 0);
            break;
          case "func":
            code[at] = startPc + (instruction.localTargets[k] ?? 0);
            code[at + 1] = paramLists.intern(operand.params.map((p) => strings.intern(p)));
            break;
          case "import":
            code[at] = Math.max(0, m.importTargets[operand.importIndex]);
            break;
        }
      });
      lines[startPc + i] = instruction.line;
      files[startPc + i] = moduleIndex;
    });
    code[endPc * INSTR_WORDS] = END.code;
    files[endPc] = moduleIndex;
    for (const label of m.parsed.labels) {
      labels.push({ name: label.name, pc: startPc + label.localPc, module: moduleIndex });
    }
  });

  return {
    code,
    ints: ints.entries,
    floats: floats.entries,
    strings: strings.entries,
    paramLists: paramLists.entries,
    lines,
    files,
    modules: moduleInfos,
    labels,
  };
}

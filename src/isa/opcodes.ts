/**
 * The opcode table: ONE row per opcode. The assembler, the .ttb encoder and loader, the
 * disassembler, the interpreter's dispatch constants and docs/OPCODES.md all derive from it.
 *
 * Invariants:
 * - `code` is the fixed .ttb number and also the in-memory opcode word. Numbers are only ever
 *   added, never reused or renumbered (a .ttb file names opcodes by these numbers).
 * - Every instruction occupies INSTR_WORDS i32 words in memory: [op, a, b, c]. How each operand
 *   kind maps onto the words a/b/c is defined once, in `OPERAND_KINDS` below.
 * - `pops`/`pushes` of -1 mean "depends on an operand" (MAKE_LIST n, CALL with n params, …).
 */

/** Operand kinds. `words` = how many of the a/b/c words the operand occupies. */
export const OPERAND_KINDS = {
  /** 64-bit integer literal. a = value when it fits in i32 (b = 0), else a = index into
   *  Program.ints (b = 1). */
  i64: { words: 2, doc: "64-bit integer literal" },
  /** Float literal. a = index into Program.floats. */
  f64: { words: 1, doc: "float literal (`1.5`, `-2e3`, `inf`, `nan`)" },
  /** String literal: `"…"` with escapes `\n \t \r \" \\`, or the raw rest of the line.
   *  a = index into Program.strings. */
  str: { words: 1, doc: 'string literal (`"…"` with `\\n \\t \\r \\" \\\\` escapes)' },
  /** Name (variable, field, registry name, child id, strategy…): bare word or quoted string.
   *  a = index into Program.strings. */
  name: { words: 1, doc: "name (bare word or quoted string)" },
  /** `true` / `false`. a = 0 / 1. */
  bool: { words: 1, doc: "`true` or `false`" },
  /** Jump target: a label, or an absolute instruction index within the file. a = pc. */
  label: { words: 1, doc: "label name or instruction index" },
  /** Function target followed by parameter names. a = pc, b = index into Program.paramLists. */
  func: { words: 2, doc: "label or index, then parameter names" },
  /** Non-negative count (≤ 2^31-1). a = value. */
  count: { words: 1, doc: "non-negative integer" },
  /** Module path (IMPORT). a = index into Program.modules. */
  module: { words: 1, doc: "module path (quoted or bare)" },
  /** Optional PID literal; absent or 0 means "pop the PID from the stack". a = pid. */
  pid: { words: 1, doc: "optional PID literal (absent or 0: pop it)" },
} as const;

export type OperandKind = keyof typeof OPERAND_KINDS;

export interface OperandSpec {
  kind: OperandKind;
  /** May be omitted in source; absent operands are encoded as -1 (pid: 0). */
  optional?: boolean;
  /** Name used in docs and diagnostics. */
  name: string;
}

/** Flags describing what an instruction may do; used by docs, the tracer and tools. */
export const F = {
  NONE: 0,
  /** Transfers control (JMP, JZ, CALL, RET, TRY, …). */
  BRANCH: 1 << 0,
  /** May allocate on the process heap (so may trigger a GC). */
  MAY_GC: 1 << 1,
  /** May suspend the process (receive, sleep, yield). */
  MAY_YIELD: 1 << 2,
  /** May raise a runtime error. */
  MAY_THROW: 1 << 3,
  /** Concurrency opcode (LANGUAGE.md §3–§4). */
  CONCURRENCY: 1 << 5,
  /** Internal: emitted by the assembler, never written in source. */
  INTERNAL: 1 << 6,
  /** Performs host I/O (files, stdin, env, processes, clock). */
  IO: 1 << 7,
} as const;

export interface OpInfo {
  name: string;
  code: number;
  operands: readonly OperandSpec[];
  /** Values popped / pushed; -1 when it depends on an operand or on the run. */
  pops: number;
  pushes: number;
  /** Stack picture in the reference's notation (`a b → r`). */
  stack: string;
  flags: number;
  doc: string;
  /** Other accepted spellings. */
  aliases?: readonly string[];
  /** Group heading in docs/OPCODES.md. */
  group: string;
}

const T = F.MAY_THROW;
const G = F.MAY_GC;
/** Port instructions: host I/O through the port driver, which may allocate the result. */
const P = F.IO | F.MAY_GC;
/** May wait for the port driver (suspends only its process). */
const W = F.MAY_YIELD;

// deno-fmt-ignore
const ROWS: Array<[string, number, string, number, number, string, number, string]> = [
  // name, code, operands, pops, pushes, stack, flags, doc
  // ── constants and stack ───────────────────────────────────────────────────────────────
  ["@Constants and stack", 0, "", 0, 0, "", 0, ""],
  ["PUSH_INT", 0x01, "i64:value", 0, 1, "→ n", 0, "push an Int (exact 64-bit)"],
  ["PUSH_STR", 0x02, "str:text", 0, 1, "→ s", 0, "push a Str"],
  ["TRUE", 0x03, "", 0, 1, "→ true", 0, "push Bool true"],
  ["FALSE", 0x04, "", 0, 1, "→ false", 0, "push Bool false"],
  ["NULL", 0x05, "", 0, 1, "→ null", 0, "push Null"],
  ["PUSH_FLOAT", 0x0a, "f64:value", 0, 1, "→ f", 0, "push a Float"],
  ["PUSH_BOOL", 0x0b, "bool:value", 0, 1, "→ b", 0, "push a Bool"],
  ["DUP", 0x09, "", 1, 2, "a → a a", T, "duplicate the top value"],
  ["POP", 0x0c, "", 1, 0, "a →", T, "discard the top value"],
  ["SWAP", 0x0d, "", 2, 2, "a b → b a", T, "exchange the two top values"],
  ["OVER", 0x0e, "", 2, 3, "a b → a b a", T, "copy the second value to the top"],
  // ── arithmetic ────────────────────────────────────────────────────────────────────────
  ["@Arithmetic", 0, "", 0, 0, "", 0, ""],
  ["ADD", 0x10, "", 2, 1, "a b → a+b", T, "Int+Int wraps at 64 bits; a Float operand makes a Float"],
  ["SUB", 0x11, "", 2, 1, "a b → a-b", T, "as ADD"],
  ["MUL", 0x13, "", 2, 1, "a b → a*b", T, "as ADD"],
  ["DIV", 0x14, "", 2, 1, "a b → a/b", T, "Int/Int truncates toward zero; zero divisor → `Division by zero`"],
  ["MOD", 0x15, "", 2, 1, "a b → a mod b", T, "Int remainder with the sign of the dividend; zero divisor → `Division by zero`"],
  ["NEG", 0x16, "", 1, 1, "a → -a", T, "negate an Int (wrapping) or Float"],
  ["ADD_F", 0x17, "", 2, 1, "a b → a+b", T, "Float+Float only"],
  ["SUB_F", 0x18, "", 2, 1, "a b → a-b", T, "Float-Float only"],
  ["MUL_F", 0x19, "", 2, 1, "a b → a*b", T, "Float*Float only"],
  ["DIV_F", 0x1a, "", 2, 1, "a b → a/b", T, "Float/Float only; zero divisor is an error"],
  // ── strings ───────────────────────────────────────────────────────────────────────────
  ["@Strings", 0, "", 0, 0, "", 0, ""],
  ["CONCAT", 0x12, "", 2, 1, "s1 s2 → s1s2", T | G, "concatenate two Strs (amortised O(1) per character added when s1 grows step by step)"],
  ["TO_STR", 0x1b, "", 1, 1, "a → s", T | G, "the PRINT form of any value, as a Str"],
  ["STR_LEN", 0x1c, "", 1, 1, "s → n", T, "length of a Str in Unicode code points (O(1))"],
  // ── comparisons ───────────────────────────────────────────────────────────────────────
  ["@Comparisons (push Int 1 / Int 0)", 0, "", 0, 0, "", 0, ""],
  ["EQ", 0x20, "", 2, 1, "a b → 1|0", T, "equality; different types are unequal; lists/objects compare structurally"],
  ["NE", 0x23, "", 2, 1, "a b → 1|0", T, "negation of EQ"],
  ["GT", 0x21, "", 2, 1, "a b → 1|0", T, "Int > Int"],
  ["LT", 0x22, "", 2, 1, "a b → 1|0", T, "Int < Int"],
  ["GE", 0x24, "", 2, 1, "a b → 1|0", T, "Int >= Int"],
  ["LE", 0x25, "", 2, 1, "a b → 1|0", T, "Int <= Int"],
  ["EQ_F", 0x26, "", 2, 1, "a b → 1|0", T, "Float equality within f64 epsilon"],
  ["NE_F", 0x29, "", 2, 1, "a b → 1|0", T, "negation of EQ_F"],
  ["GT_F", 0x27, "", 2, 1, "a b → 1|0", T, "Float > Float"],
  ["LT_F", 0x28, "", 2, 1, "a b → 1|0", T, "Float < Float"],
  ["GE_F", 0x2a, "", 2, 1, "a b → 1|0", T, "Float >= Float"],
  ["LE_F", 0x2b, "", 2, 1, "a b → 1|0", T, "Float <= Float"],
  // ── boolean ───────────────────────────────────────────────────────────────────────────
  ["@Boolean", 0, "", 0, 0, "", 0, ""],
  ["NOT", 0x06, "", 1, 1, "a → bool", T, "Bool → !b; Int → (i == 0)"],
  ["AND", 0x07, "", 2, 1, "a b → bool", T, "Bool and Bool"],
  ["OR", 0x08, "", 2, 1, "a b → bool", T, "Bool or Bool"],
  // ── control flow and output ───────────────────────────────────────────────────────────
  ["@Control flow and output", 0, "", 0, 0, "", 0, ""],
  ["JMP", 0x30, "label:target", 0, 0, "", F.BRANCH, "jump"],
  ["JZ", 0x31, "label:target", 1, 0, "c →", F.BRANCH | T, "jump when c is Int 0, false or null"],
  ["HALT", 0xff, "", 0, 0, "", F.BRANCH, "end the process (in a module: end the module)"],
  ["PRINT", 0x40, "", 1, 0, "a →", T | F.IO, "write the display form of a and a newline to stdout"],
  ["DUMP_SCOPE", 0x70, "", 0, 0, "", F.IO, "print the current frame's variables"],
  ["END", 0xfe, "", 0, 0, "", F.BRANCH | F.INTERNAL, "end of a file's code (implicit HALT)"],
  // ── variables ─────────────────────────────────────────────────────────────────────────
  ["@Variables", 0, "", 0, 0, "", 0, ""],
  ["STORE", 0x50, "name:var", 1, 0, "a →", T, "bind a variable in the current frame"],
  ["LOAD", 0x51, "name:var", 0, 1, "→ a", T, "push a variable of the current frame"],
  ["DELETE", 0x52, "name:var", 0, 0, "", F.IO, "remove a variable (warning on stderr if absent)"],
  // ── lists and objects ─────────────────────────────────────────────────────────────────
  ["@Lists and objects", 0, "", 0, 0, "", 0, ""],
  ["MAKE_LIST", 0x60, "count:n", -1, 1, "a1 … an → [a1 … an]", T | G, "build a list of the n top values (first pushed first)"],
  ["LEN", 0x61, "", 1, 1, "c → n", T, "length of a List or Tuple, or number of fields of an Object"],
  ["INDEX", 0x62, "", 2, 1, "c i → elem", T, "element i (from 0) of a List or Tuple"],
  ["APPEND", 0x63, "", 2, 1, "list x → list'", T | G, "a new list with x added at the end (amortised O(1) when a list grows step by step)"],
  ["MAKE_OBJECT", 0x64, "", 0, 1, "→ {}", G, "push an empty Object"],
  ["SET_FIELD", 0x65, "name:field", 2, 1, "obj v → obj'", T | G, "add or replace a field (insertion order kept)"],
  ["GET_FIELD", 0x66, "name:field", 1, 1, "obj → v", T, "a field's value, or null"],
  ["HAS_FIELD", 0x67, "name:field", 1, 1, "obj → 1|0", T, "whether the field exists"],
  ["DELETE_FIELD", 0x68, "name:field", 1, 1, "obj → obj'", T | G, "remove a field (no error if absent)"],
  ["KEYS", 0x69, "", 1, 1, "obj → list", T | G, "the field names, in insertion order"],
  // ── atoms, tuples, types and text (LANGUAGE.md §6) ─────────────────────────────────────
  ["@Atoms, tuples, types and text", 0, "", 0, 0, "", 0, ""],
  ["PUSH_ATOM", 0x6a, "name:name", 0, 1, "→ atom", 0, "push an Atom (interned; printed as its name; never EQ to a Str)"],
  ["MAKE_TUPLE", 0x6b, "count:n", -1, 1, "a1 … an → {a1, …, an}", T | G, "build a tuple of the n top values (first pushed first)"],
  ["TUPLE_TO_LIST", 0x6c, "", 1, 1, "tuple → list", T | G, "the elements of a Tuple as a List"],
  ["LIST_TO_TUPLE", 0x6d, "", 1, 1, "list → tuple", T | G, "the elements of a List as a Tuple"],
  ["TYPE_OF", 0x4d, "", 1, 1, "v → s", T, "the type as a Str: `int float str bool null list object tuple atom bytes function closure connection term exception`"],
  ["SUBSTR", 0x42, "", 3, 1, "s start len → s'", T | G, "len code points from code point start (both Ints); out of range clamps"],
  ["STR_FIND", 0x43, "", 2, 1, "s needle → i", T, "code-point index of the first needle in s, or -1 (\"\" is found at 0)"],
  ["SPLIT", 0x44, "", 2, 1, "s sep → list", T | G, "the parts of s between occurrences of sep; sep \"\" splits into code points"],
  ["JOIN", 0x45, "", 2, 1, "list sep → s", T | G, "the PRINT forms of the elements with sep between them"],
  ["TRIM", 0x46, "", 1, 1, "s → s'", T | G, "without leading and trailing Unicode white space"],
  ["UPPER", 0x47, "", 1, 1, "s → s'", T | G, "upper case (Unicode default case mapping: `ß` → `SS`)"],
  ["LOWER", 0x48, "", 1, 1, "s → s'", T | G, "lower case (Unicode default case mapping)"],
  ["TO_INT", 0x49, "", 1, 1, "s → n", T, "a decimal integer with an optional sign; anything else, or beyond 64 bits → `Invalid integer: <s>`"],
  ["TO_FLOAT", 0x4a, "", 1, 1, "s → f", T, "a decimal float (`1`, `-2.5`, `.5`, `1e-3`, `inf`, `NaN`); anything else → `Invalid float: <s>`"],
  ["STR_TO_BYTES", 0x4b, "", 1, 1, "s → bytes", T | G, "the UTF-8 encoding of a Str"],
  ["BYTES_TO_STR", 0x4c, "", 1, 1, "bytes → s", T | G, "decode UTF-8; invalid UTF-8 → `Invalid UTF-8`"],
  // ── functions, closures, exceptions ───────────────────────────────────────────────────
  ["@Functions, closures, exceptions", 0, "", 0, 0, "", 0, ""],
  ["CALL", 0x32, "func:target", -1, 0, "p1 … pn →", F.BRANCH | T, "call: bind params (pn ← top) in a new frame"],
  ["RET", 0x33, "", 0, 0, "", F.BRANCH | T, "return from the current frame"],
  ["MAKE_FUNCTION", 0x34, "func:target", 0, 1, "→ fn", 0, "push a Function value"],
  ["CALL_FUNCTION", 0x35, "", -1, 0, "p1 … pn fn →", F.BRANCH | T, "call a Function or Closure"],
  ["MAKE_LAMBDA", 0x36, "func:target", 0, 1, "→ closure", G, "push a Closure holding the pending captures"],
  ["CAPTURE", 0x37, "name:var", 0, 0, "", T | G, "add a variable's current value to the pending captures"],
  ["TRY", 0x38, "label:handler", 0, 0, "", 0, "install an exception handler"],
  ["CATCH", 0x39, "", 0, 0, "", 0, "marks the start of a handler (the exception is on the stack)"],
  ["END_TRY", 0x3b, "", 0, 0, "", 0, "remove the innermost active handler"],
  ["THROW", 0x3a, "", 1, 0, "v →", F.BRANCH | T | G, "raise v (a Str becomes an Exception)"],
  // ── modules ───────────────────────────────────────────────────────────────────────────
  ["@Modules", 0, "", 0, 0, "", 0, ""],
  ["IMPORT", 0x3c, "module:path", 0, 0, "", F.BRANCH | T | G, "run a module once and bind its exports in the current frame"],
  ["EXPORT", 0x3d, "name:var", 0, 0, "", T | G, "export a variable of the current frame"],
  // ── files, stdin, environment, processes, time ────────────────────────────────────────
  ["@Files, stdin, environment, OS processes, time", 0, "", 0, 0, "", 0, ""],
  ["READ_FILE", 0x72, "", 1, 1, "path → s", T | G | F.IO, "read a whole file as UTF-8"],
  ["WRITE_FILE", 0x73, "", 2, 0, "content path →", T | F.IO, "create or truncate a file and write"],
  ["APPEND_FILE", 0x71, "", 2, 0, "content path →", T | F.IO, "append to a file (created if missing)"],
  ["FILE_EXISTS", 0x74, "", 1, 1, "path → bool", T | F.IO, "whether the path exists"],
  ["FILE_SIZE", 0x75, "", 1, 1, "path → n", T | F.IO, "size in bytes"],
  ["DELETE_FILE", 0x76, "", 1, 0, "path →", T | F.IO, "remove a file"],
  ["LIST_DIR", 0x77, "", 1, 1, "path → list", T | G | F.IO, "entry names of a directory"],
  ["READ_BYTES", 0x78, "", 1, 1, "path → bytes", T | G | F.IO, "read a file as Bytes"],
  ["WRITE_BYTES", 0x79, "", 2, 0, "bytes path →", T | F.IO, "write Bytes to a file"],
  ["READ_LINE", 0x7a, "", 0, 1, "→ s", G | F.IO, "one line of stdin without its newline (\"\" at EOF)"],
  ["READ_CHAR", 0x7b, "", 0, 1, "→ s", T | G | F.IO, "one byte of stdin as a one-character Str"],
  ["READ_INPUT", 0x7c, "", 0, 1, "→ s", G | F.IO, "the rest of stdin"],
  ["GET_ENV", 0x7d, "", 1, 1, "name → s|null", T | G | F.IO, "an environment variable"],
  ["SET_ENV", 0x7e, "", 2, 0, "name value →", T | F.IO, "set an environment variable"],
  ["GET_ARGS", 0x7f, "", 0, 1, "→ list", G | F.IO, "the program's own arguments"],
  ["EXEC", 0xa0, "", 2, 1, "cmd args → code", T | F.IO, "run a command with inherited stdio; its exit code"],
  ["EXEC_CAPTURE", 0xa1, "", 2, 1, "cmd args → obj", T | G | F.IO, "run a command; {stdout, stderr, exit_code}"],
  ["EXIT", 0x41, "", 1, 0, "code →", F.BRANCH | T | F.IO, "end the whole run with this exit status"],
  ["GET_TIME", 0xa2, "", 0, 1, "→ s", F.IO, "Unix time in seconds"],
  ["GET_TIME_MS", 0xa5, "", 0, 1, "→ ms", F.IO, "Unix time in milliseconds"],
  ["SLEEP", 0xa3, "", 1, 0, "ms →", T | F.MAY_YIELD, "suspend this process for ms milliseconds"],
  ["FORMAT_TIME", 0xa4, "", 2, 1, "ts fmt → s", T | G, "format Unix time ts (seconds: an Int, or a Float rounded down) in UTC with strftime directives `%Y %m %d %H %M %S %j %a %b %%`; another directive → `Invalid time format: <fmt>`; a time no date can hold → `Invalid timestamp: <ts>`"],
  // ── data formats ──────────────────────────────────────────────────────────────────────
  ["@Data formats", 0, "", 0, 0, "", 0, ""],
  ["JSON_PARSE", 0xc7, "", 1, 1, "s → v", T | G, "parse JSON text into values"],
  ["JSON_STRINGIFY", 0xc8, "", 1, 1, "v → s", T | G, "serialise a value as JSON (an Atom as the string of its name, a Tuple as an array; Bytes, functions, exceptions, connections and terms are errors)"],
  ["CSV_PARSE", 0xc9, "", 1, 1, "s → rows", T | G, "parse CSV (RFC 4180 quoting) into a list of lists of Str"],
  ["CSV_WRITE", 0xca, "", 1, 1, "rows → s", T | G, "write a list of lists as CSV"],
  ["HASH", 0xcf, "", 1, 1, "s|bytes → hex", T | G, "SipHash-1-3 (keys 0,0), as the original's DefaultHasher"],
  ["COMPRESS", 0xcb, "", 1, 1, "s|bytes → bytes", T | G, "gzip the UTF-8 of a Str, or Bytes"],
  ["DECOMPRESS", 0xcc, "", 1, 1, "bytes → s|bytes", T | G, "gunzip: a Str when the data is valid UTF-8, else Bytes; not gzip data → `Invalid compressed data`"],
  ["ENCRYPT", 0xcd, "", 2, 1, "data key → bytes", T | G, "AES-256-GCM of a Str or Bytes with a key derived from the key Str by scrypt; random salt and nonce stored with the ciphertext"],
  ["DECRYPT", 0xce, "", 2, 1, "bytes key → data", T | G, "the Str or Bytes ENCRYPT was given; wrong key or damaged data → `Decryption failed`"],
  // ── not real yet ──────────────────────────────────────────────────────────────────────
  // ── ports (LANGUAGE.md §7): every waiting one suspends only its process ───────────────
  ["@Sockets (LANGUAGE.md §7)", 0, "", 0, 0, "", 0, ""],
  ["TCP_LISTEN", 0xb3, "", 1, 1, "port → conn", T | P, "listen on 127.0.0.1 (port 0 picks a free port)"],
  ["TCP_LISTEN_ON", 0xba, "", 2, 1, "host port → conn", T | P, "listen on a given address (\"0.0.0.0\" for all)"],
  ["TCP_ACCEPT", 0xbb, "", 1, 1, "listener → conn", T | P | W, "wait for the next client"],
  ["TCP_CONNECT", 0xb2, "", 2, 1, "host port → conn", T | P | W, "connect; `Connection refused: <host>:<port>` etc."],
  ["TCP_SEND", 0xb4, "", 2, 1, "conn data → n", T | P | W, "send a Str (UTF-8) or Bytes; waits while the peer is slow"],
  ["TCP_RECV", 0xb5, "", 2, 1, "conn size → data", T | P | W, "size 0: the next chunk as Str; n: exactly n bytes (fewer at the end); Null at end of stream"],
  ["TCP_RECV_LINE", 0xbc, "", 1, 1, "conn → s", T | P | W, "one line without its `\\n` (and `\\r`); Null at end of stream; over 1 MiB → `Line too long`"],
  ["TCP_ACTIVE", 0xbd, "", 2, 0, "conn mode →", T | P | W, "true / false / \"once\": data arrives as `{type: \"tcp\", conn, data}` messages"],
  ["CONN_PORT", 0xbf, "", 1, 1, "conn → n", T | P, "the local port number"],
  ["CONN_CLOSE", 0xbe, "", 1, 0, "conn →", T | P, "close (closing twice is a no-op)"],
  ["CONN_HANDOVER", 0xd3, "", 2, 0, "conn pid →", T | P, "give the connection to another process (Erlang's controlling_process)"],
  ["UDP_BIND", 0xb6, "", 1, 1, "port → conn", T | P, "bind a UDP socket on 127.0.0.1"],
  ["UDP_BIND_ON", 0xd4, "", 2, 1, "host port → conn", T | P, "bind a UDP socket on a given address"],
  ["UDP_SEND", 0xb7, "", 4, 1, "conn host port data → n", T | P | W, "send one datagram"],
  ["UDP_RECV", 0xb8, "", 1, 1, "conn → obj", T | P | W, "wait for a datagram: `{data, host, port}`"],
  ["DNS_RESOLVE", 0xb9, "", 1, 1, "host → s", T | P | W, "the first address; `DNS lookup failed: <host>`"],
  ["@HTTP (LANGUAGE.md §7)", 0, "", 0, 0, "", 0, ""],
  ["HTTP_GET", 0xb0, "", 1, 1, "url → obj", T | P | W, "`{status, headers, body}`; only a network failure is an error"],
  ["HTTP_POST", 0xb1, "", 2, 1, "url body → obj", T | P | W, "as HTTP_GET, with a body"],
  ["HTTP_REQUEST", 0xd5, "", 4, 1, "method url headers body → obj", T | P | W, "any method, with headers"],
  ["HTTP_LISTEN", 0xd6, "", 1, 1, "port → conn", T | P, "serve HTTP/1.1 on 127.0.0.1: requests arrive as `{type: \"http_request\", …}` messages"],
  ["HTTP_LISTEN_ON", 0xd7, "", 2, 1, "host port → conn", T | P, "serve HTTP/1.1 on a given address"],
  ["HTTP_RESPOND", 0xd8, "", 4, 0, "request status headers body →", T | P, "answer a request (any holder, once; unanswered after 30 s → 503)"],
  ["@Futures, streams, databases (LANGUAGE.md §7)", 0, "", 0, 0, "", 0, ""],
  ["ASYNC_READ", 0xc0, "", 1, 1, "path → future", T | P, "start reading a file; AWAIT gives its text"],
  ["ASYNC_WRITE", 0xc1, "", 2, 1, "content path → future", T | P, "start writing a file; AWAIT gives true"],
  ["AWAIT", 0xc2, "", 1, 1, "future → v", T | P | W, "wait for a future's value (or its error)"],
  ["STREAM_CREATE", 0xc3, "", 2, 1, "path mode → stream", T | P | W, "open a byte stream over a file: mode \"r\", \"w\" or \"a\""],
  ["STREAM_READ", 0xc4, "", 2, 1, "stream size → s", T | P | W, "up to size bytes as Str; Null at the end"],
  ["STREAM_WRITE", 0xc5, "", 2, 1, "stream data → n", T | P | W, "write a Str or Bytes; bytes written"],
  ["STREAM_CLOSE", 0xc6, "", 1, 1, "stream → bool", T | P | W, "close the stream (true)"],
  ["DB_CONNECT", 0xd0, "", 1, 1, "path → db", T | P | W, "open an SQLite database (a file, or \":memory:\")"],
  ["DB_QUERY", 0xd1, "", 3, 1, "db sql params → rows", T | P | W, "a List of Objects, one per row"],
  ["DB_EXEC", 0xd2, "", 3, 1, "db sql params → n", T | P | W, "the number of rows changed"],
  // ── processes (LANGUAGE.md §3) ────────────────────────────────────────────────────────
  ["@Processes and messages", 0, "", 0, 0, "", 0, ""],
  ["SPAWN", 0x80, "", -1, 1, "[args…] callable → pid", T | G | F.CONCURRENCY, "start a process running a Function, Closure or label name"],
  ["SPAWN_LINK", 0x91, "", -1, 1, "[args…] callable → pid", T | G | F.CONCURRENCY, "SPAWN, atomically linked to the caller"],
  ["SPAWN_MONITOR", 0x92, "", -1, 2, "[args…] callable → pid ref", T | G | F.CONCURRENCY, "SPAWN, atomically monitored by the caller"],
  ["SELF", 0x93, "", 0, 1, "→ pid", F.CONCURRENCY, "own PID"],
  ["SEND", 0x8d, "pid:pid?", -1, 0, "[pid] msg →", T | F.CONCURRENCY, "send a deep copy of msg"],
  ["SENDNAMED", 0x84, "name:name", 1, 0, "msg →", T | F.CONCURRENCY, "send to a registered name"],
  ["RECEIVE", 0x8c, "", 0, 1, "→ msg", G | F.MAY_YIELD | F.CONCURRENCY, "take the oldest message, waiting as needed"],
  ["RECEIVE_AFTER", 0x8f, "label:timeout", 1, 1, "ms → msg", T | G | F.MAY_YIELD | F.BRANCH | F.CONCURRENCY, "RECEIVE with a timeout; on timeout jump to the label"],
  ["RECEIVE_MATCH", 0x8e, "", 1, 1, "pattern → msg", T | G | F.MAY_YIELD | F.CONCURRENCY, "take the oldest message matching the pattern"],
  ["RECEIVE_MATCH_AFTER", 0x90, "label:timeout", 2, 1, "pattern ms → msg", T | G | F.MAY_YIELD | F.BRANCH | F.CONCURRENCY, "selective receive with a timeout"],
  ["YIELD", 0x8b, "", 0, 0, "", F.MAY_YIELD | F.CONCURRENCY, "let other processes run"],
  ["REGISTER", 0x81, "name:name", 0, 0, "", T | F.CONCURRENCY, "register self under a name"],
  ["UNREGISTER", 0x82, "name:name", 0, 0, "", T | F.CONCURRENCY, "remove a registered name"],
  ["WHEREIS", 0x83, "name:name", 0, 1, "→ pid", F.CONCURRENCY, "the PID registered under a name, or 0"],
  ["LINK", 0x86, "pid:pid?", -1, 0, "[pid] →", T | F.CONCURRENCY, "link to a process"],
  ["UNLINK", 0x87, "pid:pid?", -1, 0, "[pid] →", T | F.CONCURRENCY, "remove a link"],
  ["MONITOR", 0x85, "pid:pid?", -1, 1, "[pid] → ref", T | F.CONCURRENCY, "monitor a process"],
  ["DEMONITOR", 0x94, "", 1, 0, "ref →", T | F.CONCURRENCY, "remove a monitor; no DOWN for it afterwards"],
  ["TRAP_EXIT", 0x95, "", 1, 0, "bool →", T | F.CONCURRENCY, "receive exit signals as EXIT messages"],
  ["EXIT_SELF", 0x96, "", 1, 0, "reason →", F.BRANCH | T | F.CONCURRENCY, "end this process with a reason"],
  ["EXIT_SIGNAL", 0x97, "", 2, 0, "pid reason →", T | F.CONCURRENCY, "send an exit signal"],
  ["IS_ALIVE", 0x98, "", 1, 1, "pid → bool", T | F.CONCURRENCY, "whether a process is alive"],
  // ── supervisors (LANGUAGE.md §4) ──────────────────────────────────────────────────────
  ["@Supervisors", 0, "", 0, 0, "", 0, ""],
  ["START_SUPERVISOR", 0x88, "name:strategy?,count:max_restarts?,count:period_s?", 0, 0, "", T | F.CONCURRENCY, "make the caller a supervisor"],
  ["SUPERVISE_CHILD", 0x89, "name:id,name:label?,name:restart?", 0, 0, "", T | G | F.CONCURRENCY, "start and supervise a child"],
  ["RESTART_CHILD", 0x8a, "name:id", 0, 0, "", T | F.CONCURRENCY, "terminate and restart a child"],
  ["WHICH_CHILDREN", 0x99, "", 0, 1, "→ list", G | F.CONCURRENCY, "the children as {id, pid} objects"],
  // ── distribution (LANGUAGE.md §8) ─────────────────────────────────────────────────────
  ["@Distribution: nodes of an Erlang cluster", 0, "", 0, 0, "", 0, ""],
  ["NODE", 0xe0, "", 0, 1, "→ atom", F.CONCURRENCY, "this node's name; `nonode@nohost` when not distributed"],
  ["NODE_OF", 0xe1, "", 1, 1, "pid → atom", T | F.CONCURRENCY, "the node a PID lives on (a proxy's node, else this node)"],
  ["NODES", 0xe2, "", 0, 1, "→ list", G | F.CONCURRENCY | F.IO, "the nodes connected now, as Atoms"],
  ["CONNECT_NODE", 0xe3, "", 1, 1, "node → bool", T | F.CONCURRENCY | F.IO, "connect to a node (Atom or Str), waiting for the handshake; false when it fails"],
  ["DISCONNECT_NODE", 0xe4, "", 1, 1, "node → bool", T | F.CONCURRENCY | F.IO, "drop the connection to a node (links and monitors over it get `noconnection`); false when there was none"],
  ["MONITOR_NODE", 0xe5, "", 2, 0, "node flag →", T | F.CONCURRENCY, "while true, a lost connection (or one that cannot be made) sends `{type: \"nodedown\", node: <atom>}` once per true"],
  ["SENDNAMED_AT", 0xe6, "name:name", 2, 0, "node msg →", T | F.CONCURRENCY, "send to the process registered as name on node (Erlang's `{Name, Node} ! Msg`), connecting on demand"],
  ["SPAWN_AT", 0xe7, "", -1, 1, "[args…] node callable → pid", T | G | F.CONCURRENCY | F.IO, "start a process on node: a label name or Function of the same program on a ttvm node, `{module, function, args}` on an Erlang node; failure → `Cannot spawn on <node>: <reason>`"],
  // ── introspection (LANGUAGE.md §9) ────────────────────────────────────────────────────
  ["@Introspection (LANGUAGE.md §9)", 0, "", 0, 0, "", 0, ""],
  ["PROCESSES", 0xe8, "", 0, 1, "→ list", G | F.CONCURRENCY, "the PIDs of all live local processes, in PID order"],
  ["PROCESS_INFO", 0xe9, "", 1, 1, "pid → obj", T | G | W | F.CONCURRENCY, "`{pid, status, name, message_queue_len, reductions, memory_bytes, stack_depth, links, monitors, trap_exit, current}` (status `running`, `runnable` or `waiting`; name the registered name or null; `current` is `file:line`); Null for a process that is not alive. Asked of another process it is a signal that process answers itself at its next slice: the caller waits for the answer, the target is never stopped"],
  ["SYSTEM_INFO", 0xea, "", 0, 1, "→ obj", G | W | F.CONCURRENCY, "`{node, schedulers, process_count, process_limit, run_queue, memory_bytes, messages, reductions, uptime_ms}` (`messages` sent and `reductions` executed since the start, the caller's own included: it ends the caller's slice first; `node` is `nonode@nohost` when not distributed)"],
  ["@Code loading (LANGUAGE.md §9)", 0, "", 0, 0, "", 0, ""],
  ["CODE_LOAD", 0xeb, "", 1, 1, "path → bool", T | G | W | F.IO, "assemble the module file again (path resolved as IMPORT resolves it) and make it the module's current version: IMPORT binds it from then on, Function values keep their own version; the version before becomes old and an older one is purged (processes with frames in it exit with reason `killed`). false, with the assembler's diagnostics on stderr, when it does not assemble or is not an imported module of the program (the running version stays)"],
  ["CODE_PURGE", 0xec, "", 1, 1, "path → bool", T | G | W | F.IO, "remove the module's old version: processes with frames in it exit with reason `killed`; false when there is none"],
];

function parseOperands(spec: string): OperandSpec[] {
  if (spec === "") return [];
  return spec.split(",").map((s) => {
    const [kind, rawName] = s.split(":");
    const optional = rawName.endsWith("?");
    const name = optional ? rawName.slice(0, -1) : rawName;
    if (!(kind in OPERAND_KINDS)) throw new Error(`opcode table: bad operand kind ${kind}`);
    return { kind: kind as OperandKind, name, optional: optional || kind === "pid" };
  });
}

function buildTable(): OpInfo[] {
  const out: OpInfo[] = [];
  let group = "";
  for (const [name, code, ops, pops, pushes, stack, flags, doc] of ROWS) {
    if (name.startsWith("@")) {
      group = name.slice(1);
      continue;
    }
    out.push({
      name,
      code,
      operands: parseOperands(ops),
      pops,
      pushes,
      stack,
      flags,
      doc,
      group,
      aliases: name === "SENDNAMED" ? ["SEND_NAMED"] : undefined,
    });
  }
  return out;
}

/** All opcodes, in documentation order. */
export const OPCODES: readonly OpInfo[] = buildTable();

/** Opcode info by .ttb number (undefined for unassigned numbers). */
export const OP_BY_CODE: ReadonlyArray<OpInfo | undefined> = (() => {
  const t: Array<OpInfo | undefined> = new Array(256).fill(undefined);
  for (const op of OPCODES) {
    if (op.code < 0 || op.code > 255) throw new Error(`opcode table: ${op.name} out of range`);
    if (t[op.code]) throw new Error(`opcode table: ${op.name} reuses 0x${op.code.toString(16)}`);
    t[op.code] = op;
  }
  return t;
})();

/** Opcode info by mnemonic or alias (upper case). */
export const OP_BY_NAME: ReadonlyMap<string, OpInfo> = (() => {
  const m = new Map<string, OpInfo>();
  for (const op of OPCODES) {
    m.set(op.name, op);
    for (const a of op.aliases ?? []) m.set(a, op);
  }
  return m;
})();

/** Number of i32 words per instruction in memory: [op, a, b, c]. */
export const INSTR_WORDS = 4;
/** log2(INSTR_WORDS), for `pc << INSTR_SHIFT`. */
export const INSTR_SHIFT = 2;

/** Word position (1-based within an instruction) of each operand of an opcode. */
export function operandWordOffsets(op: OpInfo): number[] {
  const out: number[] = [];
  let w = 1;
  for (const o of op.operands) {
    out.push(w);
    w += OPERAND_KINDS[o.kind].words;
  }
  if (w > INSTR_WORDS) throw new Error(`opcode table: ${op.name} needs ${w} words`);
  return out;
}

for (const op of OPCODES) operandWordOffsets(op); // validate the table at load time

/**
 * The programs of `ttvm test` and what each must print: a compact conformance suite of the core
 * language, modules through std/, and the process runtime. They live in TypeScript (not in
 * files) so that they travel inside a `deno compile` binary.
 *
 * Invariants: every check is deterministic on the single scheduler (its `stdout`/`stderr` are
 * exact there); on the SMP pool a check compares exactly, or as sorted lines when its processes'
 * lines are not causally ordered there (`smp: "sorted"`: YIELD's interleaving, preemption).
 * `{file}` in `stdout` and `stderr` stands for the program's path. Programs synchronise with
 * messages, never with timing (a timeout only ever waits for a message that cannot come).
 */

export type Group =
  | "core"
  | "modules"
  | "spawn"
  | "messages"
  | "registry"
  | "links"
  | "monitors"
  | "supervisors"
  | "yield"
  | "parallel";

export interface Check {
  name: string;
  groups: readonly Group[];
  source: string;
  stdout: string;
  /** Expected stderr (default ""); `{file}` is the program's path. */
  stderr?: string;
  /** Expected exit status (default 0). */
  exitCode?: number;
  /** How the SMP pool's output is compared (default "exact"). */
  smp?: "exact" | "sorted";
}

const lines = (...text: string[]) => text.join("\n") + "\n";

/** A program written as a raw template (backslashes kept), without its first newline. */
const program = (text: TemplateStringsArray) => text.raw[0].replace(/^\n/, "");

export const CHECKS: readonly Check[] = [
  // ── core language ─────────────────────────────────────────────────────────────────────────
  {
    name: "arithmetic",
    groups: ["core"],
    source: program`
PUSH_INT 7
PUSH_INT 3
ADD
PRINT
PUSH_INT -7
PUSH_INT 2
DIV
PRINT
PUSH_INT -7
PUSH_INT 3
MOD
PRINT
PUSH_INT 9223372036854775807
PUSH_INT 1
ADD
PRINT
PUSH_FLOAT 1.5
PUSH_FLOAT 2.25
ADD_F
PRINT
PUSH_INT 2
PUSH_INT 3
LT
PRINT
TRY div
PUSH_INT 1
PUSH_INT 0
DIV
END_TRY
LABEL div
CATCH
PRINT
END_TRY
`,
    stdout: lines(
      "10",
      "-3",
      "-1",
      "-9223372036854775808",
      "3.75",
      "1",
      "Exception: Division by zero",
      "Stack trace:",
      "  at {file}:28",
    ),
  },
  {
    name: "strings",
    groups: ["core"],
    source: program`
PUSH_STR "naïve "
PUSH_STR "日本"
CONCAT
DUP
PRINT
STR_LEN
PRINT
PUSH_INT 42
TO_STR
PUSH_STR "42"
EQ
PRINT
PUSH_STR "tab:\t|quote:\"|"
PRINT
`,
    stdout: lines("naïve 日本", "8", "1", 'tab:\t|quote:"|'),
  },
  {
    name: "lists and objects",
    groups: ["core"],
    source: program`
PUSH_INT 1
PUSH_STR "two"
NULL
MAKE_LIST 3
PUSH_INT 4
APPEND
DUP
PRINT
DUP
LEN
PRINT
PUSH_INT 1
INDEX
PRINT
MAKE_OBJECT
PUSH_INT 2
SET_FIELD zeta
PUSH_STR "x"
SET_FIELD alpha
DUP
PRINT
DUP
KEYS
PRINT
DUP
HAS_FIELD alpha
PRINT
DELETE_FIELD alpha
DUP
GET_FIELD alpha
PRINT
PUSH_INT 2
MAKE_OBJECT
SWAP
SET_FIELD zeta
EQ
PRINT
`,
    stdout: lines(
      "[1, two, null, 4]",
      "4",
      "two",
      "{zeta: 2, alpha: x}",
      "[zeta, alpha]",
      "1",
      "null",
      "1",
    ),
  },
  {
    name: "functions and closures",
    groups: ["core"],
    source: program`
PUSH_INT 20
CALL fib n
PRINT
PUSH_STR "Hello, "
STORE greeting
CAPTURE greeting
MAKE_LAMBDA greet who
STORE fn
PUSH_STR "changed"
STORE greeting
PUSH_STR "world"
LOAD fn
CALL_FUNCTION
PRINT
HALT
LABEL fib
LOAD n
PUSH_INT 2
LT
JZ fib_rec
LOAD n
RET
LABEL fib_rec
LOAD n
PUSH_INT 1
SUB
CALL fib n
LOAD n
PUSH_INT 2
SUB
CALL fib n
ADD
RET
LABEL greet
LOAD greeting
LOAD who
CONCAT
RET
`,
    stdout: lines("6765", "Hello, world"),
  },
  {
    name: "exceptions",
    groups: ["core"],
    source: program`
TRY outer
TRY inner
PUSH_STR "first"
THROW
END_TRY
LABEL inner
CATCH
PRINT
PUSH_STR "second"
THROW
END_TRY
LABEL outer
CATCH
PRINT
END_TRY
TRY nope
LOAD missing
END_TRY
LABEL nope
CATCH
PRINT
END_TRY
PUSH_STR "uncaught"
THROW
`,
    stdout: lines(
      "Exception: first",
      "Stack trace:",
      "  at {file}:4",
      "Exception: second",
      "Stack trace:",
      "  at {file}:10",
      "Exception: Undefined variable: missing",
      "Stack trace:",
      "  at {file}:17",
    ),
    stderr: lines("Error: Unhandled exception: uncaught", "    at {file}:24"),
    exitCode: 1,
  },
  {
    name: "exit status",
    groups: ["core"],
    source: program`
PUSH_STR "bye"
PRINT
PUSH_INT 3
EXIT
PUSH_STR "not reached"
PRINT
`,
    stdout: lines("bye"),
    exitCode: 3,
  },
  // ── modules ───────────────────────────────────────────────────────────────────────────────
  {
    name: "modules from std",
    groups: ["modules"],
    source: program`
IMPORT std/math.ttvm
IMPORT std/string.ttvm
PUSH_INT 12
PUSH_INT 18
LOAD gcd
CALL_FUNCTION
PRINT
PUSH_INT 10
LOAD factorial
CALL_FUNCTION
PRINT
PUSH_STR "ab"
PUSH_INT 3
LOAD repeat
CALL_FUNCTION
PRINT
TRY neg
PUSH_INT -1
LOAD sqrt
CALL_FUNCTION
END_TRY
LABEL neg
CATCH
POP
PUSH_STR "sqrt refused a negative input"
PRINT
END_TRY
`,
    stdout: lines("6", "3628800", "ababab", "sqrt refused a negative input"),
  },
  // ── processes ─────────────────────────────────────────────────────────────────────────────
  {
    name: "spawn a label, reply to the parent",
    groups: ["spawn", "messages"],
    source: program`
PUSH_STR "child"
SPAWN
STORE pid
LOAD pid
SELF
SEND
RECEIVE
PRINT
HALT
LABEL child
RECEIVE
STORE parent
LOAD parent
SELF
TO_STR
PUSH_STR "hello from "
SWAP
CONCAT
SEND
`,
    stdout: lines("hello from 2"),
  },
  {
    name: "spawn a function with arguments and a closure",
    groups: ["spawn"],
    source: program`
PUSH_INT 40
PUSH_INT 2
MAKE_FUNCTION adder a b
SPAWN
POP
RECEIVE
PRINT
PUSH_STR "captured"
STORE word
CAPTURE word
PUSH_STR "param"
MAKE_LAMBDA shout suffix
SPAWN
POP
RECEIVE
PRINT
HALT
LABEL adder
LOAD a
LOAD b
ADD
SEND 1
HALT
LABEL shout
LOAD word
PUSH_STR "+"
CONCAT
LOAD suffix
CONCAT
SEND 1
`,
    stdout: lines("42", "captured+param"),
  },
  {
    name: "spawn errors are catchable",
    groups: ["spawn"],
    source: program`
TRY bad
PUSH_STR "no_such_label"
SPAWN
END_TRY
LABEL bad
CATCH
PRINT
END_TRY
`,
    stdout: lines(
      "Exception: Unknown process entry: no_such_label",
      "Stack trace:",
      "  at {file}:3",
    ),
  },
  {
    name: "messages arrive in order and are copies",
    groups: ["messages"],
    source: program`
PUSH_STR "sender"
SPAWN
POP
RECEIVE
PRINT
RECEIVE
PRINT
RECEIVE
DUP
PRINT
PUSH_INT 99
APPEND
PRINT
HALT
LABEL sender
PUSH_INT 1
SEND 1
PUSH_STR "two"
SEND 1
PUSH_INT 3
MAKE_OBJECT
PUSH_INT 4
SET_FIELD four
MAKE_LIST 2
SEND 1
`,
    stdout: lines("1", "two", "[3, {four: 4}]", "[3, {four: 4}, 99]"),
  },
  {
    name: "selective receive keeps the other messages in order",
    groups: ["messages"],
    source: program`
PUSH_STR "a"
SEND 1
MAKE_OBJECT
PUSH_STR "reply"
SET_FIELD type
PUSH_INT 7
SET_FIELD id
SEND 1
PUSH_STR "b"
SEND 1
MAKE_OBJECT
PUSH_STR "reply"
SET_FIELD type
RECEIVE_MATCH
PRINT
RECEIVE
PRINT
RECEIVE
PRINT
`,
    stdout: lines("{type: reply, id: 7}", "a", "b"),
  },
  {
    name: "receive with a timeout",
    groups: ["messages"],
    source: program`
PUSH_INT 20
RECEIVE_AFTER nothing
PRINT
LABEL nothing
PUSH_STR "timed out"
PRINT
PUSH_STR "late"
SEND 1
PUSH_STR "other"
PUSH_INT 10
RECEIVE_MATCH_AFTER no_match
PRINT
LABEL no_match
PUSH_STR "no match"
PRINT
PUSH_INT 0
RECEIVE_AFTER empty
PRINT
LABEL empty
`,
    stdout: lines("timed out", "no match", "late"),
  },
  {
    name: "registry: register, whereis, sendnamed, unregister",
    groups: ["registry", "messages"],
    source: program`
PUSH_STR "server"
SPAWN
POP
RECEIVE
PRINT
PUSH_STR "ping"
SENDNAMED echo
RECEIVE
PRINT
WHEREIS echo
PRINT
WHEREIS nobody
PRINT
TRY taken
REGISTER echo
END_TRY
LABEL taken
CATCH
PRINT
END_TRY
PUSH_STR "stop"
SENDNAMED echo
RECEIVE
PRINT
WHEREIS echo
PRINT
HALT
LABEL server
REGISTER echo
PUSH_STR "registered"
SEND 1
LABEL serve
RECEIVE
DUP
PUSH_STR "stop"
EQ
JZ reply
UNREGISTER echo
PUSH_STR "unregistered"
SEND 1
HALT
LABEL reply
PUSH_STR "echo: "
SWAP
CONCAT
SEND 1
JMP serve
`,
    stdout: lines(
      "registered",
      "echo: ping",
      "2",
      "0",
      "Exception: Name already registered: echo",
      "Stack trace:",
      "  at {file}:15",
      "unregistered",
      "0",
    ),
  },
  {
    name: "links: trapped EXIT messages, abnormal exits propagate",
    groups: ["links"],
    source: program`
TRUE
TRAP_EXIT
PUSH_STR "fine"
SPAWN_LINK
POP
RECEIVE
PRINT
PUSH_STR "crasher"
SPAWN_LINK
POP
RECEIVE
PRINT
PUSH_STR "middle"
SPAWN_LINK
POP
RECEIVE
PRINT
HALT
LABEL fine
HALT
LABEL crasher
PUSH_STR "boom"
THROW
LABEL middle
PUSH_STR "crasher"
SPAWN_LINK
POP
RECEIVE
`,
    stdout: lines(
      "{type: EXIT, from: 2, reason: normal}",
      "{type: EXIT, from: 3, reason: boom}",
      "{type: EXIT, from: 4, reason: boom}",
    ),
    stderr: lines("Process 3 crashed: boom ({file}:23)", "Process 5 crashed: boom ({file}:23)"),
  },
  {
    name: "monitors: DOWN with the reason, none after DEMONITOR",
    groups: ["monitors"],
    source: program`
PUSH_STR "waiter"
SPAWN_MONITOR
STORE ref
STORE pid
PUSH_STR "quit"
SEND 2
RECEIVE
PRINT
PUSH_STR "waiter"
SPAWN
DUP
STORE second
MONITOR
DEMONITOR
PUSH_STR "quit"
LOAD second
SWAP
SEND
PUSH_INT 50
RECEIVE_AFTER quiet
PRINT
LABEL quiet
PUSH_STR "no DOWN after DEMONITOR"
PRINT
PUSH_INT 99
MONITOR
POP
RECEIVE
GET_FIELD reason
PRINT
HALT
LABEL waiter
RECEIVE
EXIT_SELF
`,
    stdout: lines(
      "{type: DOWN, ref: 1, pid: 2, reason: quit}",
      "no DOWN after DEMONITOR",
      "noproc",
    ),
  },
  {
    name: "trap_exit and exit signals",
    groups: ["links"],
    source: program`
PUSH_STR "trapper"
SPAWN_MONITOR
POP
STORE trapper
RECEIVE
PRINT
LOAD trapper
PUSH_STR "please"
EXIT_SIGNAL
RECEIVE
PRINT
LOAD trapper
PUSH_STR "kill"
EXIT_SIGNAL
RECEIVE
GET_FIELD reason
PRINT
HALT
LABEL trapper
TRUE
TRAP_EXIT
PUSH_STR "trapping"
SEND 1
RECEIVE
SEND 1
RECEIVE
`,
    stdout: lines("trapping", "{type: EXIT, from: 1, reason: please}", "killed"),
  },
  {
    name: "supervisors restart a crashed child",
    groups: ["supervisors"],
    source: program`
PUSH_STR "sup"
SPAWN
POP
PUSH_STR "supervising"
RECEIVE_MATCH
PRINT
PUSH_STR "worker up"
RECEIVE_MATCH
PRINT
WHEREIS worker
STORE old
WHEREIS worker
MONITOR
POP
PUSH_STR "crash"
SENDNAMED worker
MAKE_OBJECT
PUSH_STR "DOWN"
SET_FIELD type
RECEIVE_MATCH
GET_FIELD reason
PRINT
PUSH_STR "worker up"
RECEIVE_MATCH
PRINT
WHEREIS worker
LOAD old
NE
PRINT
PUSH_STR "ping"
SENDNAMED worker
RECEIVE
PRINT
HALT
LABEL sup
START_SUPERVISOR
SUPERVISE_CHILD worker
PUSH_STR "supervising"
SEND 1
LABEL sup_loop
RECEIVE
JMP sup_loop
LABEL worker
PUSH_STR "worker up"
SEND 1
LABEL work
RECEIVE
DUP
PUSH_STR "crash"
EQ
JZ answer
THROW
LABEL answer
PUSH_STR "pong"
SEND 1
POP
JMP work
`,
    stdout: lines("supervising", "worker up", "crash", "worker up", "1", "pong"),
    stderr: lines("Process 3 crashed: crash ({file}:52)"),
  },
  {
    name: "yield lets the other processes run in turn",
    groups: ["yield"],
    source: program`
PUSH_STR "b"
SPAWN
POP
PUSH_STR "a1"
PRINT
YIELD
PUSH_STR "a2"
PRINT
YIELD
PUSH_STR "a3"
PRINT
HALT
LABEL b
PUSH_STR "b1"
PRINT
YIELD
PUSH_STR "b2"
PRINT
YIELD
PUSH_STR "b3"
PRINT
`,
    stdout: lines("a1", "b1", "a2", "b2", "a3", "b3"),
    smp: "sorted",
  },
  {
    name: "preemption: a busy process cannot starve the others",
    groups: ["yield"],
    source: program`
PUSH_STR "spinner"
SPAWN
POP
PUSH_STR "quick"
SPAWN
POP
RECEIVE
PRINT
RECEIVE
PRINT
HALT
LABEL spinner
PUSH_INT 200000
LABEL spin
PUSH_INT 1
SUB
DUP
JZ spun
JMP spin
LABEL spun
PUSH_STR "spinner done"
SEND 1
HALT
LABEL quick
PUSH_STR "quick done"
SEND 1
`,
    stdout: lines("quick done", "spinner done"),
    smp: "sorted",
  },
  {
    name: "fan-out: many workers, one total",
    groups: ["parallel", "spawn", "messages"],
    source: program`
PUSH_INT 0
STORE i
LABEL spawn_loop
LOAD i
PUSH_INT 50
LT
JZ collect
LOAD i
MAKE_FUNCTION work n
SPAWN
POP
LOAD i
PUSH_INT 1
ADD
STORE i
JMP spawn_loop
LABEL collect
PUSH_INT 0
STORE total
PUSH_INT 0
STORE got
LABEL collect_loop
LOAD got
PUSH_INT 50
LT
JZ report
RECEIVE
LOAD total
ADD
STORE total
LOAD got
PUSH_INT 1
ADD
STORE got
JMP collect_loop
LABEL report
LOAD total
PRINT
HALT
;  worker n: the sum 0 + 1 + … + 1000n
LABEL work
PUSH_INT 0
STORE sum
LOAD n
PUSH_INT 1000
MUL
STORE k
LABEL sum_loop
LOAD k
JZ done
LOAD sum
LOAD k
ADD
STORE sum
LOAD k
PUSH_INT 1
SUB
STORE k
JMP sum_loop
LABEL done
LOAD sum
SEND 1
`,
    // Σ over n < 50 of 1000n(1000n + 1)/2, computed here independently of the VM
    stdout: lines(
      String(
        Array.from({ length: 50 }, (_, n) => (1000 * n * (1000 * n + 1)) / 2)
          .reduce((a, b) => a + b, 0),
      ),
    ),
  },
];

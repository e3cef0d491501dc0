/**
 * Control messages: every operation encodes to the variant the peer's flags call for (SEND vs
 * SEND_SENDER, EXIT vs PAYLOAD_EXIT, trace-token variants) and decodes back to the same typed
 * message, frames carry control and payload, and malformed control tuples are ControlErrors.
 */
import assert from "node:assert/strict";
import { readU32 } from "../../src/dist/bytes.ts";
import { decodeFrame, encodeFrame } from "../../src/dist/connection.ts";
import {
  ControlError,
  type ControlMessage,
  decodeControl,
  DOP,
  encodeControl,
} from "../../src/dist/control.ts";
import { formatErlTerm } from "../../src/dist/format.ts";
import { DFLAG, DFLAGS_MANDATORY_25, DFLAGS_OFFERED } from "../../src/dist/handshake.ts";
import { atom, binary, type ErlTerm, list, NIL, pid, ref, tuple } from "../../src/dist/term.ts";

const a = pid("a@h", 1, 0, 5), b = pid("b@h", 2, 0, 6);
const r = ref("a@h", 5, [1, 2, 3]);
const token = tuple(atom("seq"), 1n);

const messages: ControlMessage[] = [
  { op: "LINK", from: a, to: b },
  { op: "SEND", from: a, to: b, message: binary("hi") },
  { op: "SEND", from: a, to: b, message: NIL, traceToken: token },
  { op: "REG_SEND", from: a, toName: "server", message: tuple(atom("call"), 1n) },
  { op: "REG_SEND", from: a, toName: "server", message: NIL, traceToken: token },
  { op: "EXIT", from: a, to: b, reason: atom("boom") },
  { op: "EXIT", from: a, to: b, reason: atom("boom"), traceToken: token },
  { op: "EXIT2", from: a, to: b, reason: tuple(atom("shutdown"), 1n) },
  { op: "EXIT2", from: a, to: b, reason: atom("kill"), traceToken: token },
  { op: "UNLINK", from: a, to: b },
  { op: "UNLINK_ID", id: (1n << 64n) - 1n, from: a, to: b },
  { op: "UNLINK_ID_ACK", id: 1n, from: b, to: a },
  { op: "MONITOR_P", from: a, to: b, ref: r },
  { op: "MONITOR_P", from: a, to: atom("registered"), ref: r },
  { op: "DEMONITOR_P", from: a, to: b, ref: r },
  { op: "MONITOR_P_EXIT", from: b, to: a, ref: r, reason: atom("normal") },
  { op: "MONITOR_P_EXIT", from: atom("registered"), to: a, ref: r, reason: atom("noproc") },
  {
    op: "SPAWN_REQUEST",
    reqId: r,
    from: a,
    groupLeader: a,
    module: "m",
    function: "f",
    arity: 2,
    options: list([atom("monitor")]),
    args: list([1n, 2n]),
  },
  {
    op: "SPAWN_REQUEST",
    reqId: r,
    from: a,
    groupLeader: a,
    module: "m",
    function: "f",
    arity: 0,
    options: NIL,
    args: NIL,
    traceToken: token,
  },
  { op: "SPAWN_REPLY", reqId: r, to: a, flags: 3, result: b },
  { op: "SPAWN_REPLY", reqId: r, to: a, flags: 0, result: atom("badarg"), traceToken: token },
  { op: "ALIAS_SEND", from: a, alias: r, message: atom("m") },
  { op: "ALIAS_SEND", from: a, alias: r, message: atom("m"), traceToken: token },
  { op: "GROUP_LEADER", from: a, to: b },
  { op: "NODE_LINK" },
];

/** The fields of a message, compared through their printed form. */
function fields(m: ControlMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === "control" || k === "payload" || v === undefined) continue;
    out[k] = typeof v === "string" || typeof v === "number"
      ? String(v)
      : formatErlTerm(v as ErlTerm);
  }
  return out;
}

Deno.test("every control message round-trips through a frame, with full and minimal flags", () => {
  for (const flags of [DFLAGS_OFFERED, DFLAGS_MANDATORY_25 | DFLAG.SPAWN | DFLAG.ALIAS]) {
    for (const msg of messages) {
      const { control, payload } = encodeControl(msg, flags);
      const frame = encodeFrame(control, payload);
      assert.equal(readU32(frame, 0), frame.length - 4);
      const back = decodeFrame(frame.subarray(4));
      const expected = fields(msg);
      // Without SEND_SENDER a SEND does not carry its sender.
      if (msg.op === "SEND" && (flags & DFLAG.SEND_SENDER) === 0n) delete expected.from;
      assert.deepEqual(fields(back), expected, `${msg.op} with flags ${flags.toString(16)}`);
    }
  }
});

Deno.test("variants follow the peer's flags", () => {
  const op = (msg: ControlMessage, flags: bigint) => {
    const c = encodeControl(msg, flags).control;
    return c !== null && typeof c === "object" && c.t === "tuple" ? c.items[0] : undefined;
  };
  const send: ControlMessage = { op: "SEND", from: a, to: b, message: NIL };
  assert.equal(op(send, DFLAGS_OFFERED), BigInt(DOP.SEND_SENDER));
  assert.equal(op(send, DFLAGS_MANDATORY_25), BigInt(DOP.SEND));
  assert.equal(op({ op: "SEND", to: b, message: NIL }, DFLAGS_OFFERED), BigInt(DOP.SEND));
  const exit: ControlMessage = { op: "EXIT", from: a, to: b, reason: NIL };
  assert.equal(op(exit, DFLAGS_OFFERED), BigInt(DOP.PAYLOAD_EXIT));
  assert.equal(op(exit, DFLAGS_MANDATORY_25), BigInt(DOP.EXIT));
  const down: ControlMessage = { op: "MONITOR_P_EXIT", from: b, to: a, ref: r, reason: NIL };
  assert.equal(op(down, DFLAGS_OFFERED), BigInt(DOP.PAYLOAD_MONITOR_P_EXIT));
  assert.throws(() => encodeControl(messages[17], DFLAGS_MANDATORY_25), /SPAWN_REQUEST/);
  assert.throws(() => encodeControl(messages[21], DFLAGS_MANDATORY_25), /ALIAS_SEND/);
});

Deno.test("malformed control messages are ControlErrors", () => {
  const bad: [ErlTerm, ErlTerm | undefined, RegExp][] = [
    [atom("x"), undefined, /not a tuple/],
    [tuple(99n), undefined, /unknown control operation 99/],
    [tuple(1n, a), undefined, /control 1 has 2 elements, not 3/],
    [tuple(1n, a, atom("b")), undefined, /to is not a pid/],
    [tuple(2n, atom(""), b), undefined, /lacks its payload/],
    [tuple(6n, a, atom(""), 5n), NIL, /name is not an atom/],
    [tuple(19n, a, b, 7n), undefined, /reference/],
    [tuple(35n, -1n, a, b), undefined, /unlink id/],
    [tuple(29n, r, a, a, tuple(atom("m"), atom("f"), 2n), NIL), list([1n]), /arity/],
    [tuple(29n, r, a, a, atom("mfa"), NIL), NIL, /entry point/],
  ];
  for (const [control, payload, message] of bad) {
    assert.throws(() => decodeControl(control, payload), (e: Error) => {
      assert.ok(e instanceof ControlError);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.throws(() => decodeFrame(new Uint8Array([131, 68, 0])), /distribution header/);
});

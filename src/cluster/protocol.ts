/**
 * The requests processes send the distribution bridge (src/cluster/bridge.ts) through the port
 * driver — internal request kinds 0x110–0x11f (src/ports/protocol.ts reserves them). Opcodes
 * (src/vm/ops_dist.ts) and the signal forwarder (forward.ts) build them; the bridge, on the
 * driver's thread, handles them.
 *
 * | kind               | from      | handle | a            | b          | args                     |
 * |--------------------|-----------|--------|--------------|------------|--------------------------|
 * | REQ_DIST_SIGNAL    | sender    | proxy  | signal kind  | signal `a` | [value] (msg / reason)   |
 * | REQ_DIST_NODES     | caller    |        |              |            | [] → List of Atoms       |
 * | REQ_DIST_CONNECT   | caller    |        |              |            | [node Str] → Bool        |
 * | REQ_DIST_DISCONNECT| caller    |        |              |            | [node Str] → Bool        |
 * | REQ_DIST_MONITOR_NODE | caller |        | 1 on / 0 off |            | [node Str] (no reply)    |
 * | REQ_DIST_REG_SEND  | sender    |        |              |            | [node, name, msg] (none) |
 * | REQ_DIST_SPAWN     | caller    |        |              |            | [node, callable, args…] → PID |
 */
export const REQ_DIST_SIGNAL = 0x110;
export const REQ_DIST_NODES = 0x111;
export const REQ_DIST_CONNECT = 0x112;
export const REQ_DIST_DISCONNECT = 0x113;
export const REQ_DIST_MONITOR_NODE = 0x114;
export const REQ_DIST_REG_SEND = 0x115;
export const REQ_DIST_SPAWN = 0x116;

/** The name of a node that is not distributed (Erlang's). */
export const NO_NODE = "nonode@nohost";

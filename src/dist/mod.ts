/**
 * The distribution layer's public interface, for the VM integration: one import for the node,
 * the term model and codec, the control messages and EPMD. Nothing here depends on the VM; see
 * docs/DISTRIBUTION.md for the protocol subset and how the VM is expected to use it.
 */
export { DistNode, type DistNodeEvents, type DistNodeOptions, splitNodeName } from "./node.ts";
export { type RemoteName, SignalSender } from "./signals.ts";
export {
  ControlError,
  type ControlMessage,
  type ControlOp,
  DOP,
  type ReceivedControl,
  SPAWN_REPLY_LINKED,
  SPAWN_REPLY_MONITORED,
} from "./control.ts";
export type { ConnectionStats } from "./connection.ts";
export {
  decodeTerm,
  decodeTermAt,
  describeOpaque,
  encodeTerm,
  EtfError,
  type OpaqueInfo,
} from "./etf.ts";
export { formatAtom, formatErlTerm, formatFloat } from "./format.ts";
export * from "./term.ts";
export {
  ensureEpmd,
  EpmdError,
  type EpmdHandle,
  epmdNames,
  epmdPortPlease,
  epmdRegister,
  type EpmdRegistration,
} from "./epmd.ts";
export { EpmdServer } from "./epmd_server.ts";
export { DFLAG, DFLAGS_OFFERED, HandshakeError } from "./handshake.ts";
export { CookieError, erlangCookie } from "./cookie.ts";

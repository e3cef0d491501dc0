/**
 * Message payloads for generated senders: code that pushes a value, and the text TO_STR must
 * give for it after the value has been deep-copied into the receiver. Varied shapes (strings,
 * ints, floats, lists, objects, nesting, long strings) exercise the copier and the GC.
 *
 * Invariant: no rendered payload contains `|` (report lines are split on it).
 */

export const PAYLOAD_KINDS = 8;

export interface Payload {
  code: string[];
  text: string;
}

/** Payload `kind` for message `seq` of sender `sender`. */
export function payload(kind: number, sender: number, seq: number): Payload {
  switch (kind % PAYLOAD_KINDS) {
    case 0:
      return { code: [`PUSH_STR "v${sender}_${seq}"`], text: `v${sender}_${seq}` };
    case 1: {
      const n = seq * 7 + sender;
      return { code: [`PUSH_INT ${n}`], text: `${n}` };
    }
    case 2:
      return { code: [`PUSH_INT ${seq}`, 'PUSH_STR "x"', "MAKE_LIST 2"], text: `[${seq}, x]` };
    case 3:
      return {
        code: ["MAKE_OBJECT", `PUSH_INT ${seq}`, "SET_FIELD a", 'PUSH_STR "s"', "SET_FIELD b"],
        text: `{a: ${seq}, b: s}`,
      };
    case 4:
      return {
        code: [
          "MAKE_OBJECT",
          `PUSH_INT ${seq}`,
          "SET_FIELD a",
          `PUSH_INT ${sender}`,
          `PUSH_INT ${seq}`,
          "MAKE_LIST 2",
          "MAKE_LIST 2",
        ],
        text: `[{a: ${seq}}, [${sender}, ${seq}]]`,
      };
    case 5:
      return { code: [`PUSH_FLOAT ${seq}.5`], text: `${seq}.5` };
    case 6:
      return {
        code: ["PUSH_BOOL true", "NULL", 'PUSH_STR ""', "MAKE_LIST 3"],
        text: "[true, null, ]",
      };
    default: {
      const s = "w".repeat(40 + (seq % 13));
      return { code: [`PUSH_STR "${s}"`], text: s };
    }
  }
}

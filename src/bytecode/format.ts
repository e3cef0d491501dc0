/**
 * The .ttb container constants shared by the encoder and the loader (layout: docs/BYTECODE.md).
 *
 * Invariants: section ids are only ever added, never renumbered; the header is HEADER_SIZE_BYTES
 * long and the file ends with a CRC_SIZE_BYTES checksum of everything before it.
 */

/** "TTVM" in ASCII. */
export const TTB_MAGIC: Uint8Array = new Uint8Array([0x54, 0x54, 0x56, 0x4d]);
export const TTB_VERSION = 1;

/** magic(4) + version u16 + flags u16 + section count u16. */
export const HEADER_SIZE_BYTES = 10;
/** u8 id + u32 payload length. */
export const SECTION_HEADER_SIZE_BYTES = 5;
export const CRC_SIZE_BYTES = 4;

export const SECTION = {
  STRINGS: 1,
  INTS: 2,
  FLOATS: 3,
  PARAM_LISTS: 4,
  MODULES: 5,
  LABELS: 6,
  CODE: 7,
  LINES: 8,
} as const;

export const SECTION_NAMES: Readonly<Record<number, string>> = {
  [SECTION.STRINGS]: "string table",
  [SECTION.INTS]: "int pool",
  [SECTION.FLOATS]: "float pool",
  [SECTION.PARAM_LISTS]: "param lists",
  [SECTION.MODULES]: "module table",
  [SECTION.LABELS]: "label table",
  [SECTION.CODE]: "code",
  [SECTION.LINES]: "line table",
};

/** Every section a version-1 file must contain, each exactly once, in the order written. */
export const REQUIRED_SECTIONS: readonly number[] = [
  SECTION.STRINGS,
  SECTION.INTS,
  SECTION.FLOATS,
  SECTION.PARAM_LISTS,
  SECTION.MODULES,
  SECTION.LABELS,
  SECTION.CODE,
  SECTION.LINES,
];

/** Largest value an i32 word of a count, index or pc may hold. */
export const MAX_I32 = 0x7fffffff;

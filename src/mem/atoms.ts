/**
 * Atom table: interned strings shared by every process and worker — variable names, field
 * names, string literals, registry names, and object keys created at run time (JSON_PARSE).
 * Atoms are never freed (as in BEAM); an atom id is a small integer. So that a program making
 * atoms from its input (a JSON-parsing server: every new object key is an atom) cannot grow
 * the table without bound, it holds at most H_ATOM_LIMIT atoms (--max-atoms, BEAM's `+t`):
 * the operation that would make one more fails its process with the catchable `Atom table
 * full`, and the VM goes on.
 *
 * Shared layout: H_ATOM_DIR_CELL points at a directory block of i32 entries (H_ATOM_DIR_CAP of
 * them), entry i = cell index of atom i's string, stored like a heap STR object (header + UTF-16
 * units). H_ATOM_COUNT is published with Atomics.store after the entry is written, so a reader
 * that sees count n can read entries < n.
 *
 * Each thread keeps a JS cache (names[], Map name→id) and syncs it from the shared table on a
 * miss; insertion takes H_ATOM_LOCK, re-syncs, and only then appends.
 */
import {
  H_ATOM_COUNT,
  H_ATOM_DIR_CAP,
  H_ATOM_DIR_CELL,
  H_ATOM_LIMIT,
  H_ATOM_LOCK,
} from "./layout.ts";
import { LimitError } from "./limit_error.ts";
import type { Memory } from "./memory.ts";
import { spinLock, spinUnlock } from "./spin.ts";
import { strCells, T_STR } from "../term/tags.ts";

export const ATOM_LIMIT_REASON = "Atom table full";
/** Default of --max-atoms (BEAM's default atom table size). */
export const DEFAULT_MAX_ATOMS = 1_048_576;

/** Room kept above the program's own atoms for the runtime's (reasons, field names). */
const RUNTIME_ATOMS = 256;

/** Set the atom limit once the program's own atoms are in (they, and the runtime's, always
 *  fit). */
export function setAtomLimit(mem: Memory, maxAtoms: number): void {
  const floor = Atomics.load(mem.i32, H_ATOM_COUNT) + RUNTIME_ATOMS;
  Atomics.store(mem.i32, H_ATOM_LIMIT, Math.max(maxAtoms, floor));
}

export class AtomTable {
  private readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(private readonly mem: Memory) {}

  get count(): number {
    return Atomics.load(this.mem.i32, H_ATOM_COUNT);
  }

  /** The name of atom `id` (must exist). */
  name(id: number): string {
    const n = this.names[id];
    if (n !== undefined) return n;
    this.sync();
    const m = this.names[id];
    if (m === undefined) throw new RangeError(`unknown atom ${id}`);
    return m;
  }

  /** The id of `s`, or -1 if it is not an atom yet. */
  lookup(s: string): number {
    const id = this.ids.get(s);
    if (id !== undefined) return id;
    this.sync();
    return this.ids.get(s) ?? -1;
  }

  /** The id of `s`, creating the atom if needed. */
  intern(s: string): number {
    const known = this.lookup(s);
    if (known >= 0) return known;
    const mem = this.mem;
    spinLock(mem, H_ATOM_LOCK);
    try {
      this.sync();
      const again = this.ids.get(s);
      if (again !== undefined) return again;
      return this.append(s);
    } finally {
      spinUnlock(mem, H_ATOM_LOCK);
    }
  }

  private append(s: string): number {
    const mem = this.mem;
    const id = mem.i32[H_ATOM_COUNT];
    const limit = mem.i32[H_ATOM_LIMIT];
    if (limit > 0 && id >= limit) throw new LimitError(ATOM_LIMIT_REASON, true);
    if (id >= mem.i32[H_ATOM_DIR_CAP]) this.growDirectory(id + 1);
    const cell = mem.allocBlock(strCells(s.length));
    const w = mem.i32, u16 = mem.u16;
    const h = cell << 2;
    w[h] = T_STR;
    w[h + 1] = s.length;
    w[h + 2] = strCells(s.length);
    w[h + 3] = 0;
    const base = (cell + 1) << 3;
    for (let i = 0; i < s.length; i++) u16[base + i] = s.charCodeAt(i);
    w[(w[H_ATOM_DIR_CELL] << 2) + id] = cell;
    Atomics.store(w, H_ATOM_COUNT, id + 1);
    this.names[id] = s;
    this.ids.set(s, id);
    return id;
  }

  private growDirectory(minEntries: number): void {
    const mem = this.mem;
    const oldCap = mem.i32[H_ATOM_DIR_CAP];
    let cap = Math.max(1024, oldCap);
    while (cap < minEntries) cap *= 2;
    const block = mem.allocBlock(cap / 4);
    const w = mem.i32;
    const oldDir = w[H_ATOM_DIR_CELL];
    if (oldCap > 0) {
      w.copyWithin(block << 2, oldDir << 2, (oldDir << 2) + oldCap);
      // Old directory is leaked on purpose: a concurrent reader may still be using it.
    }
    w[H_ATOM_DIR_CELL] = block;
    Atomics.store(w, H_ATOM_DIR_CAP, cap);
  }

  /** Pull atoms created by other threads into the local cache. */
  private sync(): void {
    const mem = this.mem;
    mem.refresh();
    const count = Atomics.load(mem.i32, H_ATOM_COUNT);
    if (this.names.length >= count) return;
    const w = mem.i32, u16 = mem.u16;
    const dir = w[H_ATOM_DIR_CELL] << 2;
    for (let id = this.names.length; id < count; id++) {
      const cell = w[dir + id];
      const len = w[(cell << 2) + 1];
      const s = decodeUnits(u16, (cell + 1) << 3, len);
      this.names[id] = s;
      this.ids.set(s, id);
    }
  }
}

/** Decode `len` UTF-16 units starting at u16 index `start`. */
export function decodeUnits(u16: Uint16Array, start: number, len: number): string {
  if (len <= 64) {
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(u16[start + i]);
    return s;
  }
  let out = "";
  const CHUNK = 4096;
  for (let i = 0; i < len; i += CHUNK) {
    const end = Math.min(len, i + CHUNK);
    out += String.fromCharCode.apply(
      null,
      Array.from(u16.subarray(start + i, start + end)),
    );
  }
  return out;
}

/**
 * SQLite databases on the port driver through `node:sqlite` (LANGUAGE.md §7): DB_CONNECT opens
 * a file or ":memory:" (a Connection of kind db, owned by its process), DB_QUERY gives a List of
 * Objects (one per row, columns in order), DB_EXEC the number of rows changed. Parameters are a
 * List bound to `?` placeholders. SQL errors are catchable with SQLite's own message.
 *
 * node:sqlite is synchronous: a statement runs on the driver's thread. On the SMP pool that is
 * the main thread, so no scheduler waits; on the single scheduler the statement takes its time
 * from the run, as any instruction's work does.
 */
import type { DatabaseSync } from "node:sqlite";
import { nodeBuiltin } from "../host/node_builtin.ts";
import type { HostValue } from "../term/host.ts";
import { type PortDriver, PortError, type PortHandle } from "./driver.ts";
import type { PortRequest } from "./protocol.ts";

const K_DB = 6;
const OP_CONNECT = 0xd0, OP_QUERY = 0xd1, OP_EXEC = 0xd2;

type SqlValue = null | number | bigint | string | Uint8Array;

class Database implements PortHandle {
  readonly kind = K_DB;

  constructor(readonly id: number, readonly db: DatabaseSync) {}

  isSource(): boolean {
    return false;
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }
}

function sqlParam(v: HostValue): SqlValue {
  switch (v.kind) {
    case "null":
      return null;
    case "int":
      return v.value; // a bigint: SQLite binds it as INTEGER (a JS number would become REAL)
    case "float":
      return v.value;
    case "bool":
      return v.value ? 1 : 0;
    case "str":
      return v.value;
    case "atom":
      return v.name;
    case "bytes":
      return v.value;
    default:
      throw new PortError(`Cannot bind a ${v.kind} as an SQL parameter`);
  }
}

function hostOf(x: unknown): HostValue {
  if (x === null || x === undefined) return { kind: "null" };
  if (typeof x === "bigint") return { kind: "int", value: x };
  if (typeof x === "number") {
    return Number.isInteger(x) ? { kind: "int", value: BigInt(x) } : { kind: "float", value: x };
  }
  if (typeof x === "string") return { kind: "str", value: x };
  if (x instanceof Uint8Array) return { kind: "bytes", value: x };
  return { kind: "str", value: String(x) };
}

function params(v: HostValue | undefined): SqlValue[] {
  return v?.kind === "list" ? v.items.map(sqlParam) : [];
}

function sqlOf(req: PortRequest): string {
  const v = req.args[0];
  return v?.kind === "str" ? v.value : "";
}

export function registerDb(driver: PortDriver): void {
  driver.on(OP_CONNECT, (d, req) => {
    const path = req.args[0]?.kind === "str" ? req.args[0].value : ":memory:";
    let db: DatabaseSync;
    try {
      db = new (nodeBuiltin("node:sqlite").DatabaseSync)(path);
    } catch (e) {
      throw new PortError(`Database error: ${e instanceof Error ? e.message : e}`);
    }
    const id = d.ports.create(K_DB, req.from);
    d.add(new Database(id, db), req.from);
    d.reply(req, { kind: "conn", connKind: "db", id });
  });
  const run = (query: boolean) => (d: PortDriver, req: PortRequest) => {
    const h = d.get(req.handle);
    if (!(h instanceof Database)) {
      d.fail(req, `Connection closed: Connection(db#${req.handle})`);
      return;
    }
    try {
      const stmt = h.db.prepare(sqlOf(req));
      stmt.setReadBigInts(true);
      if (query) {
        const rows = stmt.all(...params(req.args[1])) as Array<Record<string, unknown>>;
        d.reply(req, {
          kind: "list",
          items: rows.map((r) => ({
            kind: "object",
            entries: Object.entries(r).map(([k, x]): [string, HostValue] => [k, hostOf(x)]),
          })),
        });
      } else {
        const r = stmt.run(...params(req.args[1]));
        d.reply(req, { kind: "int", value: BigInt(r.changes) });
      }
    } catch (e) {
      d.fail(req, e instanceof Error ? e.message : String(e));
    }
  };
  driver.on(OP_QUERY, run(true));
  driver.on(OP_EXEC, run(false));
}

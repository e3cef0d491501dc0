/**
 * File requests (READ_FILE … WRITE_BYTES): done with Deno's asynchronous file API on the
 * driver's thread, so a slow disk delays only the process that asked. Error texts are the
 * reference's (`File operation failed on <name>: <OS error>`).
 */
import type { HostValue } from "../term/host.ts";
import { osErrorText } from "../vm/errors.ts";
import { type PortDriver, PortError } from "./driver.ts";
import type { PortRequest } from "./protocol.ts";

const NULL: HostValue = { kind: "null" };

function text(v: HostValue | undefined): string {
  if (v?.kind !== "str") throw new PortError("internal error: file request without a name");
  return v.value;
}

/** Run a file operation; an OS error becomes the reference's message for `name`. */
async function onFile<T>(name: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw new PortError(`File operation failed on ${name}: ${osErrorText(e)}`);
  }
}

export function registerFiles(driver: PortDriver): void {
  const file = (kind: number, work: (req: PortRequest, name: string) => Promise<HostValue>) =>
    driver.on(kind, (d, req) => d.start(req, () => work(req, text(req.args[0]))));

  file(0x72, (_r, name) =>
    // READ_FILE
    onFile(name, async () => ({ kind: "str", value: await Deno.readTextFile(name) })));
  file(0x78, (_r, name) =>
    // READ_BYTES
    onFile(name, async () => ({ kind: "bytes", value: await Deno.readFile(name) })));
  file(0x73, (req, name) =>
    // WRITE_FILE
    onFile(name, async () => {
      await Deno.writeTextFile(name, text(req.args[1]));
      return NULL;
    }));
  file(0x71, (req, name) =>
    // APPEND_FILE
    onFile(name, async () => {
      await Deno.writeTextFile(name, text(req.args[1]), { append: true });
      return NULL;
    }));
  file(0x79, (req, name) =>
    // WRITE_BYTES
    onFile(name, async () => {
      const data = req.args[1];
      if (data?.kind !== "bytes") throw new PortError("internal error: WRITE_BYTES without bytes");
      await Deno.writeFile(name, data.value);
      return NULL;
    }));
  file(0x74, async (_r, name) => { // FILE_EXISTS
    try {
      await Deno.stat(name);
      return { kind: "bool", value: true };
    } catch {
      return { kind: "bool", value: false };
    }
  });
  file(0x75, (_r, name) =>
    // FILE_SIZE
    onFile(name, async () => ({ kind: "int", value: BigInt((await Deno.stat(name)).size) })));
  file(0x76, (_r, name) =>
    // DELETE_FILE
    onFile(name, async () => {
      await Deno.remove(name);
      return NULL;
    }));
  file(0x77, (_r, name) =>
    // LIST_DIR
    onFile(name, async () => {
      const names: string[] = [];
      for await (const e of Deno.readDir(name)) names.push(e.name);
      names.sort();
      return { kind: "list", items: names.map((value) => ({ kind: "str", value })) };
    }));
}

/**
 * The output half of Erlang's I/O protocol, for Erlang processes whose group leader is this
 * node (those a ttvm process started with SPAWN_AT): the text of an `io_request`'s request,
 * so that `io:put_chars` and the common `io:format` directives print on the ttvm node, as they
 * would print on the node that spawned them in Erlang.
 *
 * Supported: `{put_chars, Enc, Chars}`, `{put_chars, Chars}`, `{requests, [...]}` and
 * `{put_chars, Enc, io_lib, format, [Format, Args]}` with the directives `~p ~w ~s ~n ~~ ~c ~i
 * ~B ~f` (with the `t` modifier, no field widths). Anything else (reading, options, other
 * directives) has no text: the caller answers `{error, enotsup}`.
 */
import { type ErlTerm, formatErlTerm, isAtom, isTuple, properListItems } from "../dist/mod.ts";

const utf8 = new TextDecoder();
const latin1 = new TextDecoder("latin1");

/** The text a request prints, or undefined when it is not an output request understood here. */
export function ioRequestText(request: ErlTerm): string | undefined {
  if (isTuple(request, 2) && isAtom(request.items[0], "requests")) {
    const parts = properListItems(request.items[1]);
    if (parts === undefined) return undefined;
    let out = "";
    for (const r of parts) {
      const t = ioRequestText(r);
      if (t === undefined) return undefined;
      out += t;
    }
    return out;
  }
  if (!isTuple(request) || !isAtom(request.items[0], "put_chars")) return undefined;
  const items = request.items;
  if (items.length === 2) return charData(items[1], false);
  const latin = isAtom(items[1], "latin1");
  if (items.length === 3) return charData(items[2], latin);
  if (items.length === 5 && isAtom(items[2], "io_lib") && isAtom(items[3], "format")) {
    const args = properListItems(items[4]);
    if (args?.length !== 2) return undefined;
    const fmt = charData(args[0], false), data = properListItems(args[1]);
    if (fmt === undefined || data === undefined) return undefined;
    return format(fmt, data);
  }
  return undefined;
}

/** Erlang chardata (binaries, code points, nested lists; an atom's name) as text. */
export function charData(term: ErlTerm, latin: boolean): string | undefined {
  let out = "";
  const work: ErlTerm[] = [term];
  while (work.length > 0) {
    const x = work.pop()!;
    if (typeof x === "bigint") {
      if (x < 0n || x > 0x10ffffn) return undefined;
      out += String.fromCodePoint(Number(x));
      continue;
    }
    switch (x.t) {
      case "binary":
        out += (latin ? latin1 : utf8).decode(x.bytes);
        break;
      case "nil":
        break;
      case "atom":
        out += x.name;
        break;
      case "list":
        if (!(typeof x.tail === "object" && (x.tail.t === "nil" || x.tail.t === "binary"))) {
          return undefined;
        }
        work.push(x.tail);
        for (let i = x.items.length - 1; i >= 0; i--) work.push(x.items[i]);
        break;
      default:
        return undefined;
    }
  }
  return out;
}

function format(fmt: string, args: readonly ErlTerm[]): string | undefined {
  let out = "", next = 0;
  const arg = () => (next < args.length ? args[next++] : undefined);
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i];
    if (ch !== "~") {
      out += ch;
      continue;
    }
    let d = fmt[++i];
    if (d === "t" || d === "l") d = fmt[++i];
    switch (d) {
      case "n":
        out += "\n";
        break;
      case "~":
        out += "~";
        break;
      case "p":
      case "w": {
        const a = arg();
        if (a === undefined) return undefined;
        out += formatErlTerm(a);
        break;
      }
      case "s": {
        const a = arg();
        const text = a === undefined ? undefined : charData(a, false);
        if (text === undefined) return undefined;
        out += text;
        break;
      }
      case "c": {
        const a = arg();
        if (typeof a !== "bigint") return undefined;
        out += String.fromCodePoint(Number(a));
        break;
      }
      case "B": {
        const a = arg();
        if (typeof a !== "bigint") return undefined;
        out += a.toString();
        break;
      }
      case "f": {
        const a = arg();
        if (typeof a !== "object" || a.t !== "float") return undefined;
        out += a.value.toFixed(6);
        break;
      }
      case "i":
        if (arg() === undefined) return undefined;
        break;
      default:
        return undefined;
    }
  }
  return next === args.length ? out : undefined;
}

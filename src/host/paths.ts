/**
 * File-system paths for the assembler, the loader and code loading: `resolve`, `relative`,
 * `dirname`, `isAbsolute`, `sep` and `fileUrlToPath`, with node:path's results.
 *
 * Why not node:path: importing any Node built-in bootstraps Deno's Node compatibility layer,
 * 16 ms of every command's start-up here (node:path with node:url, measured 2026-12-07), and
 * every run resolves its program's path. On POSIX systems these few functions are written
 * out here; on Windows (drive letters, UNC paths, two separators) they are node:path's own,
 * loaded on first use.
 *
 * Invariant: on POSIX, every result equals node:path's for the same arguments (tests/host/
 * paths_test.ts compares them over generated paths).
 */
import { nodeBuiltin } from "./node_builtin.ts";

const WINDOWS = Deno.build.os === "windows";

/** The platform's path separator. */
export const sep = WINDOWS ? "\\" : "/";

/** The segments of a POSIX path with `.` and empty ones dropped and `..` applied (above the
 *  root `..` stays at the root, as for an absolute path). */
function segments(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out;
}

/** The absolute, normalised path of the last argument resolved against the ones before it,
 *  and against the working directory when none of them is absolute. */
export function resolve(...paths: string[]): string {
  if (WINDOWS) return nodeBuiltin("node:path").resolve(...paths);
  let joined = "";
  for (let i = paths.length - 1; i >= 0 && !joined.startsWith("/"); i--) {
    if (paths[i] === "") continue;
    joined = joined === "" ? paths[i] : `${paths[i]}/${joined}`;
  }
  if (!joined.startsWith("/")) joined = `${Deno.cwd()}/${joined}`;
  return `/${segments(joined).join("/")}`;
}

/** The path from `from` to `to` (both resolved first); "" when they are the same. */
export function relative(from: string, to: string): string {
  if (WINDOWS) return nodeBuiltin("node:path").relative(from, to);
  const a = segments(resolve(from)), b = segments(resolve(to));
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...Array(a.length - common).fill(".."), ...b.slice(common)].join("/");
}

/** The directory part of `path`: up to the separator before its last segment ("." when
 *  there is none; only that one separator is dropped, as node:path does). */
export function dirname(path: string): string {
  if (WINDOWS) return nodeBuiltin("node:path").dirname(path);
  let last = path.length - 1;
  while (last > 0 && path[last] === "/") last--; // trailing separators
  const slash = path.lastIndexOf("/", last);
  if (slash < 0) return ".";
  if (slash === 0) return "/";
  return slash === 1 && path[0] === "/" ? "//" : path.slice(0, slash);
}

export function isAbsolute(path: string): boolean {
  if (WINDOWS) return nodeBuiltin("node:path").isAbsolute(path);
  return path.startsWith("/");
}

/** The file-system path of a `file:` URL. */
export function fileUrlToPath(url: URL): string {
  if (WINDOWS) return nodeBuiltin("node:url").fileURLToPath(url);
  if (url.protocol !== "file:") throw new TypeError(`not a file URL: ${url.href}`);
  if (url.hostname !== "") throw new TypeError(`file URL with a host: ${url.href}`);
  if (/%2f/i.test(url.pathname)) throw new TypeError(`file URL with an encoded /: ${url.href}`);
  return decodeURIComponent(url.pathname);
}

/**
 * The cookie a node uses when none is given, as Erlang finds it: the first line of
 * `$HOME/.erlang.cookie`. When the file does not exist it is created with 20 random capital
 * letters and mode 0400, so ttvm and Erlang nodes of the same user share one cookie. As Erlang
 * does, a cookie file that others may read or write is refused (the error says how to fix it).
 */

export class CookieError extends Error {
  override name = "CookieError";
}

const COOKIE_LETTERS = 20;

/** The cookie from `<home>/.erlang.cookie` (home defaults to $HOME), creating it if missing. */
export async function erlangCookie(home = Deno.env.get("HOME")): Promise<string> {
  if (!home) throw new CookieError("no --cookie given and HOME is not set");
  const path = `${home}/.erlang.cookie`;
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (info.mode !== null && (info.mode & 0o077) !== 0) {
      throw new CookieError(`${path} must be accessible by its owner only (chmod 400 ${path})`);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      if (e instanceof CookieError) throw e;
      throw new CookieError(`cannot read ${path}: ${(e as Error).message}`);
    }
    text = randomCookie();
    try {
      await Deno.writeTextFile(path, text, { mode: 0o400, createNew: true });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) return erlangCookie(home); // a race: read it
      throw new CookieError(`cannot create ${path}: ${(err as Error).message}`);
    }
  }
  const cookie = text.split("\n")[0].trim();
  if (cookie === "") throw new CookieError(`${path} is empty`);
  return cookie;
}

function randomCookie(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(COOKIE_LETTERS));
  return String.fromCharCode(...[...bytes].map((b) => 65 + (b % 26)));
}

/**
 * The default cookie comes from $HOME/.erlang.cookie, created (20 capital letters, mode 0400)
 * when missing, read back the same next time, and refused when others may read it.
 */
import assert from "node:assert/strict";
import { CookieError, erlangCookie } from "../../src/dist/cookie.ts";

Deno.test("~/.erlang.cookie is created once, private, and read back", async () => {
  const home = await Deno.makeTempDir({ prefix: "ttvm_home_" });
  try {
    const first = await erlangCookie(home);
    assert.match(first, /^[A-Z]{20}$/);
    assert.equal((await Deno.stat(`${home}/.erlang.cookie`)).mode! & 0o777, 0o400);
    assert.equal(await erlangCookie(home), first);
    await Deno.chmod(`${home}/.erlang.cookie`, 0o644);
    await assert.rejects(
      erlangCookie(home),
      (e) => e instanceof CookieError && /chmod 400/.test(e.message),
    );
    await Deno.remove(`${home}/.erlang.cookie`);
    await Deno.writeTextFile(`${home}/.erlang.cookie`, "secret \n", { mode: 0o600 });
    assert.equal(await erlangCookie(home), "secret");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

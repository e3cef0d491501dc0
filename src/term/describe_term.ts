/**
 * The printed form of a Term — a foreign value from another Erlang node that has no ttvm form
 * (LANGUAGE.md §6, §8), held as its External Term Format bytes (`term_to_binary`'s, version
 * byte first). Display and debug forms are both `describeTerm(bytes)`, wherever a Term is
 * printed (src/term/print.ts, format.ts).
 *
 * Erlang's own notation, as `io:format("~p")` prints on one line (src/dist/format.ts): a value
 * Erlang itself prints with a leading `#` stands as is (`#Ref<0.1.2.3>`, `#Fun<m.0.1>`,
 * `#Port<0.5>`, `#{1 => a}`); anything else is wrapped, `#Term<[1|2]>`,
 * `#Term<123456789012345678901234567890>`. Bytes that are not a valid term print as
 * `#Term<N bytes>`. Invariant: a pure function of the bytes that always starts with `#`.
 */
import { decodeTerm } from "../dist/etf.ts";
import { formatErlTerm } from "../dist/format.ts";

export function describeTerm(bytes: Uint8Array): string {
  let text: string;
  try {
    text = formatErlTerm(decodeTerm(bytes));
  } catch {
    return `#Term<${bytes.length} bytes>`;
  }
  return text.startsWith("#") ? text : `#Term<${text}>`;
}

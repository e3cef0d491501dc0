/**
 * The printed form of a Term — a foreign value from another Erlang node that has no ttvm form
 * (LANGUAGE.md §6, §8), held as its External Term Format bytes. Display and debug forms are
 * both `describeTerm(bytes)`, wherever a Term is printed (src/term/print.ts, format.ts).
 *
 * For now the text is `#Term<N bytes>`; the distribution layer, which knows the External Term
 * Format, replaces this body with Erlang's own notation (`#Ref<0.1.2.3>`, `#Fun<m.f.1>`, …).
 * Invariant: a pure function of the bytes that always starts with `#Term<` or `#`.
 */
export function describeTerm(bytes: Uint8Array): string {
  return `#Term<${bytes.length} bytes>`;
}

/**
 * Resource limits (LANGUAGE.md §2) are errors of the process that hit them, never of the VM.
 * Every limit error says whether the process may catch it (TRY): a limit on what one operation
 * asks for is catchable (Process limit reached, Stack overflow); a limit on what the process
 * holds ends it (Heap limit exceeded, Out of memory) — as Erlang's max_heap_size kills.
 */
export class LimitError extends Error {
  constructor(message: string, readonly catchable: boolean) {
    super(message);
  }
}

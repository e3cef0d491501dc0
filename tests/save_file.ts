/**
 * Save a file the way an editor does when it must never show a half-written file: write the
 * whole text to a temporary file in the same directory, then rename it over the target.
 *
 * The `--reload` tests save watched modules with it. A plain `Deno.writeTextFile` truncates
 * the file and then writes it, so a reloader that read between the two (a test machine
 * stalled for longer than the reloader's quiet time) would load an empty module; a rename
 * replaces the file in one step, and it is the save path that src/ports/reload.ts watches
 * directories for.
 */
let saves = 0;

export async function saveAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.saving-${Deno.pid}-${++saves}`;
  await Deno.writeTextFile(temporary, text);
  await Deno.rename(temporary, path);
}

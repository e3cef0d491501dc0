/**
 * The declarative option table: value syntax (`--name=V`, `--name V`, optional values), typed
 * results, and an error message that says what is wrong for every kind of mistake.
 */
import assert from "node:assert/strict";
import {
  flag,
  integer,
  optionalInteger,
  optionsHelp,
  parseOptions,
  text,
  UsageError,
} from "../../src/cli/options.ts";
import { RUN_OPTIONS } from "../../src/cli/main.ts";

const TABLE = {
  help: flag("show this help", "-h"),
  verbose: flag("talk"),
  reductions: integer("N", 1, 1000, "budget"),
  smp: optionalInteger("N", 1, 256, () => 7, "workers"),
  "trace-procs": text("FILE", "write a trace"),
};

function usageError(argv: string[]): string {
  try {
    parseOptions(TABLE, argv);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  assert.fail(`expected a usage error for ${argv.join(" ")}`);
}

Deno.test("a value option takes --name=V and --name V alike", () => {
  assert.deepEqual(parseOptions(TABLE, ["--reductions=200", "p.ttvm"]).options, {
    reductions: 200,
  });
  const spaced = parseOptions(TABLE, ["--reductions", "200", "p.ttvm", "a"]);
  assert.deepEqual(spaced.options, { reductions: 200 });
  assert.deepEqual(spaced.rest, ["p.ttvm", "a"]);
});

Deno.test("an optional value: implicit when absent, taken from the next argument when numeric", () => {
  assert.deepEqual(parseOptions(TABLE, ["--smp", "p.ttvm"]), {
    options: { smp: 7 },
    rest: ["p.ttvm"],
  });
  assert.deepEqual(parseOptions(TABLE, ["--smp", "2", "p.ttvm"]), {
    options: { smp: 2 },
    rest: ["p.ttvm"],
  });
  assert.deepEqual(parseOptions(TABLE, ["--smp=3", "p.ttvm"]).options, { smp: 3 });
});

Deno.test("parsing stops at the program path or after --; the rest belongs to the program", () => {
  const r = parseOptions(TABLE, ["--verbose", "p.ttvm", "--smp", "-h"]);
  assert.deepEqual(r, { options: { verbose: true }, rest: ["p.ttvm", "--smp", "-h"] });
  assert.deepEqual(parseOptions(TABLE, ["--", "--odd-name.ttvm"]).rest, ["--odd-name.ttvm"]);
  assert.deepEqual(parseOptions(TABLE, ["-h"]).options, { help: true });
});

Deno.test("text values keep their text; an empty one is refused", () => {
  assert.deepEqual(parseOptions(TABLE, ["--trace-procs=out.json", "p"]).options, {
    "trace-procs": "out.json",
  });
  assert.equal(
    usageError(["--trace-procs=", "p"]),
    "invalid value '' for --trace-procs: expected a non-empty value",
  );
});

Deno.test("each mistake gets a message that says what is wrong", () => {
  assert.equal(
    usageError(["--smp=abc", "p"]),
    "invalid value 'abc' for --smp: expected an integer from 1 to 256",
  );
  assert.equal(
    usageError(["--smp", "0", "p"]),
    "invalid value '0' for --smp: expected an integer from 1 to 256",
  );
  assert.equal(
    usageError(["--reductions=-5", "p"]),
    "invalid value '-5' for --reductions: expected an integer from 1 to 1000",
  );
  assert.equal(usageError(["--reductions"]), "--reductions needs a value: --reductions N");
  assert.equal(
    usageError(["--verbose=yes", "p"]),
    "--verbose takes no value (got '--verbose=yes')",
  );
  assert.equal(usageError(["--smpp", "p"]), "unknown option '--smpp' — did you mean '--smp'?");
  assert.equal(usageError(["--frobnicate", "p"]), "unknown option '--frobnicate'");
  assert.equal(usageError(["-q", "p"]), "unknown option '-q'");
});

Deno.test("help lines come from the rows, aligned, in table order", () => {
  assert.equal(
    optionsHelp(TABLE),
    [
      "  -h, --help              show this help",
      "      --verbose           talk",
      "      --reductions N      budget",
      "      --smp[=N]           workers",
      "      --trace-procs FILE  write a trace",
      "",
    ].join("\n"),
  );
});

Deno.test("ttvm's own table: --smp 2 means --smp=2 and --reductions accepts =N", () => {
  assert.deepEqual(parseOptions(RUN_OPTIONS, ["--smp", "2", "prog.ttvm"]), {
    options: { smp: 2 },
    rest: ["prog.ttvm"],
  });
  assert.deepEqual(
    parseOptions(RUN_OPTIONS, ["--reductions=50", "--stress-gc", "prog.ttvm"]).options,
    { reductions: 50, "stress-gc": true },
  );
  assert.equal(
    parseOptions(RUN_OPTIONS, ["--smp", "prog.ttvm"]).options.smp,
    navigator.hardwareConcurrency,
  );
});

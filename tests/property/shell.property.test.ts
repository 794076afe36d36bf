/**
 * The node commands, parsed by real shells. Each generated command line is run by dash, bash and
 * busybox sh (the login shells an SSH user may have) with PATH pointing at a fake `sh` that only
 * prints the words it received. When those words are exactly the intended ones (`-s --` or the
 * sudo wrapper and the name, each argument whole; the script itself travels on stdin), the login
 * shell expanded, split and ran nothing: no metacharacter
 * of any argument reached it unquoted. Hostile arguments must be refused before that, with a
 * MultusError naming the argument.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import {
  cleanupCommand,
  compactScript,
  detectCommand,
  readNodeScript,
  shellQuote,
} from "../../provider/src/node/scripts";
import { OWNER } from "../helpers/k3sfixtures";
import { requireTools, which } from "../helpers/tools";
import * as arb from "./arbitraries";
import { isStrictSafePath, outcome, RUNS } from "./check";

/** The login shells: [program, leading arguments]. */
const SHELLS: readonly [string, string[]][] = [
  ["dash", []],
  ["bash", []],
  ["busybox", ["sh"]],
];
const END = "\u0001end";

let fakeDir = "";

/**
 * Runs `commands` (one per line) in `shell` with only the fake `sh` on PATH and returns the words
 * each `sh` invocation received.
 */
function wordsSeen(shell: [string, string[]], commands: readonly string[]): string[][] {
  const [program, lead] = shell;
  const r = spawnSync(which(program) ?? program, [...lead, "-c", commands.join("\n")], {
    env: { PATH: fakeDir },
    encoding: "utf8",
    timeout: 20000,
  });
  expect(r.error, String(r.error)).to.equal(undefined);
  expect(r.status, `${program} exited ${r.status}: ${r.stderr}`).to.equal(0);
  const runs = r.stdout.split(`${END}\0`);
  expect(runs.pop(), "output ends with a complete run").to.equal("");
  return runs.map((run) => run.split("\0").slice(0, -1));
}

/** A string a process can receive as an argument (no NUL, no lone surrogate). */
const isArgument = (s: string) => !s.includes("\0") && !/[\ud800-\udfff]/u.test(s);

/** Runs the built commands in every shell and checks that each sees exactly the expected words. */
function expectEveryShellSees(built: readonly { command: string; want: string[] }[]): void {
  if (built.length === 0) return;
  for (const shell of SHELLS) {
    const seen = wordsSeen(
      shell,
      built.map((b) => b.command),
    );
    expect(seen.map(normaliseWrapper), shell[0]).to.deep.equal(built.map((b) => b.want));
  }
}

describe("property: node commands in real shells", function () {
  this.timeout(60000);

  before(function () {
    requireTools(this, "dash", "bash", "busybox");
    fakeDir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-fake-sh-"));
    fs.writeFileSync(path.join(fakeDir, "sh"), `#!/bin/dash\nprintf '%s\\0' "$@"\nprintf '${END}\\0'\n`, {
      mode: 0o755,
    });
  });
  after(() => {
    if (fakeDir) fs.rmSync(fakeDir, { recursive: true, force: true });
  });

  const scriptOf = (name: "detect.sh" | "cleanup.sh" | "claim.sh") => compactScript(readNodeScript(name));

  it("shellQuote: every string arrives as one intact word in dash, bash and busybox sh", () => {
    const text = fc.oneof(
      arb.nasty,
      arb.injections,
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(text.filter(isArgument), { minLength: 1, maxLength: 8 }), (words) => {
        const command = ["sh", ...words.map(shellQuote)].join(" ");
        for (const shell of SHELLS) expect(wordsSeen(shell, [command]), shell[0]).to.deep.equal([words]);
      }),
      { numRuns: Math.ceil(RUNS.numRuns / 3) },
    );
  });

  it("shellQuote refuses NUL and non-strings with a MultusError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          arb.nasty.map((s) => `${s}\0${s}`),
          arb.garbage.filter((g) => typeof g !== "string"),
        ),
        (value) => {
          const r = outcome(() => shellQuote(value as string));
          expect(r.ok).to.equal(false);
        },
      ),
      RUNS,
    );
  });

  it("detectCommand: refuses a hostile data dir naming it, or the shell sees exactly the script and the path", () => {
    const detect = scriptOf("detect.sh");
    const options = fc.record(
      { sudo: arb.fuzz(fc.boolean(), 12), dataDir: arb.fuzz(fc.oneof(arb.pathLike, arb.safePath), 3) },
      { requiredKeys: ["sudo"] },
    );
    fc.assert(
      fc.property(fc.array(options, { minLength: 1, maxLength: 4 }), (list) => {
        const built: { command: string; want: string[] }[] = [];
        for (const o of list) {
          const r = outcome(() => detectCommand(o as { sudo: boolean; dataDir?: string }));
          if (!r.ok) {
            expect(r.error.field).to.be.oneOf(["sudo", "dataDir"]);
            continue;
          }
          expect(typeof o.sudo).to.equal("boolean");
          const args = o.dataDir === undefined ? [] : [(o.dataDir as string).replace(/\/+$/, "")];
          for (const a of args) expect(isStrictSafePath(a), a).to.equal(true);
          expect(r.value.stdin).to.equal(`${detect}\n`);
          built.push({
            command: r.value.command,
            want: wordsFor(o.sudo as boolean, "k3s-multus-detect", args),
          });
        }
        expectEveryShellSees(built);
      }),
      { numRuns: Math.ceil(RUNS.numRuns / 3) },
    );
  });

  it("cleanupCommand: refuses hostile dirs naming them, or the shell sees exactly the script and the arguments", () => {
    const cleanup = scriptOf("cleanup.sh");
    const options = fc.record({
      sudo: arb.fuzz(fc.boolean(), 12),
      binDir: arb.fuzz(fc.oneof(arb.pathLike, arb.safePath), 3),
      confDir: arb.fuzz(fc.oneof(arb.pathLike, arb.safePath), 3),
      whereabouts: arb.fuzz(fc.boolean(), 12),
      owner: arb.fuzz(fc.constant(OWNER), 12),
    });
    fc.assert(
      fc.property(fc.array(options, { minLength: 1, maxLength: 4 }), (list) => {
        const built: { command: string; want: string[] }[] = [];
        for (const o of list) {
          const r = outcome(() =>
            cleanupCommand(
              o as { sudo: boolean; binDir: string; confDir: string; whereabouts: boolean; owner: string },
            ),
          );
          if (!r.ok) {
            expect(r.error.field).to.be.oneOf(["sudo", "binDir", "confDir", "whereabouts", "owner"]);
            continue;
          }
          const strip = (p: unknown) => (p as string).replace(/\/+$/, "");
          const args = [strip(o.confDir), strip(o.binDir), o.whereabouts ? "yes" : "no", OWNER];
          for (const a of args.slice(0, 2)) {
            expect(isStrictSafePath(a), a).to.equal(true);
            expect(a.split("/").length - 1, `${a} is two levels below /`).to.be.above(1);
          }
          expect(r.value.stdin).to.equal(`${cleanup}\n`);
          built.push({
            command: r.value.command,
            want: wordsFor(o.sudo as boolean, "k3s-multus-cleanup", args),
          });
        }
        expectEveryShellSees(built);
      }),
      { numRuns: Math.ceil(RUNS.numRuns / 3) },
    );
  });

  it("the scripts and the sudo wrapper are valid POSIX sh (sh -n in every shell)", () => {
    const sudoWords = wordsSeen(SHELLS[0], [detectCommand({ sudo: true }).command])[0];
    const texts = [scriptOf("detect.sh"), scriptOf("cleanup.sh"), scriptOf("claim.sh"), sudoWords[1]];
    for (const [program, lead] of SHELLS) {
      for (const text of texts) {
        const r = spawnSync(program, [...lead, "-n", "-c", text], { encoding: "utf8" });
        expect(r.status, `${program} -n: ${r.stderr}`).to.equal(0);
      }
    }
  });
});

const WRAPPER = "(the sudo wrapper)";

/** The words `sh` must receive: `-s -- ARGS...`, or with sudo `-c WRAPPER NAME ARGS...` (the script comes on stdin). */
function wordsFor(sudo: boolean, name: string, args: readonly string[]): string[] {
  return sudo ? ["-c", WRAPPER, name, ...args] : ["-s", "--", ...args];
}

/** Replaces the sudo wrapper (checked for what it must do) by a placeholder, for comparison. */
function normaliseWrapper(words: string[]): string[] {
  if (words.at(1)?.startsWith('if [ "$(id -u)" -eq 0 ]')) {
    expect(words[1]).to.include('exec sudo -n sh -s -- "$@"');
    expect(words[1]).to.include('exec sh -s -- "$@"');
    expect(words[1], "one line, no history expansion for csh").to.not.match(/[\n!]/);
    return [words[0], WRAPPER, ...words.slice(2)];
  }
  return words;
}

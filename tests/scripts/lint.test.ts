/**
 * The node scripts are POSIX sh: shellcheck clean as `sh`, both each file (lib.sh, detect.sh,
 * cleanup.sh) and the text that runs on a node (lib.sh, then the script: readNodeScript), and every
 * target shell parses that text (as is and in the compacted form the commands send). lib.sh only
 * defines functions, and none of them is defined again by a script.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { compactScript, NODE_SCRIPT_LIB, readNodeScript, SCRIPTS_DIR } from "../../provider/src/node/scripts";
import { shellArgv, SHELLS } from "../helpers/simnode";
import { requireTools } from "../helpers/tools";

const SCRIPTS = ["detect.sh", "cleanup.sh"] as const;

function shellcheck(args: readonly string[], input?: string): void {
  const r = spawnSync("shellcheck", ["-s", "sh", ...args], { input, encoding: "utf8" });
  expect(r.stdout + r.stderr).to.equal("");
  expect(r.status).to.equal(0);
}

/** The names of the functions `text` defines (`name() {` at the start of a line). */
function functions(text: string): string[] {
  return [...text.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{/gm)].map((m) => m[1]);
}

const libText = (): string => fs.readFileSync(path.join(SCRIPTS_DIR, NODE_SCRIPT_LIB), "utf8");

describe("node scripts are POSIX sh", () => {
  for (const file of [NODE_SCRIPT_LIB, ...SCRIPTS]) {
    it(`${file} is shellcheck clean as a file (-s sh)`, function () {
      requireTools(this, "shellcheck");
      shellcheck([path.join(SCRIPTS_DIR, file)]);
    });
  }

  it(`${NODE_SCRIPT_LIB} only defines functions: alone it prints nothing and sets no variable`, function () {
    requireTools(this, ...SHELLS);
    const lib = libText();
    expect(functions(lib)).to.have.members([
      "fail",
      "whoami_",
      "no_permission",
      "strip_slash",
      "safe_path",
      "check_access",
      "plain_path",
      "owned_by_root",
      "trusted_file",
      "read_trusted",
      "owner_arg",
    ]);
    for (const shell of SHELLS) {
      const argv = shellArgv(shell);
      // stdin not a socket (node's default), or bash reads ~/.bashrc as if started by sshd.
      const run = (text: string) =>
        spawnSync("env", ["-i", ...argv, "-c", text], {
          cwd: SCRIPTS_DIR,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
      const alone = run(lib);
      expect(alone.stdout + alone.stderr, shell).to.equal("");
      expect(alone.status, shell).to.equal(0);
      // bash's `set` also lists BASH_EXECUTION_STRING (the -c text): compare in dash and busybox.
      if (shell !== "bash") expect(run(`${lib}\nset`).stdout, shell).to.equal(run("set").stdout);
    }
  });

  for (const name of SCRIPTS) {
    it(`${name} defines none of ${NODE_SCRIPT_LIB}'s functions again`, () => {
      const own = functions(fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8"));
      expect(own.length).to.be.greaterThan(0);
      expect(own.filter((f) => functions(libText()).includes(f))).to.deep.equal([]);
    });

    it(`${NODE_SCRIPT_LIB} + ${name}, as it runs on a node, is shellcheck clean (-s sh)`, function () {
      requireTools(this, "shellcheck");
      shellcheck(["-"], readNodeScript(name));
    });

    it(`${NODE_SCRIPT_LIB} + ${name} parses in dash, busybox sh and bash --posix (as is and compacted)`, function () {
      requireTools(this, ...SHELLS);
      for (const shell of SHELLS) {
        const argv = shellArgv(shell);
        const extra = shell === "bash" ? ["--posix"] : [];
        for (const text of [readNodeScript(name), compactScript(readNodeScript(name))]) {
          const r = spawnSync(argv[0], [...argv.slice(1), ...extra, "-n", "-c", text], { encoding: "utf8" });
          expect(r.status, `${shell}: ${r.stderr}`).to.equal(0);
        }
      }
    });
  }
});

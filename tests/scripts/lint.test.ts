/**
 * The node scripts are POSIX sh: shellcheck clean as `sh`, and every target shell parses them (as
 * files and in the compacted form the commands send).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { expect } from "chai";
import { compactScript, readNodeScript, SCRIPTS_DIR } from "../../provider/src/node/scripts";
import { shellArgv, SHELLS } from "../helpers/simnode";
import { requireTools } from "../helpers/tools";

const SCRIPTS = ["detect.sh", "cleanup.sh"] as const;

describe("node scripts are POSIX sh", () => {
  for (const name of SCRIPTS) {
    it(`${name} is shellcheck clean (-s sh)`, function () {
      requireTools(this, "shellcheck");
      const r = spawnSync("shellcheck", ["-s", "sh", path.join(SCRIPTS_DIR, name)], {
        encoding: "utf8",
      });
      expect(r.stdout + r.stderr).to.equal("");
      expect(r.status).to.equal(0);
    });

    it(`${name} parses in dash, busybox sh and bash --posix (file and compacted)`, function () {
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

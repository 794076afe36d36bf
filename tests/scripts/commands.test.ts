/**
 * The one-line commands of provider/src/node/scripts.ts: validation, quoting, and the exact strings
 * run through a login shell on simulated nodes whose /bin/sh is dash, busybox or bash.
 */
import { spawnSync } from "node:child_process";
import { expect } from "chai";
import {
  claimCommand,
  cleanupCommand,
  compactScript,
  detectCommand,
  NODE_SCRIPT_LIB,
  readNodeScript,
  SCRIPTS_DIR,
  shellQuote,
} from "../../provider/src/node/scripts";
import { parseDetection } from "../../provider/src/plan/detection";
import { expectMultusError } from "../helpers/errors";
import {
  cniFiles,
  containerdV3,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  detectOutput,
  k3sFiles,
  OWNER,
} from "../helpers/k3sfixtures";
import { paths, runOnNode, shellArgv, SHELLS, SimNode, viaSsh } from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

const CONF = `${DD}/agent/etc/cni/net.d`;
const BIN = `${DD}/data/cni`;
const NODE: SimNode = {
  files: {
    ...k3sFiles("v1.32.2+k3s1"),
    [ctrdConfig(DD)]: { content: containerdV3({ binDir: BIN, confDir: CONF }), mode: 0o600 },
    ...cniFiles(BIN, CONF).keep,
    ...cniFiles(BIN, CONF).chart,
  },
};
const EXPECTED = detectOutput({
  tag: "v1.32.2+k3s1",
  flannel: true,
  binDir: BIN,
  confDir: CONF,
  containerdConfig: ctrdConfig(DD),
});

describe("node commands", () => {
  describe("building", () => {
    it("sends the script on stdin to sh -s and passes parameters as quoted arguments", () => {
      const cmd = detectCommand({ sudo: false, dataDir: "/srv/k3s/" });
      expect(cmd.command).to.equal("sh -s -- '/srv/k3s'");
      expect(cmd.stdin).to.equal(`${compactScript(readNodeScript("detect.sh"))}\n`);
      expect(cmd.stdin).not.to.include("\n#");
      expect(detectCommand({ sudo: false }).command).to.equal("sh -s --");
      const clean = cleanupCommand({
        sudo: false,
        binDir: "/opt/cni/bin",
        confDir: "/etc/cni/net.d/",
        whereabouts: true,
        owner: OWNER,
      });
      expect(clean.command).to.equal(`sh -s -- '/etc/cni/net.d' '/opt/cni/bin' 'yes' '${OWNER}'`);
      expect(claimCommand({ sudo: false, confDir: "/etc/cni/net.d", owner: OWNER }).command).to.equal(
        `sh -s -- '/etc/cni/net.d' '${OWNER}'`,
      );
    });

    it("wraps in sudo -n only when asked", () => {
      const cmd = cleanupCommand({
        sudo: true,
        binDir: "/opt/cni/bin",
        confDir: "/etc/cni/net.d",
        whereabouts: false,
        owner: OWNER,
      });
      expect(cmd.command).to.match(/^sh -c '[^'\n!]*sudo -n sh -s[^'\n!]*' k3s-multus-cleanup '/);
      expect(cmd.command.endsWith(` '/etc/cni/net.d' '/opt/cni/bin' 'no' '${OWNER}'`)).to.equal(true);
      expect(detectCommand({ sudo: false }).command).not.to.include("sudo");
    });

    const refusals: { name: string; build: () => unknown; field: string }[] = [
      {
        name: "relative data dir",
        build: () => detectCommand({ sudo: false, dataDir: "var/lib" }),
        field: "dataDir",
      },
      {
        name: "data dir with $()",
        build: () => detectCommand({ sudo: true, dataDir: "/a/$(reboot)" }),
        field: "dataDir",
      },
      { name: "data dir /", build: () => detectCommand({ sudo: false, dataDir: "/" }), field: "dataDir" },
      {
        name: "bin dir with ;",
        build: () =>
          cleanupCommand({
            sudo: false,
            binDir: "/opt/x;rm",
            confDir: "/etc/cni/net.d",
            whereabouts: false,
            owner: OWNER,
          }),
        field: "binDir",
      },
      {
        name: "conf dir one level below /",
        build: () =>
          cleanupCommand({
            sudo: false,
            binDir: "/opt/cni/bin",
            confDir: "/etc",
            whereabouts: false,
            owner: OWNER,
          }),
        field: "confDir",
      },
      {
        name: "conf dir with a newline",
        build: () =>
          cleanupCommand({
            sudo: false,
            binDir: "/opt/cni/bin",
            confDir: "/etc/cni\n/x",
            whereabouts: false,
            owner: OWNER,
          }),
        field: "confDir",
      },
      {
        name: "sudo not a boolean",
        build: () => detectCommand({ sudo: "yes" as unknown as boolean }),
        field: "sudo",
      },
      {
        name: "whereabouts not a boolean",
        build: () =>
          cleanupCommand({
            sudo: false,
            binDir: "/opt/cni/bin",
            confDir: "/etc/cni/net.d",
            whereabouts: 1 as unknown as boolean,
            owner: OWNER,
          }),
        field: "whereabouts",
      },
    ];
    for (const row of refusals) {
      it(`refuses ${row.name}`, () => {
        expectMultusError(row.build, { field: row.field });
      });
    }

    it("shellQuote refuses NUL", () => {
      expectMultusError(() => shellQuote("a\0b"), { field: "shellQuote" });
    });

    it("readNodeScript is lib.sh, then the script: the bytes `cat lib.sh <script>` gives", () => {
      for (const name of ["detect.sh", "cleanup.sh"] as const) {
        const cat = spawnSync("cat", [NODE_SCRIPT_LIB, name], { cwd: SCRIPTS_DIR, encoding: "utf8" });
        expect(cat.status, cat.stderr).to.equal(0);
        expect(readNodeScript(name)).to.equal(cat.stdout);
        expect(readNodeScript(name)).to.match(/^#!\/bin\/sh\n/);
      }
    });

    it("compactScript drops only comment and blank lines", () => {
      for (const name of ["detect.sh", "cleanup.sh"] as const) {
        const full = readNodeScript(name);
        const compact = compactScript(full);
        expect(compact.length).to.be.lessThan(full.length * 0.8);
        const code = full.split("\n").filter((l) => l.trim() !== "" && !/^\s*#/.test(l));
        expect(compact.split("\n")).to.deep.equal(code);
      }
    });
  });

  describe("shellQuote in real shells", function () {
    before(function () {
      requireTools(this, ...SHELLS);
    });
    const hostile = [
      "",
      "plain",
      "it's",
      "'",
      "''",
      "a b",
      "$(id)",
      "`id`",
      "; rm -rf /",
      '"\\"',
      "a\nb",
      "\t*?[]~{}!#&|<>",
    ];
    for (const shell of SHELLS) {
      it(`round-trips hostile strings in ${shell}`, () => {
        for (const s of hostile) {
          const r = spawnSync(
            shellArgv(shell)[0],
            [...shellArgv(shell).slice(1), "-c", `printf '%s' ${shellQuote(s)}`],
            {
              encoding: "utf8",
            },
          );
          expect(r.stdout, JSON.stringify(s)).to.equal(s);
        }
      });
    }
  });

  describe("the exact command strings on simulated nodes", function () {
    this.timeout(60000);
    before(function () {
      requireNamespaces(this);
      requireTools(this, ...SHELLS);
    });

    for (const binSh of SHELLS) {
      for (const sudo of [false, true]) {
        it(`detect and cleanup as root, /bin/sh = ${binSh}, sudo: ${sudo}`, () => {
          const node = { ...NODE, binSh };
          const d = runOnNode(node, { command: viaSsh(detectCommand({ sudo })) });
          expect(d.stdout, d.stderr).to.equal(EXPECTED);
          expect(d.status).to.equal(0);
          expect(parseDetection("n1", d.stdout).binDir).to.equal(BIN);
          const clean = cleanupCommand({ sudo, binDir: BIN, confDir: CONF, whereabouts: true, owner: OWNER });
          const c = runOnNode(node, { command: viaSsh(clean) });
          expect(c.status, c.stderr).to.equal(0);
          expect(paths(c.after)).not.to.include(`${BIN}/multus`);
          expect(paths(c.after)).to.include(`${BIN}/bridge`);
        });
      }
    }

    for (const shell of SHELLS) {
      it(`by hand, as docs/node-scripts.md says: cat lib.sh script | sh -s [-- args] (${shell})`, () => {
        const sh = shellArgv(shell).join(" ");
        const cat = (name: string) => `cat ${SCRIPTS_DIR}/${NODE_SCRIPT_LIB} ${SCRIPTS_DIR}/${name}`;
        const detect = runOnNode(NODE, {
          command: { text: `${cat("detect.sh")} | ${sh} -s -- ${DD}/` },
        });
        expect(detect.stdout, detect.stderr).to.equal(EXPECTED);
        const clean = `${cat("cleanup.sh")} | ${sh} -s -- ${CONF} ${BIN} no ${OWNER}`;
        const c = runOnNode(NODE, { command: { text: clean } });
        expect(c.stdout, c.stderr).to.include(`removed ${BIN}/multus\n`);
        expect(paths(c.after)).to.include(`${BIN}/whereabouts`);
      });
    }

    it("with bash as the login shell (Debian's root) and a pinned data dir", () => {
      const r = runOnNode(NODE, {
        command: viaSsh(detectCommand({ sudo: true, dataDir: DD }), "bash"),
      });
      expect(r.stdout, r.stderr).to.equal(EXPECTED);
    });
  });
});

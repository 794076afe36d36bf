/**
 * `k3s-multus script`: the raw node scripts, lib.sh then the script (for
 * `ssh NODE sh -s < <(k3s-multus script detect)`) and, with --command, the exact one-line commands
 * the component runs over SSH.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  claimCommand,
  cleanupCommand,
  detectCommand,
  NodeScriptName,
  readNodeScript,
} from "../../provider/src/node/scripts";
import { cli, CLI_BIN, REPO, tempFile } from "./helpers";
import { OWNER } from "../helpers/k3sfixtures";

const SCRIPTS = path.join(REPO, "provider/scripts");
const BIN = "/var/lib/rancher/k3s/data/cni";
const CONF = "/var/lib/rancher/k3s/agent/etc/cni/net.d";

describe("cli: k3s-multus script", function () {
  const raw: [string, NodeScriptName][] = [
    ["detect", "detect.sh"],
    ["claim", "claim.sh"],
    ["cleanup", "cleanup.sh"],
  ];
  for (const [which, file] of raw) {
    it(`script ${which} prints provider/scripts/lib.sh and ${file} as \`cat\` joins them, byte for byte`, function () {
      const r = cli(["script", which]);
      expect(r.status).to.equal(0);
      expect(r.stderr).to.equal("");
      const cat = spawnSync("cat", ["lib.sh", file], { cwd: SCRIPTS, encoding: "utf8" });
      expect(cat.status, cat.stderr).to.equal(0);
      expect(r.stdout).to.equal(cat.stdout);
      expect(r.stdout).to.equal(readNodeScript(file));
    });
  }

  const commands: { args: string[]; expected: () => string }[] = [
    { args: ["detect"], expected: () => detectCommand({ sudo: false }).command },
    { args: ["detect", "--sudo"], expected: () => detectCommand({ sudo: true }).command },
    {
      args: ["detect", "--sudo", "--k3s-data-dir", "/srv/k3s/"],
      expected: () => detectCommand({ sudo: true, dataDir: "/srv/k3s/" }).command,
    },
    {
      args: ["cleanup", "--cni-bin-dir", BIN, "--cni-conf-dir", CONF, "--owner", OWNER],
      expected: () =>
        cleanupCommand({ sudo: false, binDir: BIN, confDir: CONF, whereabouts: false, owner: OWNER }).command,
    },
    {
      args: [
        "cleanup",
        "--sudo",
        "--whereabouts",
        "--cni-conf-dir",
        "/etc/cni/net.d",
        "--cni-bin-dir",
        "/opt/cni/bin",
        "--owner",
        OWNER,
      ],
      expected: () =>
        cleanupCommand({
          sudo: true,
          binDir: "/opt/cni/bin",
          confDir: "/etc/cni/net.d",
          whereabouts: true,
          owner: OWNER,
        }).command,
    },
    {
      args: ["claim", "--cni-conf-dir", CONF, "--owner", OWNER],
      expected: () => claimCommand({ sudo: false, confDir: CONF, owner: OWNER }).command,
    },
  ];
  for (const c of commands) {
    it(`script ${c.args.join(" ")} --command prints the component's command`, function () {
      const r = cli(["script", c.args[0], "--command", ...c.args.slice(1)]);
      expect(r.stderr).to.equal("");
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(`${c.expected()}\n`);
    });
  }

  it("a reader that stops early is not an error (`| head -c 1`)", function () {
    // More than a pipe buffer (64 KiB) of output, so that the CLI is still writing when head exits.
    const networks = Array.from({ length: 200 }, (_, i) => ({
      name: `net-${i}`,
      type: "macvlan",
      ipam: { type: "whereabouts", range: `10.${i >> 8}.${i & 255}.0/24` },
    }));
    const file = tempFile("big.json", JSON.stringify({ k3sVersion: "v1.32.2+k3s1", networks }));
    const r = spawnSync(
      "bash",
      [
        "-c",
        `set -o pipefail; "${process.execPath}" "${CLI_BIN}" render -f "${file}" | head -c 1 >/dev/null`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).to.equal("");
    expect(r.status).to.equal(0);
  });

  it("the raw scripts run as `ssh NODE sh -s -- ARGS < <(k3s-multus script ...)` does", function () {
    for (const [which] of raw) {
      const syntax = spawnSync("sh", ["-n", "-s"], {
        input: cli(["script", which]).stdout,
        encoding: "utf8",
      });
      expect(syntax.stderr, `sh -n: ${which}`).to.equal("");
      expect(syntax.status).to.equal(0);
    }
    // Arguments travel after `--`; cleanup refuses an unsafe directory before touching anything.
    const r = spawnSync("sh", ["-s", "--", "relative/conf", "/opt/cni/bin", "no", OWNER], {
      input: cli(["script", "cleanup"]).stdout,
      encoding: "utf8",
    });
    expect(r.stdout).to.match(/^error=bad-path CONF_DIR /);
    expect(r.status).to.equal(5);
  });
});

describe("node commands: built once per script, sudo and arguments", () => {
  it("the same arguments give the very same command; others their own", () => {
    const a = cleanupCommand({ sudo: true, binDir: BIN, confDir: CONF, whereabouts: true, owner: OWNER });
    const b = cleanupCommand({ sudo: true, binDir: BIN, confDir: CONF, whereabouts: true, owner: OWNER });
    expect(b, "cached").to.equal(a);
    const c = cleanupCommand({ sudo: false, binDir: BIN, confDir: CONF, whereabouts: true, owner: OWNER });
    expect(c.command).to.not.equal(a.command);
    expect(c.command).to.match(/^sh -s -- /);
    expect(detectCommand({ sudo: false, dataDir: "/opt/k3s" }).command).to.equal("sh -s -- '/opt/k3s'");
    expect(detectCommand({ sudo: false }).command).to.equal("sh -s --");
  });
});

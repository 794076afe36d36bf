/**
 * `k3s-multus script`: the raw node scripts (for `ssh NODE sh -s < <(k3s-multus script detect)`) and,
 * with --command, the exact one-line commands the component runs over SSH.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanupCommand, detectCommand } from "../../provider/src/node/scripts";
import { cli, REPO } from "./helpers";

const SCRIPTS = path.join(REPO, "provider/scripts");
const BIN = "/var/lib/rancher/k3s/data/cni";
const CONF = "/var/lib/rancher/k3s/agent/etc/cni/net.d";

describe("cli: k3s-multus script", function () {
  const raw: [string, string][] = [
    ["detect", "detect.sh"],
    ["cleanup", "cleanup.sh"],
  ];
  for (const [which, file] of raw) {
    it(`script ${which} prints provider/scripts/${file} byte for byte`, function () {
      const r = cli(["script", which]);
      expect(r.status).to.equal(0);
      expect(r.stderr).to.equal("");
      expect(r.stdout).to.equal(fs.readFileSync(path.join(SCRIPTS, file), "utf8"));
    });
  }

  const commands: { args: string[]; expected: () => string }[] = [
    { args: ["detect"], expected: () => detectCommand({ sudo: false }) },
    { args: ["detect", "--sudo"], expected: () => detectCommand({ sudo: true }) },
    {
      args: ["detect", "--sudo", "--k3s-data-dir", "/srv/k3s/"],
      expected: () => detectCommand({ sudo: true, dataDir: "/srv/k3s/" }),
    },
    {
      args: ["cleanup", "--cni-bin-dir", BIN, "--cni-conf-dir", CONF],
      expected: () => cleanupCommand({ sudo: false, binDir: BIN, confDir: CONF, whereabouts: false }),
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
      ],
      expected: () =>
        cleanupCommand({ sudo: true, binDir: "/opt/cni/bin", confDir: "/etc/cni/net.d", whereabouts: true }),
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
    const r = spawnSync("sh", ["-s", "--", "relative/conf", "/opt/cni/bin", "no"], {
      input: cli(["script", "cleanup"]).stdout,
      encoding: "utf8",
    });
    expect(r.stdout).to.match(/^error=bad-path CONF_DIR /);
    expect(r.status).to.equal(5);
  });
});

/**
 * Hostile values (`;`, `$()`, backticks, quotes, newlines) in every place a path can come from:
 * the command builders, the scripts' arguments, config.yaml, the running k3s's argv and
 * environment, containerd's config. They are refused or treated as plain text, never run: each
 * payload would create /srv/pwned, and no run may leave it behind. The shell validator and
 * parseSafePath must agree on every sample.
 */
import { expect } from "chai";
import { cleanupCommand, detectCommand, NodeScriptName, shellQuote } from "../../provider/src/node/scripts";
import { parseDetection } from "../../provider/src/plan/detection";
import { tryParseSafePath } from "../../provider/src/plan/paths";
import { expectMultusError } from "../helpers/errors";
import { containerdV3, ctrdConfig, DEFAULT_DATA_DIR as DD, k3sFiles, OWNER } from "../helpers/k3sfixtures";
import {
  Entry,
  paths,
  runOnNode,
  Shell,
  shellArgv,
  SHELLS,
  SimNode,
  withNodeScriptFile,
} from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

const PWNED = "/srv/pwned";
const SPLIT = "@@k3s-multus-test-split@@";
const PAYLOADS = [
  `/srv/k3s;touch ${PWNED}`,
  `/srv/$(touch ${PWNED})`,
  `/srv/\`touch ${PWNED}\``,
  `/srv/k3s' ; touch ${PWNED}; '`,
  `/srv/k3s" ; touch ${PWNED}; "`,
  `/srv/k3s\ntouch ${PWNED}`,
  `/srv/k3s && touch ${PWNED}`,
  `/srv/k3s|touch ${PWNED}`,
  `$(touch ${PWNED})`,
];
/** Safe and unsafe samples for the agreement check (accepted ⇔ parseSafePath accepts). */
const SAMPLES = [
  "/var/lib/rancher/k3s",
  "/var/lib/rancher/k3s/",
  "/srv/k3s-data_1.2+x@y",
  "/sys/devices/pci0000:00",
  "/",
  "//",
  "/a//b",
  "/a/./b",
  "/a/../b",
  "/a/..",
  "/a/...",
  "relative/path",
  "/a b",
  "/a*",
  "/a?",
  "/a~",
  "/ä",
  `/${"x".repeat(1023)}`,
  `/${"x".repeat(1024)}`,
  ...PAYLOADS,
];

const base = (extra: Record<string, Entry> = {}): SimNode => ({
  files: {
    ...k3sFiles("v1.32.2+k3s1"),
    [ctrdConfig(DD)]: containerdV3({ binDir: `${DD}/data/cni`, confDir: `${DD}/agent/etc/cni/net.d` }),
    ...extra,
  },
});

/** Runs several invocations of a script in one node (one namespace); returns each one's stdout. */
function runEach(
  node: SimNode,
  name: NodeScriptName,
  calls: readonly { shell: Shell; args: readonly string[]; env?: Record<string, string> }[],
): { outputs: string[]; after: string[] } {
  const r = withNodeScriptFile(name, (file) => {
    const lines = calls.map((c) => {
      const env = Object.entries(c.env ?? {}).map(([k, v]) => shellQuote(`${k}=${v}`));
      const argv = [...shellArgv(c.shell), file, ...c.args].map(shellQuote);
      return `printf '%s\\n' ${SPLIT}; ${env.length ? `env ${env.join(" ")} ` : ""}${argv.join(" ")} 2>/dev/null`;
    });
    return runOnNode(node, { command: { text: lines.join("\n") } });
  });
  const outputs = r.stdout.split(`${SPLIT}\n`).slice(1);
  expect(outputs.length, r.stderr).to.equal(calls.length);
  return { outputs, after: paths(r.after) };
}

function expectUnharmed(r: { after: readonly string[]; stdout: string; stderr: string }): void {
  expect(paths(r.after), `${r.stdout}${r.stderr}`).not.to.include(PWNED);
}

describe("hostile values", function () {
  this.timeout(60000);

  describe("command builders refuse them before quoting", () => {
    for (const p of PAYLOADS) {
      it(JSON.stringify(p), () => {
        expectMultusError(() => detectCommand({ sudo: false, dataDir: p }), { field: "dataDir", input: p });
        const clean = (binDir: string, confDir: string) => () =>
          cleanupCommand({ sudo: true, binDir, confDir, whereabouts: true, owner: OWNER });
        expectMultusError(clean(p, "/etc/cni/net.d"), { field: "binDir", input: p });
        expectMultusError(clean("/opt/cni/bin", p), { field: "confDir", input: p });
      });
    }
  });

  describe("on simulated nodes", () => {
    before(function () {
      requireNamespaces(this);
      requireTools(this, ...SHELLS);
    });

    it("detect.sh and parseSafePath agree on every sample, and nothing runs (dash, busybox, bash)", () => {
      const calls = SHELLS.flatMap((shell) => SAMPLES.map((sample) => ({ shell, args: [sample] })));
      const { outputs, after } = runEach(base(), "detect.sh", calls);
      expect(after).not.to.include(PWNED);
      calls.forEach((c, i) => {
        const accepted = tryParseSafePath(c.args[0]) !== undefined;
        expect(
          outputs[i].startsWith("error=bad-data-dir "),
          `${c.shell} ${JSON.stringify(c.args[0])}: ${outputs[i]}`,
        ).to.equal(!accepted);
      });
    });

    it("cleanup.sh refuses unsafe directories and values as arguments (dash, busybox, bash)", () => {
      const calls = SHELLS.flatMap((shell) =>
        PAYLOADS.flatMap((p) => [
          { shell, args: [p, "/opt/cni/bin", "yes", OWNER], want: /^error=bad-path / },
          { shell, args: ["/etc/cni/net.d", p, "yes", OWNER], want: /^error=bad-path / },
          { shell, args: ["/etc/cni/net.d", "/opt/cni/bin", p, OWNER], want: /^error=usage / },
          { shell, args: ["/etc/cni/net.d", "/opt/cni/bin", "yes", p], want: /^error=usage / },
        ]),
      );
      const { outputs, after } = runEach(base(), "cleanup.sh", calls);
      expect(after).not.to.include(PWNED);
      calls.forEach((c, i) => expect(outputs[i], `${c.shell} ${JSON.stringify(c.args)}`).to.match(c.want));
    });

    const sources: {
      name: string;
      node: (p: string) => SimNode;
      env?: (p: string) => Record<string, string>;
    }[] = [
      {
        name: "config.yaml (double-quoted)",
        node: (p) => base({ "/etc/rancher/k3s/config.yaml": `data-dir: ${JSON.stringify(p)}\n` }),
      },
      {
        name: "config.yaml.d (plain)",
        node: (p) => base({ "/etc/rancher/k3s/config.yaml.d/90.yaml": `data-dir: ${p.split("\n")[0]}\n` }),
      },
      {
        name: "the running k3s's --data-dir",
        node: (p) => ({
          ...base(),
          processes: [{ comm: "k3s-server", argv: ["/usr/local/bin/k3s", "server", "--data-dir", p] }],
        }),
      },
      {
        name: "the running k3s's K3S_DATA_DIR",
        node: (p) => ({
          ...base(),
          processes: [
            { comm: "k3s-server", argv: ["/usr/local/bin/k3s", "agent"], env: { K3S_DATA_DIR: p } },
          ],
        }),
      },
      { name: "the session's K3S_DATA_DIR", node: () => base(), env: (p) => ({ K3S_DATA_DIR: p }) },
      {
        name: "the session's K3S_CONFIG_FILE",
        node: () => base(),
        env: (p) => ({ K3S_CONFIG_FILE: `${p}.yaml` }),
      },
    ];
    for (const source of sources) {
      it(`a data dir from ${source.name} is refused or inert (dash, busybox, bash)`, () => {
        for (const p of PAYLOADS.slice(0, 6)) {
          const calls = SHELLS.map((shell) => ({ shell, args: [], env: source.env?.(p) }));
          const { outputs, after } = runEach(source.node(p), "detect.sh", calls);
          expect(after).not.to.include(PWNED);
          outputs.forEach((o, i) => {
            expect(o, `${calls[i].shell} ${JSON.stringify(p)}`).to.match(
              /^(error=bad-data-dir |k3s-multus-detect 1\n)/,
            );
            if (!o.startsWith("error=")) expect(() => parseDetection("n1", o)).not.to.throw();
          });
        }
      });
    }

    it("a hostile bin_dir in containerd's config is printed, not run, and parseDetection refuses it", () => {
      const bin = `/x/$(touch ${PWNED})\`touch ${PWNED}\`;touch ${PWNED}`;
      const node = base({
        [ctrdConfig(DD)]: containerdV3({ binDir: bin, confDir: `${DD}/agent/etc/cni/net.d` }),
      });
      for (const shell of SHELLS) {
        const r = runOnNode(node, { script: { name: "detect.sh", shell } });
        expectUnharmed(r);
        expect(r.stdout).to.include(`\nbin_dir=${bin}\n`);
        expectMultusError(() => parseDetection("n1", r.stdout), { field: "nodes[n1]", input: bin });
      }
    });
  });
});

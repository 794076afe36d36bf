/**
 * A non-root SSH user: without sudo the scripts report no-permission (and change nothing); with
 * `sudo: true` and passwordless sudo they work; with `sudo: true` but no sudo rights the wrapper
 * reports no-permission. Root with `sudo: true` never calls sudo.
 */
import { expect } from "chai";
import { cleanupCommand, detectCommand } from "../../provider/src/node/scripts";
import { DetectionError, parseDetection } from "../../provider/src/plan/detection";
import {
  cniFiles,
  containerdV3,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  detectOutput,
  k3sFiles,
  OWNER,
} from "../helpers/k3sfixtures";
import { Entry, paths, runOnNode, SHELLS, SimNode, viaSsh } from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

const CONF = `${DD}/agent/etc/cni/net.d`;
const BIN = `${DD}/data/cni`;
const USERS = [
  { name: "k3smt-sudo", sudo: true },
  { name: "k3smt-plain", sudo: false },
];
/** K3s's files as K3s leaves them: root-owned, the agent dir and containerd's config private. */
const FILES: Record<string, Entry> = {
  ...k3sFiles("v1.32.2+k3s1"),
  [`${DD}/agent`]: { dir: true, mode: 0o700 },
  [ctrdConfig(DD)]: { content: containerdV3({ binDir: BIN, confDir: CONF }), mode: 0o600 },
  "/etc/rancher/k3s/config.yaml": { content: "write-kubeconfig-mode: '0600'\n", mode: 0o600 },
  ...cniFiles(BIN, CONF).keep,
  ...cniFiles(BIN, CONF).chart,
};
const EXPECTED = detectOutput({
  tag: "v1.32.2+k3s1",
  flannel: true,
  binDir: BIN,
  confDir: CONF,
  containerdConfig: ctrdConfig(DD),
});
const RUNNING_K3S = { comm: "k3s-server" as const, argv: ["/usr/local/bin/k3s", "server"], env: {} };

describe("non-root users", function () {
  this.timeout(60000);
  before(function () {
    requireNamespaces(this);
    requireTools(this, ...SHELLS, "sudo");
  });

  for (const binSh of SHELLS) {
    describe(`/bin/sh = ${binSh}`, () => {
      const node: SimNode = { files: FILES, users: USERS, binSh };

      it("detect without sudo: no-permission, nothing changed", () => {
        const r = runOnNode(node, { command: viaSsh(detectCommand({ sudo: false })), user: "k3smt-plain" });
        expect(r.status).to.equal(4);
        expect(r.stdout).to.match(/^error=no-permission cannot read \S+ as user k3smt-plain; /);
        expect(r.after).to.deep.equal(r.before);
        let err: unknown;
        try {
          parseDetection("n1", r.stdout);
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(DetectionError);
        expect((err as DetectionError).code).to.equal("no-permission");
        expect((err as DetectionError).field).to.equal("nodes[n1]");
      });

      it("detect with sudo allowed: the same facts as root", () => {
        const r = runOnNode(node, { command: viaSsh(detectCommand({ sudo: true })), user: "k3smt-sudo" });
        expect(r.stdout, r.stderr).to.equal(EXPECTED);
        expect(r.after).to.deep.equal(r.before);
      });

      it("detect with sudo asked for but not allowed: no-permission from the wrapper", () => {
        const r = runOnNode(node, { command: viaSsh(detectCommand({ sudo: true })), user: "k3smt-plain" });
        expect(r.status).to.equal(4);
        expect(r.stdout).to.match(/^error=no-permission user k3smt-plain is not root and cannot run sudo -n/);
      });

      it("cleanup without sudo: no-permission, nothing removed", () => {
        const text = cleanupCommand({
          sudo: false,
          binDir: BIN,
          confDir: CONF,
          whereabouts: true,
          owner: OWNER,
        });
        const r = runOnNode(node, { command: viaSsh(text), user: "k3smt-plain" });
        expect(r.status).to.equal(4);
        expect(r.stdout).to.match(
          /^error=no-permission cannot search \/var\/lib\/rancher\/k3s\/agent as user/,
        );
        expect(r.after).to.deep.equal(r.before);
      });

      it("cleanup with sudo allowed: removes the chart's files", () => {
        const text = cleanupCommand({
          sudo: true,
          binDir: BIN,
          confDir: CONF,
          whereabouts: true,
          owner: OWNER,
        });
        const r = runOnNode(node, { command: viaSsh(text), user: "k3smt-sudo" });
        expect(r.status, r.stderr).to.equal(0);
        expect(paths(r.after)).not.to.include(`${CONF}/00-multus.conflist`);
        expect(paths(r.after)).to.include(`${CONF}/10-flannel.conflist`);
      });
    });
  }

  it("a running k3s's environment is private: no-permission without sudo", () => {
    const files = { ...FILES, [`${DD}/agent`]: { dir: true as const, mode: 0o755 } };
    const r = runOnNode(
      { files, users: USERS, processes: [RUNNING_K3S] },
      { script: { name: "detect.sh", shell: "dash" }, user: "k3smt-plain" },
    );
    expect(r.status).to.equal(4);
    expect(r.stdout).to.match(/^error=no-permission cannot read \S+ as user k3smt-plain/);
  });

  it("root with sudo: true never calls sudo (sudo broken on the node)", () => {
    const files = {
      ...FILES,
      "/usr/local/bin/sudo": { content: "#!/bin/sh\necho sudo called >&2; exit 1\n", mode: 0o755 },
    };
    const r = runOnNode(
      { files },
      { command: viaSsh(detectCommand({ sudo: true })), env: { PATH: "/usr/local/bin:/usr/bin:/bin" } },
    );
    expect(r.stdout, r.stderr).to.equal(EXPECTED);
  });
});

/**
 * The data plane, end to end (issue 16; docs/e2e-scenarios.md "Data plane"): the component's
 * `pulumi up` (the pinned-facts program under the real engine: pulumi-resource-command is not
 * served, so no detection runs) installs the chart into the real kube-apiserver; the DaemonSets
 * are read back from it and their containers run as processes on simulated K3s nodes
 * (node.ts, containers.ts); pods made from the demo Deployment's template with the component's
 * `podAnnotations` are attached through libcni as containerd would (sandbox.ts). Scenarios, in
 * the priority order: 1 after the gate, 4 the controls, 3 other IPAMs and several
 * networks, 2 before the gate and a K3s upgrade, 5 after destroy. Missing tools fail on CI and
 * skip elsewhere.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { upEnv } from "../e2e/env";
import { requireE2eTools, TOOLS } from "../e2e/env/cache";
import { run } from "../e2e/env/proc";
import { REPO_DIR, rootStack } from "../e2e/env/stack";
import { HASH } from "../helpers/k3sfixtures";
import { requireShared } from "../helpers/shared";
import { requireNamespaces, requireTools } from "../helpers/tools";
import { afterGateScenario } from "./afterGate";
import { controlScenarios } from "./controls";
import { destroyScenario } from "./destroy";
import { ipamScenario } from "./ipams";
import { HASH2, upgradeScenario } from "./upgrade";
import { missingImageFiles } from "./images";
import { K3sLayout } from "./node";
import { Rig, up } from "./rig";

export const AFTER_GATE: K3sLayout = { tag: "v1.30.6+k3s1", gated: true, hash: HASH };
/** Two releases before the gate (v1.30.6): an upgrade that moves `data/current`. */
export const BEFORE_GATE: K3sLayout = { tag: "v1.30.4+k3s1", gated: false, hash: HASH };
export const BEFORE_GATE_UPGRADED: K3sLayout = { tag: "v1.30.5+k3s1", gated: false, hash: HASH2 };

/** The seed's network (the K3s docs' macvlan-whereabouts NAD). */
export const SEED_NETWORK = {
  name: "macvlan-whereabouts",
  interface: "eth1",
  type: "macvlan",
  master: "eth0",
  mode: "bridge",
  ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
};

const DATAPLANE_TOOLS = [
  ...Object.values(TOOLS),
  "k3sm-cni-driver",
  "k3sm-netns-forward",
  "multus",
  "thin_entrypoint",
  "whereabouts",
  "ip-control-loop",
];

describe("data plane: pods get their interfaces through the chart's Multus and whereabouts", function () {
  this.timeout(15 * 60000);
  let rig: Rig | undefined;
  const getRig = (): Rig => {
    if (!rig) throw new Error("the data-plane environment is not up");
    return rig;
  };

  before(async function () {
    requireShared(this);
    requireNamespaces(this);
    requireTools(this, "ip", "nsenter", "unshare", "chroot", "busybox", "ldd", "openssl", "go");
    requireE2eTools(this, DATAPLANE_TOOLS);
    // Our own programs must be built from the repository's sources (tools.sh rebuilds them when not).
    const stale = await run(["bash", path.join(REPO_DIR, "scripts/e2e/tools.sh"), "--check", "dataplane"]);
    if (stale.status !== 0)
      throw new Error(`data plane: ${stale.stdout.trim()}: run scripts/e2e/tools.sh dataplane`);
    const missing = missingImageFiles();
    if (missing.length) throw new Error(`data plane: missing ${missing.join(", ")} (scripts/e2e/tools.sh)`);
    const started = Date.now();
    const env = await upEnv();
    try {
      const work = fs.mkdtempSync(path.join(env.dir, "dataplane-"));
      const stack = await rootStack(env, path.join(work, "project"), {
        networks: [SEED_NETWORK],
        k3sVersion: AFTER_GATE.tag,
      });
      rig = { env, stack, work, outputs: {} };
      await up(rig, "up1");
    } catch (e) {
      await env.down();
      rig = undefined;
      throw e;
    }
    console.log(`      data plane: environment up and pulumi up in ${Date.now() - started} ms`);
  });

  after(async () => {
    await rig?.env.down();
    rig = undefined;
  });

  describe("1. after the gate (data/cni): the seed's whereabouts network", () =>
    afterGateScenario(getRig, AFTER_GATE));
  describe("4. controls that must fail", () => controlScenarios(getRig, AFTER_GATE));
  describe("3. host-local, static and DHCP, four networks on one pod", () =>
    ipamScenario(getRig, AFTER_GATE, SEED_NETWORK));
  describe("2. before the gate (data/current/bin), then a K3s upgrade", () =>
    upgradeScenario(getRig, BEFORE_GATE, BEFORE_GATE_UPGRADED, SEED_NETWORK));
  describe("5. after destroy: the node clean-up", () => destroyScenario(getRig, BEFORE_GATE_UPGRADED));
});

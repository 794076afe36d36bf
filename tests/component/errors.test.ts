/**
 * Failures: nodes that disagree across the bin-dir gate, a node without K3s, output that is not the
 * detect script's, and bad inputs. Each must surface as a pulumi.ResourceError on the component
 * naming the node or field, and must leave no Release or NAD (bad inputs: no child at all). A
 * failure from the nodes still leaves the clean-up Commands of the nodes whose own detection
 * succeeded: each takes its dirs from its own node's facts only, and runs nothing but its `delete`.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { MultusArgs } from "../../provider/src/args";
import { cleanupCommand, ownerId } from "../../provider/src/node/scripts";
import {
  COMMAND_TYPE,
  CONF_DIR,
  detectOutput,
  GARBAGE,
  MACVLAN_WHEREABOUTS,
  NAD_TYPE,
  NEW_BIN,
  NEW_K3S,
  NO_K3S,
  OLD_BIN,
  OLD_K3S,
  RELEASE_TYPE,
} from "./fixtures";
import { deploy, failureOf, Harness, loadMultus, Run, stopMocks, unwrapSecret, valueOf } from "./harness";

/** The outputs computed from the plan (the layout plus the inputs). */
const PLANNED = [
  "cniBinDir",
  "cniConfDir",
  "chartValues",
  "networkNames",
  "networkAnnotations",
  "podAnnotations",
];
/** Every output but releaseStatus and status, which wait on a Release that is never registered. */
const ALL = [...PLANNED, "k3sVersions", "chartVersion"];

/**
 * The `failing` outputs fail with one and the same ResourceError on the component, whose message
 * has all the fragments; the other outputs (but releaseStatus and status) resolve. Every unhandled rejection
 * the SDK raised is that error. Returns the message.
 */
async function expectFailure(
  { m, h, error }: Run,
  failing: readonly string[],
  fragments: readonly (string | RegExp)[],
): Promise<string> {
  if (error !== undefined) {
    // The shape refused at once: the constructor threw, on the component, before any child.
    expect(error).to.be.instanceOf(pulumi.ResourceError);
    const on = (error as pulumi.ResourceError).resource as pulumi.Resource;
    expect(await valueOf(on.urn), "the error is on the component").to.equal(h.named("multus").urn);
    for (const f of fragments) {
      if (typeof f === "string") expect((error as Error).message).to.include(f);
      else expect((error as Error).message).to.match(f);
    }
    return (error as Error).message;
  }
  const outputs = Object.entries(loadMultus().multusOutputs(m)).filter(
    ([k]) => k !== "releaseStatus" && k !== "status",
  );
  const failed = outputs.filter(([k]) => failing.includes(k));
  expect(failed.map(([k]) => k).sort()).to.deep.equal([...failing].sort());
  const errors = await Promise.all(failed.map(([, o]) => failureOf(o)));
  const first = errors[0];
  expect(first).to.be.instanceOf(pulumi.ResourceError);
  if (!(first instanceof pulumi.ResourceError)) throw new Error("expected a ResourceError");
  expect(first.resource, "the error is on the component").to.equal(m);
  for (const [i, e] of errors.entries()) expect(e, failed[i][0]).to.equal(first);
  for (const [k, o] of outputs.filter(([k]) => !failing.includes(k))) {
    expect(await valueOf(o), `${k} resolves`).not.to.equal(undefined);
  }
  for (const f of fragments) {
    if (typeof f === "string") expect(first.message).to.include(f);
    else expect(first.message).to.match(f);
  }
  expect(h.rejections.length).to.be.above(0);
  for (const r of h.rejections) expect(r, "no other failure").to.equal(first);
  return first.message;
}

function childrenOf(h: Harness): string[] {
  return h.registrations.filter((r) => r.name !== "multus").map((r) => `${r.type} ${r.name}`);
}

function detectCommands(h: Harness): string[] {
  return h
    .ofType(COMMAND_TYPE)
    .filter((c) => c.name.startsWith("multus-detect-"))
    .map((c) => c.name);
}

/** Child name of a node's Command: the node's name is derived from its host. */
const commandOf = (kind: "detect" | "cleanup", host: string): string =>
  `multus-${kind}-${host.replace(/\./g, "-")}`;

/**
 * The clean-up Commands registered are exactly those of the nodes in `bins` (host → the CNI bin dir
 * its own detection gave; the conf dir is K3s's default in every fixture here). Each connects to its
 * own node, has no `create` (nothing runs on the node until a destroy) and a `delete` naming its own
 * node's dirs, with whereabouts on (the network uses it).
 */
function expectCleanupsOf(h: Harness, bins: Readonly<Record<string, string>>): void {
  const cleanups = h.ofType(COMMAND_TYPE).filter((c) => c.name.startsWith("multus-cleanup-"));
  expect(cleanups.map((c) => c.name).sort(), "clean-up Commands").to.deep.equal(
    Object.keys(bins)
      .map((host) => commandOf("cleanup", host))
      .sort(),
  );
  const owner = ownerId(h.ofType("k3s-multus:index:Multus")[0].urn);
  for (const [host, binDir] of Object.entries(bins)) {
    const c = h.named(commandOf("cleanup", host));
    expect(Object.keys(c.inputs).sort(), `${c.name}: no create`).to.deep.equal([
      "connection",
      "delete",
      "stdin",
    ]);
    expect(unwrapSecret(c.inputs.connection), c.name).to.deep.include({ host });
    const want = cleanupCommand({ sudo: false, binDir, confDir: CONF_DIR, whereabouts: true, owner });
    expect(c.inputs.delete, c.name)
      .to.equal(want.command)
      .and.match(new RegExp(` '${CONF_DIR}' '${binDir}' 'yes' '${owner}'$`));
    expect(c.inputs.stdin, c.name).to.equal(want.stdin);
  }
}

/** Nothing was installed from the facts: no Release, no NAD. */
function expectNothingInstalled(h: Harness): void {
  expect(h.ofType(RELEASE_TYPE), "Releases").to.deep.equal([]);
  expect(h.ofType(NAD_TYPE), "NADs").to.deep.equal([]);
}

describe("Multus component: errors", () => {
  afterEach(stopMocks);

  describe("from the nodes", () => {
    const args: MultusArgs = {
      nodes: [{ host: "10.6.0.1" }, { host: "10.6.0.2" }],
      networks: [MACVLAN_WHEREABOUTS],
    };

    it("nodes on both sides of the bin-dir gate: each node's clean-up has its own dirs, nothing is installed", async () => {
      const run = await deploy(args, { detect: { "10.6.0.1": OLD_K3S, "10.6.0.2": NEW_K3S } });
      await expectFailure(run, PLANNED, [
        "nodes: ",
        "disagree on the CNI layout",
        "10.6.0.1 (v1.30.5+k3s1, flannel on): bin /var/lib/rancher/k3s/data/current/bin",
        "10.6.0.2 (v1.30.6+k3s1, flannel on): bin /var/lib/rancher/k3s/data/cni",
        "redetect",
      ]);
      expect(await valueOf(run.m.k3sVersions), "the versions explain the failure").to.deep.equal({
        "10.6.0.1": "v1.30.5+k3s1",
        "10.6.0.2": "v1.30.6+k3s1",
      });
      expect(detectCommands(run.h)).to.deep.equal(["multus-detect-10-6-0-1", "multus-detect-10-6-0-2"]);
      expectCleanupsOf(run.h, { "10.6.0.1": OLD_BIN, "10.6.0.2": NEW_BIN });
      expectNothingInstalled(run.h);
      expect(childrenOf(run.h)).to.have.lengthOf(4);
    });

    it("a node without K3s: only the other node's clean-up, nothing installed", async () => {
      const run = await deploy(args, { detect: { "10.6.0.1": NEW_K3S, "10.6.0.2": NO_K3S } });
      await expectFailure(
        run,
        [...PLANNED, "k3sVersions"],
        ["nodes[10.6.0.2]: ", "(no-k3s)", "install K3s on the node"],
      );
      expectNothingInstalled(run.h);
      expect(detectCommands(run.h)).to.deep.equal(["multus-detect-10-6-0-1", "multus-detect-10-6-0-2"]);
      expectCleanupsOf(run.h, { "10.6.0.1": NEW_BIN });
      expect(childrenOf(run.h)).to.have.lengthOf(3);
    });

    it("a node where the SSH user may not read K3s's files: only the other node's clean-up, nothing installed", async () => {
      const denied = "error=no-permission user ops is not root and cannot run sudo -n\n";
      const run = await deploy(args, { detect: { "10.6.0.1": denied, "10.6.0.2": NEW_K3S } });
      await expectFailure(
        run,
        [...PLANNED, "k3sVersions"],
        ["nodes[10.6.0.1]: ", "(no-permission)", "sudo: true"],
      );
      expectNothingInstalled(run.h);
      expectCleanupsOf(run.h, { "10.6.0.2": NEW_BIN });
      expect(childrenOf(run.h).sort()).to.deep.equal([
        `${COMMAND_TYPE} multus-cleanup-10-6-0-2`,
        `${COMMAND_TYPE} multus-detect-10-6-0-1`,
        `${COMMAND_TYPE} multus-detect-10-6-0-2`,
      ]);
    });

    const unparseable: [string, string, string][] = [
      ["not the script's output", GARBAGE, "has no detection header"],
      ["another format version", NEW_K3S.replace("k3s-multus-detect 1", "k3s-multus-detect 2"), "format 1"],
      ["a line missing", NEW_K3S.replace(/^flannel=on\n/m, ""), "flannel"],
      ["an unparseable version", NEW_K3S.replace(/^version=.*$/m, "version=k3s version latest"), "version="],
      [
        "a hostile data dir",
        detectOutput({ tag: "v1.30.6+k3s1", dataDir: "/var/lib/k3s;reboot" }),
        "is not a safe path (data_dir=)",
      ],
    ];
    for (const [what, stdout, detail] of unparseable) {
      it(`unparseable output: ${what}: only the other node's clean-up, nothing installed`, async () => {
        const run = await deploy(args, { detect: { "10.6.0.1": NEW_K3S, "10.6.0.2": stdout } });
        await expectFailure(run, [...PLANNED, "k3sVersions"], ["nodes[10.6.0.2]: ", detail]);
        expect(childrenOf(run.h).sort()).to.deep.equal([
          `${COMMAND_TYPE} multus-cleanup-10-6-0-1`,
          `${COMMAND_TYPE} multus-detect-10-6-0-1`,
          `${COMMAND_TYPE} multus-detect-10-6-0-2`,
        ]);
        expectCleanupsOf(run.h, { "10.6.0.1": NEW_BIN });
        expectNothingInstalled(run.h);
      });
    }
  });

  describe("from the inputs: nothing but the component is registered", () => {
    const cases: [string, MultusArgs, string][] = [
      [
        "an invalid network name",
        { k3sVersion: "v1.32.2+k3s1", networks: [{ ...MACVLAN_WHEREABOUTS, name: "Bad_Name" }] },
        "networks[0].name: ",
      ],
      [
        "a network without ipam",
        { nodes: [{ host: "10.7.0.1" }], networks: [{ name: "n", type: "macvlan" }] },
        "networks[0].ipam: ",
      ],
      [
        "overlapping networks",
        {
          nodes: [{ host: "10.7.0.1" }],
          networks: [MACVLAN_WHEREABOUTS, { ...MACVLAN_WHEREABOUTS, name: "other", interface: "eth2" }],
        },
        "networks[1].ipam.range: ",
      ],
      [
        "a hostile cniBinDir",
        { k3sVersion: "v1.32.2+k3s1", cniBinDir: "/opt/cni/bin;rm -rf /" },
        "cniBinDir: ",
      ],
      [
        "a hostile k3sDataDir",
        { nodes: [{ host: "10.7.0.1" }], k3sDataDir: "/var/lib/$(reboot)" },
        "k3sDataDir: ",
      ],
      ["a relative cniConfDir", { k3sVersion: "v1.32.2+k3s1", cniConfDir: "etc/cni" }, "cniConfDir: "],
      ["a hostile host", { nodes: [{ host: "node1;reboot" }] }, "nodes[0].host: "],
      ["a duplicate node", { nodes: [{ host: "10.7.0.1" }, { host: "10.7.0.1" }] }, "nodes[1].host: "],
      ["no nodes and nothing pinned", {}, "nodes: "],
      ["a bad k3sVersion", { k3sVersion: "1.32" }, "k3sVersion: "],
      [
        "a bad chart version",
        { k3sVersion: "v1.32.2+k3s1", chart: { version: "latest" } },
        "chart.version: ",
      ],
      [
        "a bad release name",
        { k3sVersion: "v1.32.2+k3s1", chart: { releaseName: "Multus!" } },
        "chart.releaseName: ",
      ],
      ["cleanup without nodes", { k3sVersion: "v1.32.2+k3s1", cleanupOnDestroy: true }, "cleanupOnDestroy: "],
    ];
    for (const [what, args, field] of cases) {
      it(what, async () => {
        const run = await deploy(args, { detect: { "10.7.0.1": NEW_K3S } });
        await expectFailure(run, ALL, [field]);
        expect(run.h.registrations.map((r) => r.name)).to.deep.equal(["multus"]);
      });
    }

    it("a credential of the wrong type, without echoing it", async () => {
      const key = { pem: "SECRET-IN-WRONG-TYPE" } as unknown as string;
      const run = await deploy({ nodes: [{ host: "10.7.0.1", privateKey: pulumi.secret(key) }] });
      const message = await expectFailure(run, ALL, ["nodes[0].privateKey: ", "(secret)"]);
      expect(message).not.to.include("SECRET-IN-WRONG-TYPE");
      expect(run.h.registrations.map((r) => r.name)).to.deep.equal(["multus"]);
    });
  });

  describe("from the chart values (checked before any node is contacted)", () => {
    const cases = [
      { name: "pinned facts", args: { k3sVersion: "v1.32.2+k3s1" } },
      { name: "detection (no detect Command runs)", args: {} },
    ];
    for (const c of cases) {
      it(`the thick plugin, with ${c.name}: nothing but the component registered`, async () => {
        const run = await deploy({
          nodes: [{ host: "10.8.0.1" }],
          ...c.args,
          networks: [MACVLAN_WHEREABOUTS],
          chart: { values: { thickPlugin: { enabled: true } } },
        });
        await expectFailure(run, ALL, ["chart.values.thickPlugin.enabled: "]);
        expect(run.h.registrations.map((r) => r.name)).to.deep.equal(["multus"]);
      });
    }
  });
});

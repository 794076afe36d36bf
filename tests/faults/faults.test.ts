/**
 * Faults: an unreachable node, a node without K3s, a detection that hangs, a Release or NAD that
 * fails. Each gives an error naming the node or the resource, and nothing is installed from partial
 * facts: no Release or NAD when any node's detection failed or the nodes disagree. The clean-up
 * Commands of the nodes whose own detection succeeded are registered (each takes its dirs from its
 * own node's facts only); they have no `create`, so nothing runs on a node. And the destroy order
 * that the registered dependencies give Pulumi: NADs, then Releases, then the node clean-up.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { cleanupCommand, ownerId } from "../../provider/src/node/scripts";
import {
  COMMAND,
  detectOutput,
  isSecretWrapper,
  NAD,
  RELEASE,
  Run,
  runMultus,
  Sent,
} from "../security/harness";

const NODES = [
  { host: "10.0.0.1", privateKey: "KEY" },
  { host: "10.0.0.2", privateKey: "KEY" },
];
const NETS = [
  { name: "lan", type: "macvlan", master: "eth1", ipam: { type: "whereabouts", range: "10.5.0.0/24" } },
  { name: "storage", type: "ipvlan", master: "eth2", ipam: { type: "dhcp" } },
];
const ARGS = { nodes: NODES, networks: NETS };
const NEW = detectOutput("v1.32.2+k3s1");
const CONF_DIR = "/var/lib/rancher/k3s/agent/etc/cni/net.d";
const NEW_BIN = "/var/lib/rancher/k3s/data/cni";
const OLD_BIN = "/var/lib/rancher/k3s/data/current/bin";
/** A release before the bin-dir gate: another CNI bin dir. */
const OLD = detectOutput("v1.30.5+k3s1").replace(`bin_dir=${NEW_BIN}`, `bin_dir=${OLD_BIN}`);

/** Detection that fails on one host in a given way and succeeds elsewhere. */
function failOn(host: string, how: () => string): (h: string) => string {
  return (h) => (h === host ? how() : NEW);
}

/** Nothing was installed from the facts: no Release, no NAD (not even a failed attempt). */
function expectNothingInstalled(run: Run): void {
  expect(
    run.sent.filter((s) => s.type === RELEASE).map((s) => s.name),
    "Releases",
  ).to.deep.equal([]);
  expect(
    run.sent.filter((s) => s.type === NAD).map((s) => s.name),
    "NADs",
  ).to.deep.equal([]);
}

/** Child name of a node's Command: the node's name is derived from its host. */
const commandOf = (kind: "detect" | "cleanup", host: string): string =>
  `m-${kind}-${host.replace(/\./g, "-")}`;

/**
 * The clean-up Commands sent are exactly those of the nodes in `bins` (host → the CNI bin dir its
 * own detection gave; the conf dir is K3s's default throughout), and each was created: it connects
 * to its own node, has no `create` (nothing runs on the node before a destroy) and a `delete` naming
 * its own node's dirs (whereabouts on: the "lan" network uses it).
 */
function expectCleanupsOf(run: Run, bins: Readonly<Record<string, string>>): void {
  const cleanups = run.sent.filter((s) => s.type === COMMAND && s.name.includes("-cleanup-"));
  expect(cleanups.map((s) => s.name).sort(), "clean-up Commands").to.deep.equal(
    Object.keys(bins)
      .map((host) => commandOf("cleanup", host))
      .sort(),
  );
  const owner = ownerId(run.sent.find((s) => s.type === "k3s-multus:index:Multus")?.urn ?? "");
  for (const [host, binDir] of Object.entries(bins)) {
    const c = run.named(commandOf("cleanup", host));
    expect(c.ok, `${c.name} is created`).to.equal(true);
    expect(Object.keys(c.wire).sort(), `${c.name}: no create`).to.deep.equal([
      "connection",
      "delete",
      "stdin",
    ]);
    expect(isSecretWrapper(c.wire.connection), `${c.name}: connection secret`).to.equal(true);
    expect((c.wire.connection as { value: { host: string } }).value.host, c.name).to.equal(host);
    const want = cleanupCommand({ sudo: false, binDir, confDir: CONF_DIR, whereabouts: true, owner });
    expect(c.wire.delete, c.name)
      .to.equal(want.command)
      .and.match(new RegExp(` '${CONF_DIR}' '${binDir}' 'yes' '${owner}'$`));
    expect(c.wire.stdin, c.name).to.equal(want.stdin);
  }
}

function expectErrorNaming(run: Run, ...parts: string[]): void {
  const messages = run.errors();
  expect(messages.length, "the run fails").to.be.above(0);
  const all = messages.join("\n");
  for (const p of parts) expect(all, `the error names ${p}`).to.include(p);
}

/** Transitive dependencies by URN. */
function closure(sent: readonly Sent[]): Map<string, Set<string>> {
  const direct = new Map(sent.map((s) => [s.urn, s.dependencies]));
  const memo = new Map<string, Set<string>>();
  const visit = (urn: string): Set<string> => {
    let found = memo.get(urn);
    if (found) return found;
    found = new Set();
    memo.set(urn, found);
    for (const d of direct.get(urn) ?? []) {
      found.add(d);
      for (const x of visit(d)) found.add(x);
    }
    return found;
  };
  for (const s of sent) visit(s.urn);
  return memo;
}

/**
 * The order in which Pulumi deletes these resources on destroy: a resource goes only after every
 * resource that depends on it (and every child of it) is gone. Returns the names in deletion order;
 * resources that could go at the same time are taken in name order.
 */
function destroyOrder(sent: readonly Sent[]): string[] {
  const left = new Map(sent.filter((s) => s.ok).map((s) => [s.urn, s]));
  const order: string[] = [];
  while (left.size > 0) {
    const blocked = new Set<string>();
    for (const s of left.values()) {
      for (const d of s.dependencies) blocked.add(d);
      if (s.parent) blocked.add(s.parent);
    }
    const ready = [...left.values()]
      .filter((s) => !blocked.has(s.urn))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(ready.length, "the dependency graph has no cycle").to.be.above(0);
    for (const s of ready) {
      order.push(s.name);
      left.delete(s.urn);
    }
  }
  return order;
}

describe("faults", function () {
  this.timeout(20000);

  describe("detection", () => {
    it("an unreachable node: the error names its detect Command; no Release or NAD, only the other node's clean-up", async () => {
      const run = await runMultus(ARGS, {
        detect: failOn("10.0.0.2", () => {
          throw new Error("dial tcp 10.0.0.2:22: connect: no route to host");
        }),
      });
      expectErrorNaming(run, "m-detect-10-0-0-2", "no route to host");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.1": NEW_BIN });
    });

    it("a node without K3s (the script fails the Command): the error names its detect Command; only the other node's clean-up", async () => {
      const run = await runMultus(ARGS, {
        detect: failOn("10.0.0.1", () => {
          throw new Error(
            "Process exited with status 3\nerror=no-k3s k3s not found (looked on PATH and in /usr/local/bin)",
          );
        }),
      });
      expectErrorNaming(run, "m-detect-10-0-0-1", "error=no-k3s");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.2": NEW_BIN });
    });

    it("a node without K3s reported on stdout: the error names the node and says what to do; only the other node's clean-up", async () => {
      const run = await runMultus(ARGS, { detect: failOn("10.0.0.2", () => "error=no-k3s k3s not found\n") });
      expectErrorNaming(run, "nodes[10.0.0.2]", "(no-k3s)", "install K3s");
      for (const r of run.rejections) expect(pulumi.ResourceError.isInstance(r), String(r)).to.equal(true);
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.1": NEW_BIN });
    });

    it("a node where the SSH user may not read K3s's files: the error names the node and says how; only the other node's clean-up", async () => {
      const run = await runMultus(ARGS, {
        detect: failOn(
          "10.0.0.1",
          () => "error=no-permission user ubuntu is not root and cannot run sudo -n\n",
        ),
      });
      expectErrorNaming(run, "nodes[10.0.0.1]", "(no-permission)", "sudo: true");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.2": NEW_BIN });
    });

    for (const { what, stdout } of [
      { what: "empty output", stdout: "" },
      { what: "a login banner only", stdout: "Welcome to Ubuntu\n" },
      { what: "a future output format", stdout: NEW.replace("k3s-multus-detect 1", "k3s-multus-detect 2") },
      { what: "a truncated output", stdout: NEW.split("\n").slice(0, 3).join("\n") },
      {
        what: "an unsafe data dir",
        stdout: NEW.replace("data_dir=/var/lib/rancher/k3s", "data_dir=/var/lib/$(reboot)"),
      },
    ]) {
      it(`detection output with ${what}: the error names the node; only the other node's clean-up`, async () => {
        const run = await runMultus(ARGS, { detect: failOn("10.0.0.2", () => stdout) });
        expectErrorNaming(run, "nodes[10.0.0.2]");
        expectNothingInstalled(run);
        expectCleanupsOf(run, { "10.0.0.1": NEW_BIN });
      });
    }

    it("nodes that disagree on the CNI layout (a rolling upgrade): the error names both and their versions; each node's clean-up has its own dirs", async () => {
      const run = await runMultus(ARGS, { detect: (h) => (h === "10.0.0.2" ? OLD : NEW) });
      expectErrorNaming(run, "10.0.0.1 (v1.32.2+k3s1", "10.0.0.2 (v1.30.5+k3s1", "redetect");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.1": NEW_BIN, "10.0.0.2": OLD_BIN });
    });

    it("a node whose own detected bin dir is too close to / for the clean-up: no clean-up for it, the error names the field", async () => {
      const shallow = NEW.replace(`bin_dir=${NEW_BIN}`, "bin_dir=/cni");
      const run = await runMultus(ARGS, { detect: (h) => (h === "10.0.0.1" ? shallow : NEW) });
      expectErrorNaming(run, 'cniBinDir: "/cni"', "too close to /", "10.0.0.1 (v1.32.2+k3s1", "disagree");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.2": NEW_BIN });
    });

    it("a hanging detection is bounded: every detect Command has a create timeout", async () => {
      const run = await runMultus(ARGS);
      const detects = run.sent.filter((s) => s.type === COMMAND && s.name.includes("-detect-"));
      expect(detects.map((d) => d.name)).to.deep.equal(["m-detect-10-0-0-1", "m-detect-10-0-0-2"]);
      for (const d of detects) {
        expect(d.customTimeouts.create, d.name).to.match(/^\d+[smh]$/);
        const minutes =
          Number(d.customTimeouts.create.slice(0, -1)) *
          { s: 1 / 60, m: 1, h: 60 }[d.customTimeouts.create.slice(-1) as "s" | "m" | "h"];
        expect(minutes, "at most half an hour").to.be.below(31);
      }
      for (const c of run.sent.filter((s) => s.name.includes("-cleanup-")))
        expect(c.customTimeouts.delete, `${c.name} delete timeout`).to.match(/^\d+[smh]$/);
    });

    it("a detection that timed out: the error names the node's detect Command; nothing installed, only the other node's clean-up", async () => {
      const run = await runMultus(ARGS, {
        detect: failOn("10.0.0.1", () => {
          throw new Error("timeout while waiting for the command to complete");
        }),
      });
      expectErrorNaming(run, "m-detect-10-0-0-1", "timeout");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.2": NEW_BIN });
    });

    it("facts that fail planning (a chart version that breaks K3s's conf dir): the error names the field; nothing installed, every node's clean-up", async () => {
      // No DHCP network: v4.2.107 with DHCP is refused before detection (its DHCP daemon), without
      // it only K3s' dirs (known after detection) rule it out.
      const run = await runMultus({ ...ARGS, networks: [NETS[0]], chart: { version: "v4.2.107" } });
      expectErrorNaming(run, "chart.version", "v4.2.107");
      expectNothingInstalled(run);
      expectCleanupsOf(run, { "10.0.0.1": NEW_BIN, "10.0.0.2": NEW_BIN });
    });
  });

  describe("Releases and NADs", () => {
    it("a failing CRD Release: the error names it; the rke2-multus Release and the NADs are not created", async () => {
      const run = await runMultus(ARGS, {
        fail: (type, name) =>
          type === RELEASE && name === "m-crd"
            ? new Error("helm: timed out waiting for the condition")
            : undefined,
      });
      expectErrorNaming(run, "m-crd", "kubernetes:helm.sh/v3:Release", "timed out");
      expect(run.created(RELEASE)).to.deep.equal([]);
      expect(run.sent.filter((s) => s.type === NAD)).to.deep.equal([]);
      // The clean-up Commands came first: a destroy after this failure still cleans the nodes.
      expect(run.created(COMMAND).filter((c) => c.name.includes("-cleanup-")).length).to.equal(2);
    });

    it("a failing rke2-multus Release (chart v4.2.418, after its CRD release): the error names it; no NAD is created", async () => {
      const run = await runMultus(
        { ...ARGS, chart: { version: "v4.2.418" } },
        {
          fail: (type, name) =>
            type === RELEASE && name === "m-release" ? new Error("helm: release multus failed") : undefined,
        },
      );
      expectErrorNaming(run, "m-release", "kubernetes:helm.sh/v3:Release", "release multus failed");
      expect(run.sent.filter((s) => s.type === NAD)).to.deep.equal([]);
    });

    it("a failing NAD: the error names it; the clean-up Commands exist, so destroy still cleans the nodes", async () => {
      const run = await runMultus(ARGS, {
        fail: (type, name) =>
          type === NAD && name === "m-nad-storage" ? new Error("admission webhook denied") : undefined,
      });
      expectErrorNaming(run, "m-nad-storage", "admission webhook denied");
      expect(run.created(COMMAND).filter((c) => c.name.includes("-cleanup-")).length).to.equal(2);
    });
  });

  describe("destroy order", () => {
    for (const { what, args } of [
      { what: "detected, with the CRD chart", args: ARGS },
      {
        what: "pinned, chart without a CRD chart",
        args: { ...ARGS, k3sVersion: "v1.30.5+k3s1", chart: { version: "v4.2.418" } },
      },
      { what: "clean-up off", args: { ...ARGS, cleanupOnDestroy: false } },
    ] as const) {
      it(`${what}: NADs, then Releases (rke2-multus before its CRD chart), then the node clean-up`, async () => {
        const run = await runMultus(args, { detect: () => NEW });
        expect(run.errors()).to.deep.equal([]);
        const deps = closure(run.created());
        const nads = run.created(NAD);
        const releases = run.created(RELEASE);
        const cleanups = run.created(COMMAND).filter((c) => c.name.includes("-cleanup-"));
        expect(nads.length).to.equal(2);
        expect(releases.length).to.be.above(0);
        expect(cleanups.length).to.equal(2);
        for (const n of nads)
          for (const r of releases)
            expect(deps.get(n.urn)?.has(r.urn), `${n.name} depends on ${r.name}`).to.equal(true);
        for (const r of releases)
          for (const c of cleanups)
            expect(deps.get(r.urn)?.has(c.urn), `${r.name} depends on ${c.name}`).to.equal(true);
        // The same, as the deletion schedule Pulumi derives from those dependencies.
        const order = destroyOrder(run.created());
        const last = (list: Sent[]) => Math.max(...list.map((s) => order.indexOf(s.name)));
        const first = (list: Sent[]) => Math.min(...list.map((s) => order.indexOf(s.name)));
        expect(last(nads), order.join(" ")).to.be.below(first(releases));
        expect(last(releases), order.join(" ")).to.be.below(first(cleanups));
        if (releases.length === 2) expect(order.indexOf("m-release")).to.be.below(order.indexOf("m-crd"));
        // Only an enabled clean-up has something to run on destroy.
        for (const c of cleanups) {
          const del = (c.wire as { delete?: unknown }).delete;
          if ((args as { cleanupOnDestroy?: boolean }).cleanupOnDestroy === false)
            expect(del, c.name).to.equal(undefined);
          else {
            expect(del, c.name)
              .to.be.a("string")
              .and.to.match(/^sh -s -- '/);
            expect((c.wire as { stdin?: unknown }).stdin, c.name).to.include("ME=k3s-multus-cleanup");
          }
        }
        // The ownership records come after the releases, so destroy removes them first (they run nothing).
        const claims = run.created(COMMAND).filter((c) => c.name.includes("-claim-"));
        if ((args as { cleanupOnDestroy?: boolean }).cleanupOnDestroy === false)
          expect(claims).to.deep.equal([]);
        else {
          expect(claims.length).to.equal(2);
          for (const c of claims)
            for (const r of releases)
              expect(deps.get(c.urn)?.has(r.urn), `${c.name} depends on ${r.name}`).to.equal(true);
        }
      });
    }
  });
});

/**
 * Idempotence: a second run with the same inputs registers byte-identical inputs (so Pulumi sees no
 * diff), also with the input objects' keys in another order; changing only `redetect` changes the
 * detect Commands' `triggers` (which replaces them, rerunning detection) and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { COMMAND, detectOutput, Run, runMultus, sortedJson } from "../security/harness";

const NODES = [
  { host: "10.0.0.1", user: "ubuntu", sudo: true, privateKey: "KEY-1", hostKey: "ssh-ed25519 AAAA1" },
  { host: "node-2.lan", port: 2222, privateKey: "KEY-2", proxy: { host: "jump.lan", password: "P" } },
];
const NETS = [
  {
    name: "lan",
    namespace: "team-a",
    interface: "net1",
    type: "macvlan",
    master: "eth1",
    mode: "bridge",
    mtu: 1400,
    ipam: {
      type: "whereabouts",
      range: "10.5.0.0/24",
      rangeStart: "10.5.0.10",
      exclude: ["10.5.0.128/30"],
      routes: [{ dst: "0.0.0.0/0" }],
    },
  },
  {
    name: "br",
    type: "bridge",
    bridge: "br-multus",
    isGateway: true,
    vlan: 20,
    ipam: { type: "host-local", range: "10.6.0.0/24", gateway: "10.6.0.1" },
  },
  {
    name: "raw",
    config: JSON.stringify({
      cniVersion: "1.0.0",
      type: "tuning",
      ipam: { type: "whereabouts", range: "10.7.0.0/24" },
    }),
  },
];
const ARGS = {
  nodes: NODES,
  networks: NETS,
  ipam: ["dhcp"],
  chart: {
    repositoryUsername: "U",
    repositoryPassword: "P",
    values: { global: { systemDefaultRegistry: "registry.lan:5000" } },
  },
  kubeconfig: "KC",
  redetect: "2024-10",
};
const detect = (h: string) => detectOutput(h === "10.0.0.1" ? "v1.32.2+k3s1" : "v1.32.5+k3s1");

/** Every registration in comparable form, by name (the order of sending may vary with timing). */
function registered(run: Run): Map<string, string> {
  expect(run.errors()).to.deep.equal([]);
  return new Map(
    run.sent.map((s) => [
      s.name,
      sortedJson({
        type: s.type,
        parent: s.parent,
        deps: [...s.dependencies].sort(),
        timeouts: s.customTimeouts,
        inputs: s.wire,
      }),
    ]),
  );
}

/** The same value with the keys of every object in reverse order. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    ) as T;
  return value;
}

describe("idempotence", function () {
  this.timeout(20000);

  it("a second run with the same inputs registers byte-identical inputs", async () => {
    const first = registered(await runMultus(ARGS, { detect }));
    const second = registered(await runMultus(ARGS, { detect }));
    expect([...second.keys()].sort()).to.deep.equal([...first.keys()].sort());
    for (const [name, text] of first) expect(second.get(name), name).to.equal(text);
    // The component, 2 detect Commands, the Kubernetes provider, 2 clean-up Commands, 2 Releases,
    // 2 ownership records, 3 NADs.
    expect(first.size).to.equal(13);
  });

  it("the same inputs given with their keys in another order register byte-identical inputs", async () => {
    const first = registered(await runMultus(ARGS, { detect }));
    const second = registered(await runMultus(reversedKeys(ARGS), { detect }));
    for (const [name, text] of first) expect(second.get(name), name).to.equal(text);
  });

  it("secrets given as pulumi.secret register the same inputs on every run", async () => {
    const args = () => ({
      ...ARGS,
      kubeconfig: pulumi.secret("KC"),
      nodes: NODES.map((n) => ({ ...n, privateKey: pulumi.secret(n.privateKey) })),
    });
    const first = registered(await runMultus(args(), { detect }));
    const second = registered(await runMultus(args(), { detect }));
    for (const [name, text] of first) expect(second.get(name), name).to.equal(text);
  });

  it("pinned facts: a second run registers byte-identical inputs", async () => {
    const pinned = { ...ARGS, k3sVersion: "v1.31.1+k3s1", k3sDataDir: "/srv/k3s" };
    const first = registered(await runMultus(pinned));
    const second = registered(await runMultus(pinned));
    for (const [name, text] of first) expect(second.get(name), name).to.equal(text);
    expect(
      [...first.keys()].some((n) => n.includes("-detect-")),
      "no detection when pinned",
    ).to.equal(false);
  });

  it("changing only redetect changes only the detect Commands' triggers", async () => {
    const before = await runMultus(ARGS, { detect });
    const after = await runMultus({ ...ARGS, redetect: "2025-01" }, { detect });
    const a = registered(before);
    const b = registered(after);
    expect([...b.keys()].sort()).to.deep.equal([...a.keys()].sort());
    const changed = [...a.keys()].filter((name) => a.get(name) !== b.get(name)).sort();
    expect(changed).to.deep.equal(["m-detect-10-0-0-1", "m-detect-node-2-lan"]);
    for (const name of changed) {
      const x = before.named(name);
      const y = after.named(name);
      expect(x.type).to.equal(COMMAND);
      const { triggers: tx, ...restX } = x.wire as { triggers?: unknown };
      const { triggers: ty, ...restY } = y.wire as { triggers?: unknown };
      expect(sortedJson(restY), `${name}: only triggers differ`).to.equal(sortedJson(restX));
      expect(tx).to.deep.equal(["2024-10"]);
      expect(ty).to.deep.equal(["2025-01"]);
    }
  });
});

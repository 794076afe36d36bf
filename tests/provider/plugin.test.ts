/**
 * The provider plugin, driven the way the Pulumi engine drives it: `run-plugin` spawned with the
 * plugin folder and the engine's address, a fake Engine and ResourceMonitor served over gRPC, then
 * GetPluginInfo, GetSchema and Construct. What the plugin registers is compared with what the same
 * component registers in-process under `pulumi.runtime.setMocks`.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { IpamArgs } from "../../provider/src/networkArgs";
import { FakeEngine, Registration, STACK_URN } from "./engine";
import {
  detectOutput,
  engineOutputs,
  FAKE_KUBECONFIG,
  FAKE_PRIVATE_KEY,
  PINNED_INPUTS,
  SEED_NETWORK,
} from "./fixtures";
import { normaliseGraph, normaliseValue, revealed, runInProcess, withoutSecrets } from "./graph";
import { PluginProcess, PROVIDER_DIR, REPO, secretOutputValue, secretValue } from "./plugin";

const SDK_SCHEMA = path.join(REPO, "sdk", "schema.json");

/** The error a rejected promise carries (fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("provider plugin (as started by the engine)", function () {
  this.timeout(60_000);
  let engine: FakeEngine;
  let plugin: PluginProcess;

  before(async () => {
    engine = await FakeEngine.start();
    // The engine runs the plugin with the consumer's project as working directory.
    plugin = await PluginProcess.start({
      engineAddress: engine.engineAddress,
      cwd: path.join(REPO, "examples", "yaml"),
    });
  });

  after(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
    await plugin?.stop();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
    await engine?.stop();
    // Leave the SDK's global runtime without this file's mocks.
    await pulumi.runtime.setMocks({
      call: () => ({}),
      newResource: () => ({ id: undefined, state: {} }),
    });
  });

  beforeEach(() => engine.reset());

  const construct = (name: string, inputs: Record<string, unknown>) =>
    plugin.construct(name, inputs, { monitorAddress: engine.monitorAddress });

  it("GetPluginInfo reports the package version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROVIDER_DIR, "package.json"), "utf8")) as {
      version: string;
    };
    expect(await plugin.getPluginInfo()).to.equal(pkg.version);
  });

  it("GetSchema serves the checked-in sdk/schema.json", async () => {
    const served = await plugin.getSchema();
    expect(JSON.parse(served)).to.deep.equal(JSON.parse(fs.readFileSync(SDK_SCHEMA, "utf8")));
    // The plugin serves the build-time file verbatim: no inference at start.
    expect(served).to.equal(fs.readFileSync(path.join(PROVIDER_DIR, "bin", "schema.json"), "utf8"));
  });

  it("Construct with pinned facts registers the in-process component's graph", async () => {
    engine.outputsFor = engineOutputs;
    const res = await construct("pinned", PINNED_INPUTS);
    expect(res.urn).to.equal("urn:pulumi:dev::provider-test::k3s-multus:index:Multus::pinned");
    const local = await runInProcess("pinned", PINNED_INPUTS, engineOutputs);
    const graph = normaliseGraph(engine.registrations);
    expect(graph).to.deep.equal(normaliseGraph(local.registrations));
    expect(graph.map((n) => `${n.type} < ${n.parent}`)).to.deep.equal([
      "k3s-multus:index:Multus < (root)",
      "kubernetes:helm.sh/v3:Release < k3s-multus:index:Multus::pinned",
      "kubernetes:helm.sh/v3:Release < k3s-multus:index:Multus::pinned",
      "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition < k3s-multus:index:Multus::pinned",
    ]);
    for (const n of graph.slice(1)) expect(n.name).to.match(/^pinned-/);
    // The component hangs under the stack the engine named.
    expect(engine.registrations.find((r) => r.type === "k3s-multus:index:Multus")?.parent).to.equal(
      STACK_URN,
    );
    // Construct returns the component's outputs, equal to the in-process ones.
    expect(revealed(res.state)).to.deep.equal(JSON.parse(JSON.stringify(local.outputs)));
    expect(res.state.podAnnotations).to.deep.equal({
      "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1",
    });
    expect(res.state.releaseStatus).to.equal("deployed");
    // RegisterResourceOutputs carried the same outputs.
    expect(revealed(engine.outputs.get(res.urn))).to.deep.equal(revealed(res.state));
  });

  describe("with nodes reached over SSH (detection) and secret credentials", () => {
    const inputs = (key: unknown) => ({
      nodes: [
        { host: "10.0.0.11", user: "root", privateKey: key },
        { host: "10.0.0.12", user: "root", privateKey: key },
      ],
      networks: [SEED_NETWORK],
      kubeconfig: secretValue(FAKE_KUBECONFIG),
    });
    const commands = (rs: readonly Registration[]) => rs.filter((r) => r.type === "command:remote:Command");

    for (const [form, key] of [
      ["a secret value", secretValue(FAKE_PRIVATE_KEY)],
      ["a secret output value", secretOutputValue(FAKE_PRIVATE_KEY)],
    ] as const) {
      it(`an SSH key sent as ${form} reaches the Commands only as a secret`, async () => {
        engine.outputsFor = engineOutputs;
        const res = await construct("ssh", inputs(key));
        const cmds = commands(engine.registrations);
        // Two detect, two clean-up and two ownership-record commands.
        expect(cmds.map((c) => c.name).sort()).to.deep.equal([
          "ssh-claim-10-0-0-11",
          "ssh-claim-10-0-0-12",
          "ssh-cleanup-10-0-0-11",
          "ssh-cleanup-10-0-0-12",
          "ssh-detect-10-0-0-11",
          "ssh-detect-10-0-0-12",
        ]);
        for (const c of cmds) {
          const connection = normaliseValue(c.object.connection) as { secret?: { privateKey?: string } };
          expect(connection.secret?.privateKey, c.name).to.equal(FAKE_PRIVATE_KEY);
        }
        // Nowhere in plain text: not in any registration, the outputs, the response or a log line.
        // (Debug lines are left out: the SDK itself prints every RegisterResource response at debug
        // level, secrets included, and the fake monitor echoes the inputs back.)
        const everything = withoutSecrets({
          registrations: engine.registrations,
          outputs: [...engine.outputs.values()],
          state: res.state,
          logs: engine.logs.filter((l) => l.severity !== "debug"),
        });
        // Both fake credentials contain this marker: no fragment of either may show.
        expect(everything).to.not.include("do-not-leak");
        for (const secret of [FAKE_PRIVATE_KEY, FAKE_KUBECONFIG]) {
          expect(everything).to.not.include(JSON.stringify(secret).slice(1, -1));
          expect(plugin.stderr).to.not.include(secret);
        }
        // The kubeconfig went to the Kubernetes provider, as a secret.
        const k8s = engine.registrations.find((r) => r.type === "pulumi:providers:kubernetes");
        expect(normaliseValue(k8s?.object.kubeconfig)).to.deep.equal({ secret: FAKE_KUBECONFIG });
        expect(res.state.k3sVersions).to.deep.equal({
          "10.0.0.11": "v1.32.2+k3s1",
          "10.0.0.12": "v1.32.2+k3s1",
        });
      });
    }

    it("registers the in-process component's graph", async () => {
      engine.outputsFor = engineOutputs;
      const wire = inputs(secretValue(FAKE_PRIVATE_KEY));
      const res = await construct("ssh", wire);
      const local = await runInProcess("ssh", wire, engineOutputs);
      const graph = normaliseGraph(engine.registrations);
      expect(graph).to.deep.equal(normaliseGraph(local.registrations));
      expect(graph.map((n) => n.type).sort()).to.deep.equal([
        "command:remote:Command",
        "command:remote:Command",
        "command:remote:Command",
        "command:remote:Command",
        "command:remote:Command",
        "command:remote:Command",
        "k3s-multus:index:Multus",
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition",
        "pulumi:providers:kubernetes",
      ]);
      expect(revealed(res.state)).to.deep.equal(JSON.parse(JSON.stringify(local.outputs)));
    });

    it("fails naming the node when its detection output is wrong", async () => {
      engine.outputsFor = (r) =>
        r.type === "command:remote:Command"
          ? { stdout: detectOutput().replace("k3s-multus-detect 1", "something else") }
          : engineOutputs(r);
      const err = await rejection(construct("badnode", inputs(secretValue(FAKE_PRIVATE_KEY))));
      expect(err.message).to.match(/nodes\[10\.0\.0\.1[12]\]/);
      expect(err.message).to.not.include("test-key-do-not-leak");
    });
  });

  describe("bad input comes back as an error naming the field", () => {
    const cases: { what: string; inputs: Record<string, unknown>; field: RegExp }[] = [
      {
        what: "an invalid network name",
        inputs: { ...PINNED_INPUTS, networks: [{ ...SEED_NETWORK, name: "Bad_Name" }] },
        field: /networks\[0\]\.name: "Bad_Name"/,
      },
      {
        what: "a gateway outside the range",
        inputs: {
          ...PINNED_INPUTS,
          networks: [{ ...SEED_NETWORK, ipam: { ...(SEED_NETWORK.ipam as IpamArgs), gateway: "10.9.9.9" } }],
        },
        field: /networks\[0\]\.ipam\.gateway/,
      },
      {
        what: "an unparseable K3s version",
        inputs: { ...PINNED_INPUTS, k3sVersion: "latest" },
        field: /k3sVersion: "latest"/,
      },
      {
        what: "a host with shell characters (next to a secret key that must not be echoed)",
        inputs: {
          nodes: [{ host: "node1;reboot", privateKey: secretValue(FAKE_PRIVATE_KEY) }],
          networks: [SEED_NETWORK],
        },
        field: /nodes\[0\]\.host: "node1;reboot"/,
      },
      {
        what: "a non-string private key",
        inputs: { nodes: [{ host: "10.0.0.1", privateKey: secretValue(42) }] },
        field: /nodes\[0\]\.privateKey: "\(secret\)" has the wrong type/,
      },
    ];
    for (const c of cases) {
      it(c.what, async () => {
        const err = await rejection(construct("bad", c.inputs));
        expect(err.message).to.match(c.field);
        expect(err.message).to.not.include("test-key-do-not-leak");
      });
    }

    it("an unknown resource type", async () => {
      const err = await rejection(
        plugin.construct("x", {}, { monitorAddress: engine.monitorAddress, type: "k3s-multus:index:Nope" }),
      );
      expect(err.message).to.include("unknown resource type k3s-multus:index:Nope");
    });

    it("leaves the plugin serving", async () => {
      expect(await plugin.getPluginInfo()).to.match(/^\d+\.\d+\.\d+/);
      const res = await construct("after-errors", PINNED_INPUTS);
      expect(res.state.chartVersion).to.be.a("string");
    });
  });
});

/**
 * Construct's inputs taken apart (provider/src/constructInputs.ts): a list or object the SDK made
 * one secret Output becomes a plain shape again, its credentials (and a secret network list's data)
 * secret; what is unknown or depends on a resource stays an Output (the component's fallback).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { plainShapeInputs } from "../../provider/src/constructInputs";
import { isKnown, startMocks, stopMocks, valueOf } from "../component/harness";

const secretOf = async (v: unknown) => pulumi.Output.isInstance(v) && (await pulumi.isSecret(v));

describe("provider: Construct's shape inputs made plain", () => {
  afterEach(stopMocks);

  it("a secret node list, network list and chart: the shape plain, credentials and network data secret", async () => {
    await startMocks();
    const out = await plainShapeInputs({
      nodes: pulumi.secret([
        { host: "10.0.0.1", user: "root", privateKey: "KEY", proxy: { host: "j", password: "PW" } },
      ]),
      networks: pulumi.secret([{ name: "lan", namespace: "default", master: "eth1" }]),
      chart: pulumi.secret({ version: "v4.3.017", repositoryPassword: "RP", namespace: "kube-system" }),
      k3sVersion: pulumi.output("v1.32.2+k3s1"),
    });
    const [node] = out.nodes as Record<string, unknown>[];
    expect(node.host).to.equal("10.0.0.1");
    expect(node.user).to.equal("root");
    expect(await secretOf(node.privateKey)).to.equal(true);
    expect(await valueOf(node.privateKey as pulumi.Output<string>)).to.equal("KEY");
    expect(await secretOf((node.proxy as Record<string, unknown>).password)).to.equal(true);
    const [net] = out.networks as Record<string, unknown>[];
    expect([net.name, net.namespace]).to.deep.equal(["lan", "default"]);
    expect(await secretOf(net.master)).to.equal(true);
    const chart = out.chart as Record<string, unknown>;
    expect([chart.version, chart.namespace]).to.deep.equal(["v4.3.017", "kube-system"]);
    expect(await secretOf(chart.repositoryPassword)).to.equal(true);
    expect(out.k3sVersion).to.equal("v1.32.2+k3s1");
  });

  it("an unknown list, or one that depends on a resource, stays an Output", async () => {
    await startMocks({ preview: true });
    class Vm extends pulumi.CustomResource {
      declare readonly ip: pulumi.Output<string>;
      constructor(name: string) {
        super("test:index:Vm", name, { ip: undefined });
      }
    }
    const vm = new Vm("vm");
    const unknownList = vm.ip.apply((ip) => [{ host: ip, name: "vm" }]);
    const dependent = vm.urn.apply(() => [{ name: "lan", master: "eth1" }]);
    const out = await plainShapeInputs({ nodes: unknownList, networks: dependent });
    expect(out.nodes).to.equal(unknownList);
    expect(await isKnown(out.nodes as pulumi.Output<unknown>)).to.equal(false);
    expect(out.networks).to.equal(dependent);
  });
});

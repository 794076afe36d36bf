/**
 * The component refuses inputs exactly as `k3s-multus render` does (the same check: an unknown
 * top-level key gets "did you mean"), and a value passed as a secret, or credentials inside a URL,
 * never appear in the message, whatever field they are in.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { MultusArgs } from "../../provider/src/args";
import type { NetworkArgs } from "../../provider/src/networkArgs";
import { MultusError } from "../../provider/src/errors";
import { renderPlan } from "../../provider/src/render";
import { deploy, errorOf, stopMocks, wholeSecret } from "./harness";

const V = "v1.32.2+k3s1";
const NET: NetworkArgs = { name: "lan", type: "macvlan", master: "eth1", ipam: { type: "dhcp" } };

/** The component's error message for these inputs. */
async function componentError(args: MultusArgs): Promise<string> {
  const e = await errorOf(await deploy(args));
  expect(e).to.be.instanceOf(pulumi.ResourceError);
  return e.message;
}

/** `k3s-multus render`'s error for the same inputs (secrets resolved, as in an inputs file). */
function renderError(file: Record<string, unknown>): MultusError {
  try {
    renderPlan(file);
  } catch (e) {
    if (e instanceof MultusError) return e;
    throw e;
  }
  throw new Error("render accepted the inputs");
}

describe("Multus component: inputs refused as render refuses them", () => {
  afterEach(stopMocks);

  // prettier-ignore
  const rows: { name: string; args: Record<string, unknown>; field: string; fragments: string[] }[] = [
    { name: "a misspelt cleanupOnDestroy", args: { k3sVersion: V, cleanupOnDestory: false }, field: "cleanupOnDestory", fragments: ["is not a known input", "(did you mean cleanupOnDestroy?)"] },
    { name: "kubeConfig for kubeconfig", args: { k3sVersion: V, kubeConfig: "apiVersion: v1" }, field: "kubeConfig", fragments: ["(did you mean kubeconfig?)"] },
    { name: "a key nothing resembles", args: { k3sVersion: V, flavour: "x" }, field: "flavour", fragments: ["is not a known input"] },
    { name: "a misspelt network option", args: { k3sVersion: V, networks: [{ ...NET, mastre: "eth1" }] }, field: "networks[0].mastre", fragments: ["(did you mean master?)"] },
    { name: "a misspelt proxy option", args: { k3sVersion: V, nodes: [{ host: "n1", proxy: { host: "j", prot: 22 } }], cleanupOnDestroy: false }, field: "nodes[0].proxy.prot", fragments: ["(did you mean port?)"] },
    { name: "a proxy user like the node's", args: { k3sVersion: V, nodes: [{ host: "n1", proxy: { host: "j", user: "a b" } }], cleanupOnDestroy: false }, field: "nodes[0].proxy.user", fragments: ["POSIX user name"] },
    { name: "a proxy hostKey of the wrong type", args: { k3sVersion: V, nodes: [{ host: "n1", proxy: { host: "j", hostKey: 7 } }], cleanupOnDestroy: false }, field: "nodes[0].proxy.hostKey", fragments: ["expected a string"] },
    { name: "a proxy port out of range", args: { k3sVersion: V, nodes: [{ host: "n1", proxy: { host: "j", port: 65536 } }], cleanupOnDestroy: false }, field: "nodes[0].proxy.port", fragments: ["from 1 to 65535"] },
    { name: "a repository port out of range", args: { k3sVersion: V, chart: { repository: "https://charts.example.com:70000" } }, field: "chart.repository", fragments: ["has port 70000", "ports are 1 to 65535"] },
    { name: "plain http with credentials", args: { k3sVersion: V, chart: { repository: "http://charts.example.com", repositoryUsername: "u", repositoryPassword: "p" } }, field: "chart.repository", fragments: ["is plain http", "https://"] },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.field}`, async () => {
      const fromRender = renderError(row.args);
      expect(fromRender.field).to.equal(row.field);
      const message = await componentError(row.args);
      expect(
        message.endsWith(fromRender.message),
        `component: ${message}\nrender: ${fromRender.message}`,
      ).to.equal(true);
      for (const f of row.fragments) expect(message).to.include(f);
    });
  }

  it("an unknown key's value is never shown (it may be a misspelt credential)", async () => {
    const message = await componentError({ k3sVersion: V, kubeConfig: "MARKER-KUBECONFIG" } as MultusArgs);
    expect(message).not.to.include("MARKER-KUBECONFIG");
  });

  it("oci:// repositories are supported, plain http without credentials only warned about", () => {
    expect(
      renderPlan({ k3sVersion: V, chart: { repository: "oci://registry.example.com/charts" } }).inputs
        .warnings,
    ).to.deep.equal([]);
    const { warnings } = renderPlan({
      k3sVersion: V,
      chart: { repository: "http://mirror.lan:8080/charts" },
    }).inputs;
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.include("plain http://").and.not.include("mirror.lan");
  });

  it("a loopback mirror over plain http is accepted with credentials and without a warning", () => {
    for (const repository of ["http://127.0.0.1:8080", "http://127.9.9.9/charts", "http://localhost:18080"]) {
      const { inputs } = renderPlan({
        k3sVersion: V,
        chart: { repository, repositoryUsername: "u", repositoryPassword: "p" },
      });
      expect(inputs.warnings, repository).to.deep.equal([]);
      expect(inputs.chart.repository, repository).to.equal(repository);
    }
    // Not loopback: a name that merely starts like it.
    expect(() =>
      renderPlan({
        k3sVersion: V,
        chart: {
          repository: "http://127.0.0.1.example.com",
          repositoryUsername: "u",
          repositoryPassword: "p",
        },
      }),
    ).to.throw(/is plain http/);
  });
});

describe("Multus component: secrets never in a message", () => {
  afterEach(stopMocks);

  // prettier-ignore
  const rows: { name: string; args: MultusArgs; field: string; secret: string }[] = [
    { name: "a secret host", field: "nodes[0].host", secret: "SECRET-HOST-1",
      args: { nodes: [{ host: pulumi.secret("SECRET-HOST-1;reboot"), name: "n1" }] } },
    { name: "a secret chart.repository", field: "chart.repository", secret: "SECRET-REPO-2",
      args: { k3sVersion: V, chart: { repository: pulumi.secret("ftp://SECRET-REPO-2.example.com") } } },
    { name: "a secret chart.values leaf", field: "chart.values.config.cni_conf.multusAutoconfigDir", secret: "/SECRET-VALUE-3",
      args: { k3sVersion: V, chart: { values: { config: { cni_conf: { multusAutoconfigDir: pulumi.secret("/SECRET-VALUE-3") } } } } } },
    { name: "a secret raw network config", field: "networks[0].config", secret: "SECRET-CONFIG-4",
      args: { k3sVersion: V, networks: [wholeSecret({ name: "r", config: '{"type": "SECRET-CONFIG-4", "ipam": ' })] } },
    { name: "the whole network list secret (as through Construct)", field: "networks[0].master", secret: "SECRET-MASTER-5",
      args: { k3sVersion: V, networks: wholeSecret([{ ...NET, master: "SECRET-MASTER-5;x" }]) } },
    { name: "a secret quoted in another field's message", field: "networks[1].interface", secret: "sec-iface-6",
      args: { k3sVersion: V, networks: [wholeSecret({ ...NET, interface: "sec-iface-6" }), { ...NET, name: "b", interface: "sec-iface-6" }] } },
  ];
  for (const row of rows) {
    it(`${row.name}: refused naming ${row.field}, the secret cut out`, async () => {
      const message = await componentError(row.args);
      expect(message).to.include(`${row.field}: "(secret)"`);
      expect(message).not.to.include(row.secret);
    });
  }

  it("credentials inside a URL are redacted, in the component and in render", async () => {
    const args = { k3sVersion: V, chart: { repository: "https://user:URL-PASSWORD-7@charts.example.com" } };
    const message = await componentError(args);
    expect(message).to.include("https://(redacted)@charts.example.com").and.not.include("URL-PASSWORD-7");
    expect(renderError(args).message).to.include("(redacted)").and.not.include("URL-PASSWORD-7");
    const bare = renderError({ k3sVersion: V, nodes: [{ host: "admin:URL-PASSWORD-8@node1" }] });
    expect(bare.message).not.to.include("URL-PASSWORD-8");
  });

  it("a node list made secret by its credentials still names the host", async () => {
    const message = await componentError({ nodes: [{ host: "bad;host", privateKey: pulumi.secret("KEY") }] });
    expect(message).to.include('nodes[0].host: "bad;host"').and.not.include("KEY");
  });
});

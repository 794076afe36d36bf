/**
 * A consumer's program, run by tests/pack/pack.test.ts in a fresh project outside the repository
 * where the packed k3s-multus tarball is installed from npm's point of view (`npm install <tgz>`),
 * beside the @pulumi/* versions under test. It is type-checked there by that project's tsc, then run
 * under `pulumi.runtime.setMocks`; it prints one JSON report that the test asserts on.
 *
 * Two nodes are detected (their detection Commands answer with detect.sh's format), so the real
 * @pulumi/command, @pulumi/kubernetes and @pulumi/pulumi of the project are all exercised.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { Multus, MultusError, NETWORKS_ANNOTATION, type ReleaseStatus, validateInputs } from "k3s-multus";

/** What detect.sh prints on a K3s v1.32.2+k3s1 node with flannel (format 1). */
function detection(tag: string): string {
  const data = "/var/lib/rancher/k3s";
  return [
    "k3s-multus-detect 1",
    `version=k3s version ${tag} (381620ef)`,
    `data_dir=${data}`,
    "flannel=on",
    `bin_dir=${data}/data/cni`,
    `conf_dir=${data}/agent/etc/cni/net.d`,
    `containerd_config=${data}/agent/etc/containerd/config.toml`,
    "",
  ].join("\n");
}

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

async function main(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // MockResourceArgs types inputs as any: read them as the free-form record they are.
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs });
        const state: Record<string, unknown> = { ...inputs };
        if (args.type === "command:remote:Command" && inputs.create !== undefined) {
          state.stdout = detection("v1.32.2+k3s1");
        }
        if (args.type === "kubernetes:helm.sh/v3:Release") {
          state.status = {
            name: inputs.name,
            namespace: inputs.namespace,
            revision: 1,
            version: inputs.version,
            chart: inputs.chart,
            appVersion: "v4.2.2",
            status: "deployed",
          };
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "consumer",
    "test",
    false,
  );

  const multus = new Multus("multus", {
    nodes: [
      { host: "10.0.0.11", user: "root", privateKey: pulumi.secret("not-a-real-key") },
      { host: "10.0.0.12", user: "root", privateKey: pulumi.secret("not-a-real-key") },
    ],
    networks: [
      {
        name: "macvlan-whereabouts",
        interface: "eth1",
        type: "macvlan",
        master: "eth0",
        mode: "bridge",
        ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
      },
    ],
  });
  const status: ReleaseStatus = await value(multus.status);

  let refused = "";
  try {
    validateInputs({ k3sVersion: "v1.32.2+k3s1", networks: [{ name: "Bad_Name", type: "macvlan" }] });
  } catch (e) {
    refused = e instanceof MultusError ? `MultusError: ${e.message}` : String(e);
  }

  const report = {
    pulumiVersion: (
      JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as {
        version: string;
      }
    ).version,
    isComponent: multus instanceof pulumi.ComponentResource,
    k3sVersions: await value(multus.k3sVersions),
    cniBinDir: await value(multus.cniBinDir),
    cniConfDir: await value(multus.cniConfDir),
    chartVersion: await value(multus.chartVersion),
    releaseStatus: await value(multus.releaseStatus),
    status,
    networkNames: await value(multus.networkNames),
    podAnnotation: (await value(multus.podAnnotations))[NETWORKS_ANNOTATION],
    refused,
    registered: registered.map((r) => `${r.type}::${r.name}`).sort(),
    releases: registered
      .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
      .map((r) => ({ chart: r.inputs.chart, version: r.inputs.version, namespace: r.inputs.namespace })),
    nadConfig: registered
      .filter((r) => r.type === "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition")
      .map((r) => JSON.parse((r.inputs.spec as { config: string }).config) as unknown),
  };
  console.log(JSON.stringify(report));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

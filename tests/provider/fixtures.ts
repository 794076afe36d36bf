/**
 * Inputs and node answers shared by the provider tests and the provider benchmark.
 */
import { MACVLAN_WHEREABOUTS } from "../component/fixtures";
import type { Registration } from "./engine";

/** The seed's secondary network: macvlan on eth0 with whereabouts IPAM. */
export const SEED_NETWORK = MACVLAN_WHEREABOUTS;

/** Pinned facts: no detection, so no SSH; the releases and the NAD only. */
export const PINNED_INPUTS = {
  k3sVersion: "v1.32.2+k3s1",
  networks: [SEED_NETWORK],
};

/** A fake PEM key: the tests look for it in everything that crosses the boundary. */
export const FAKE_PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nk3s-multus-test-key-do-not-leak-0123456789\n-----END OPENSSH PRIVATE KEY-----\n";

/** A fake kubeconfig, also a secret. */
export const FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\n# k3s-multus-test-kubeconfig-do-not-leak\n";

/** What the detect script prints on a K3s v1.32.2 server with flannel (design.md, format version 1). */
export function detectOutput(version = "v1.32.2+k3s1"): string {
  const data = "/var/lib/rancher/k3s";
  return [
    "k3s-multus-detect 1",
    `version=k3s version ${version} (381620ef)`,
    `data_dir=${data}`,
    "flannel=on",
    `bin_dir=${data}/data/cni`,
    `conf_dir=${data}/agent/etc/cni/net.d`,
    `containerd_config=${data}/agent/etc/containerd/config.toml`,
    "",
  ].join("\n");
}

/**
 * What the engine reports back for a resource once created: every remote Command ran the detect
 * script successfully, every Helm release is deployed.
 */
export function engineOutputs(r: Pick<Registration, "type">): Record<string, unknown> | undefined {
  if (r.type === "command:remote:Command") return { stdout: detectOutput(), stderr: "" };
  if (r.type === "kubernetes:helm.sh/v3:Release") return { status: { status: "deployed" } };
  return undefined;
}

/**
 * Fixtures for the component tests: what provider/scripts/detect.sh prints on a node (format
 * version 1, docs/design.md), resource type tokens, and networks for each IPAM plugin.
 */
import type { NetworkArgs } from "../../provider/src/networkArgs";

export const COMMAND_TYPE = "command:remote:Command";
export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const NAD_TYPE = "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition";
export const K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes";
export const MULTUS_TYPE = "k3s-multus:index:Multus";

export const DATA_DIR = "/var/lib/rancher/k3s";
export const CONF_DIR = `${DATA_DIR}/agent/etc/cni/net.d`;
/** The bin dir of K3s from the October 2024 releases (v1.30.6+k3s1 on the 1.30 line). */
export const NEW_BIN = `${DATA_DIR}/data/cni`;
/** The bin dir of older K3s (the `current` symlink follows the running release). */
export const OLD_BIN = `${DATA_DIR}/data/current/bin`;
export const CONTAINERD_CONFIG = `${DATA_DIR}/agent/etc/containerd/config.toml`;

export interface DetectFacts {
  /** K3s tag, e.g. v1.30.6+k3s1. */
  readonly tag: string;
  readonly dataDir?: string;
  readonly flannel?: boolean;
  /** bin_dir= (empty: containerd's config names none). */
  readonly binDir?: string;
  readonly confDir?: string;
  readonly containerdConfig?: string;
  /** Lines a login shell printed before the script ran. */
  readonly banner?: string;
}

/** detect.sh's stdout on success. */
export function detectOutput(f: DetectFacts): string {
  return [
    ...(f.banner === undefined ? [] : [f.banner]),
    "k3s-multus-detect 1",
    `version=k3s version ${f.tag} (381620ef)`,
    `data_dir=${f.dataDir ?? DATA_DIR}`,
    `flannel=${f.flannel === false ? "off" : "on"}`,
    `bin_dir=${f.binDir ?? ""}`,
    `conf_dir=${f.confDir ?? ""}`,
    `containerd_config=${f.containerdConfig ?? (f.binDir || f.confDir ? CONTAINERD_CONFIG : "")}`,
    "",
  ].join("\n");
}

/** The last release before the gate, as the script reports it (data/<hash>/bin mapped to data/current/bin). */
export const OLD_K3S = detectOutput({ tag: "v1.30.5+k3s1", binDir: OLD_BIN, confDir: CONF_DIR });
/** The first gated release of the 1.30 line. */
export const NEW_K3S = detectOutput({ tag: "v1.30.6+k3s1", binDir: NEW_BIN, confDir: CONF_DIR });
/** Only the version to go by: containerd's config named no CNI dirs, so the version gate decides. */
export const gateOnly = (tag: string): string => detectOutput({ tag });
/** K3s without flannel (Cilium, Calico...): containerd's defaults apply. */
export const FLANNEL_OFF = detectOutput({ tag: "v1.32.2+k3s1", flannel: false });
/** The script found no k3s binary. */
export const NO_K3S = "error=no-k3s k3s not found on PATH or in /usr/local/bin, /opt/bin, /usr/bin\n";
/** Not the script's output at all. */
export const GARBAGE = "Welcome to Ubuntu 24.04 LTS\nsomething went wrong\n";

/** The seed's macvlan network with whereabouts (k3s docs, "Using Multus"). */
export const MACVLAN_WHEREABOUTS: NetworkArgs = {
  name: "macvlan-whereabouts",
  interface: "eth1",
  type: "macvlan",
  master: "eth0",
  mode: "bridge",
  ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
};

export const MACVLAN_HOST_LOCAL: NetworkArgs = {
  name: "macvlan-host-local",
  namespace: "apps",
  interface: "net1",
  type: "macvlan",
  master: "eth0",
  ipam: { type: "host-local", range: "10.20.0.0/24", rangeStart: "10.20.0.10", rangeEnd: "10.20.0.50" },
};

export const IPVLAN_DHCP: NetworkArgs = {
  name: "ipvlan-dhcp",
  type: "ipvlan",
  master: "eth1",
  ipam: { type: "dhcp" },
};

export const MACVLAN_STATIC: NetworkArgs = {
  name: "macvlan-static",
  type: "macvlan",
  master: "eth0",
  ipam: { type: "static", addresses: [{ address: "192.168.50.5/24", gateway: "192.168.50.1" }] },
};

/** Secrets the tests hand to the component; none may show up in plain text anywhere. */
export const SECRETS = {
  privateKey:
    "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-KEY-MATERIAL-0001\n-----END OPENSSH PRIVATE KEY-----\n",
  privateKeyPassword: "SECRET-PASSPHRASE-0002",
  password: "SECRET-SSH-PASSWORD-0003",
  proxyPassword: "SECRET-PROXY-PASSWORD-0004",
  proxyKey: "SECRET-PROXY-KEY-0005",
  proxyKeyPassword: "SECRET-PROXY-PASSPHRASE-0006",
  repositoryPassword: "SECRET-REPO-PASSWORD-0007",
  kubeconfig: "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: SECRET-TOKEN-0008\n",
} as const;

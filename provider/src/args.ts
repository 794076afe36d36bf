/**
 * The component's public input types (MultusArgs, NodeArgs, ProxyArgs, ChartArgs), from which the
 * schema is generated: what decides the children is plain, everything else an Input.
 */
import * as pulumi from "@pulumi/pulumi";
import { IpamPlugin, NetworkArgs } from "./networkArgs";
import { INPUT_KEYS } from "./plan/inputKeys";

/** An SSH jump host, as `@pulumi/command` takes it. */
export interface ProxyArgs {
  /** The jump host's address. */
  host: pulumi.Input<string>;
  /**
   * SSH port of the jump host.
   * @default 22
   */
  port?: pulumi.Input<number>;
  /**
   * User on the jump host.
   * @default "root"
   */
  user?: pulumi.Input<string>;
  /**
   * Password for the jump host (kept secret).
   * @default none
   */
  password?: pulumi.Input<string>;
  /**
   * Private key for the jump host, PEM text (kept secret).
   * @default none
   */
  privateKey?: pulumi.Input<string>;
  /**
   * Passphrase of the jump host's private key (kept secret).
   * @default none
   */
  privateKeyPassword?: pulumi.Input<string>;
  /**
   * Path of an SSH agent socket for the jump host.
   * @default none
   */
  agentSocketPath?: pulumi.Input<string>;
  /**
   * The jump host's expected public key (`ssh-ed25519 AAAA...`), checked on connect.
   * @default not checked
   */
  hostKey?: pulumi.Input<string>;
}

/** One K3s node reached over SSH: where detection and clean-up run. */
export interface NodeArgs {
  /** Host name or IP address of the node. */
  host: pulumi.Input<string>;
  /**
   * SSH port.
   * @default 22
   */
  port?: pulumi.Input<number>;
  /**
   * SSH user. A non-root user needs `sudo: true` and password-less sudo to read K3s's files.
   * @default "root"
   */
  user?: pulumi.Input<string>;
  /**
   * Private key, PEM text. Kept secret in every input, output and log.
   * @default none
   */
  privateKey?: pulumi.Input<string>;
  /**
   * Passphrase of `privateKey`. Kept secret.
   * @default none
   */
  privateKeyPassword?: pulumi.Input<string>;
  /**
   * SSH password. Kept secret.
   * @default none
   */
  password?: pulumi.Input<string>;
  /**
   * Path of an SSH agent socket on the machine running Pulumi.
   * @default none
   */
  agentSocketPath?: pulumi.Input<string>;
  /**
   * The node's expected host public key (`ssh-ed25519 AAAA...`); pinning it is strongly recommended.
   * @default not checked
   */
  hostKey?: pulumi.Input<string>;
  /**
   * A jump host to reach the node through.
   * @default direct connection
   */
  proxy?: pulumi.Input<ProxyArgs>;
  /**
   * How many times to retry a failed SSH dial (-1: forever).
   * @default 10
   */
  dialErrorLimit?: pulumi.Input<number>;
  /**
   * Seconds one SSH dial may take.
   * @default 15
   */
  perDialTimeout?: pulumi.Input<number>;
  /**
   * Run the node scripts through `sudo -n` when the SSH user is not root.
   * @default false
   */
  sudo?: pulumi.Input<boolean>;
  /**
   * Short name of the node in child resource names (DNS-1123 label); required when `host` is an
   * Output (known only at deployment), since the node's children are named after it.
   * @default derived from `host`
   */
  name?: string;
}

/** Which rke2-multus chart to install, and how. */
export interface ChartArgs {
  /**
   * rke2-multus chart version. Versions that cannot work on this K3s are refused with the reason and the nearest
   * version that works (README: chart versions). From v4.3.010 the CRD chart rke2-multus-crd (the version of that
   * number in the published index, else the newest below it) is installed first.
   * @default "v4.3.017"
   */
  version?: string;
  /**
   * Helm repository serving rke2-multus (a mirror, for air-gapped clusters).
   * @default "https://rke2-charts.rancher.io"
   */
  repository?: pulumi.Input<string>;
  /**
   * User name for the repository. Kept secret.
   * @default none
   */
  repositoryUsername?: pulumi.Input<string>;
  /**
   * Password for the repository. Kept secret.
   * @default none
   */
  repositoryPassword?: pulumi.Input<string>;
  /**
   * Namespace of the Helm releases.
   * @default "kube-system"
   */
  namespace?: pulumi.Input<string>;
  /**
   * Helm release name; the DaemonSet is named after it and the CRD release gets `-crd` appended.
   * @default "multus"
   */
  releaseName?: pulumi.Input<string>;
  /**
   * Extra chart values, deep-merged over the computed ones (arrays replace). Values that cannot work
   * on K3s (thick plugin, a multusAutoconfigDir unlike confDir, ...) are refused.
   * @default {}
   */
  // Chart values are free-form YAML data: `any` is what the schema calls pulumi.json#/Any.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  values?: pulumi.Input<{ [key: string]: any }>;
  /**
   * Seconds Helm waits for the release.
   * @default 300
   */
  timeout?: pulumi.Input<number>;
  /**
   * Do not wait for the release's resources to become ready.
   * @default false
   */
  skipAwait?: pulumi.Input<boolean>;
}

/**
 * The inputs of a {@link Multus} component. What decides which children exist is plain (the node
 * and network lists, each node's name and host, each network's name and namespace, the chart
 * version, the pinned facts, the IPAM list, cleanupOnDestroy), so a preview shows every child even
 * when other inputs (credentials, network data, chart values, a node's host) are not known yet.
 */
export interface MultusArgs {
  /**
   * The K3s nodes to detect K3s on (one SSH round trip each) and to clean up on destroy.
   * @default [] (then `k3sVersion`, or both `cniBinDir` and `cniConfDir`, must be pinned)
   */
  nodes?: NodeArgs[];
  /**
   * Pinned K3s version (e.g. `v1.32.2+k3s1`). With it no detection runs.
   * @default detected on the nodes
   */
  k3sVersion?: string;
  /**
   * Pinned K3s data dir, used with `k3sVersion`.
   * @default "/var/lib/rancher/k3s" when pinned, else detected
   */
  k3sDataDir?: string;
  /**
   * CNI bin dir, overriding detection and the version gate. With `cniConfDir` also set, no detection runs.
   * @default `$DATA_DIR/data/cni` (K3s from the October 2024 releases), `$DATA_DIR/data/current/bin` (older), `/opt/cni/bin` (flannel off)
   */
  cniBinDir?: string;
  /**
   * CNI conf dir, overriding detection.
   * @default `$DATA_DIR/agent/etc/cni/net.d`, or `/etc/cni/net.d` with flannel off
   */
  cniConfDir?: string;
  /**
   * IPAM plugins to install support for; the networks add the ones they use.
   * @default []
   */
  ipam?: IpamPlugin[];
  /**
   * Secondary networks to create as NetworkAttachmentDefinitions.
   * @default []
   */
  networks?: NetworkArgs[];
  /**
   * Allow the address ranges of different networks to overlap.
   * @default false
   */
  allowOverlappingRanges?: pulumi.Input<boolean>;
  /**
   * The rke2-multus chart and Helm settings.
   * @default the tested chart version from https://rke2-charts.rancher.io into kube-system as `multus`
   */
  chart?: ChartArgs;
  /**
   * On destroy, remove from every node what the chart leaves behind (00-multus config, multus.d,
   * the multus binary, and whereabouts' files when it was on).
   * @default true when nodes are given
   */
  cleanupOnDestroy?: boolean;
  /**
   * Any value; changing it runs detection again (e.g. after a K3s upgrade).
   * @default ""
   */
  redetect?: pulumi.Input<string>;
  /**
   * Kubeconfig of the cluster (kept secret). Alternatively pass a Kubernetes provider through the
   * component's `providers` option.
   * @default the ambient Kubernetes provider
   */
  kubeconfig?: pulumi.Input<string>;
}

/**
 * INPUT_KEYS (what the component and `k3s-multus render` accept) against MultusArgs, at compile
 * time, both ways: every entry is a key of MultusArgs (`satisfies`), and no key of MultusArgs is
 * missing from it (the type below is `true` only then).
 */
INPUT_KEYS satisfies readonly (keyof MultusArgs)[];
type IsTrue<T extends true> = T;
/** `true`; compiling fails when a key of MultusArgs is missing from INPUT_KEYS. */
export type InputKeysComplete = IsTrue<
  [Exclude<keyof MultusArgs, (typeof INPUT_KEYS)[number]>] extends [never] ? true : false
>;

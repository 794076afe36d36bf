/**
 * Structural checks of rendered rke2-multus manifests against a K3s CNI layout. The manifests are
 * parsed as YAML and every path a container uses is followed through its volumeMounts to the
 * hostPath volume behind it, so that "Multus writes 00-multus.conflist into the K3s conf dir" is
 * checked as "the entrypoint's --cni-conf-dir, resolved through the mounts, is that host dir".
 *
 * What the images do with their flags is modelled from their sources:
 * - multus-cni `thin_entrypoint`: --cni-conf-dir (default /host/etc/cni/net.d) receives
 *   00-multus.conflist and multus.d/multus.kubeconfig; --cni-bin-dir (default /host/opt/cni/bin)
 *   receives the multus binary; --multus-autoconfig-dir (default /host/etc/cni/net.d) is where the
 *   master config is looked for; --multus-kubeconfig-file-host (default
 *   /etc/cni/net.d/multus.d/multus.kubeconfig) is the host path written into 00-multus.conflist.
 *   Flags are pflag: a one-dash long flag is an error. (The defaults are what `thin_entrypoint --help`
 *   of multus-cni v4.3.0 prints.)
 * - the cni-plugins init container copies the reference plugins into its /host/opt/cni/bin mount.
 * - whereabouts `install-cni.sh`: CNI_BIN_DIR (default /host/opt/cni/bin) receives the binary,
 *   CNI_CONF_DIR (default /host/etc/cni/net.d) receives whereabouts.d/{whereabouts.conf,
 *   whereabouts.kubeconfig}, and whereabouts.conf names the kubeconfig by the container path with
 *   `/host` removed (`sed -e 's|/host||'`).
 * - the DHCP daemon (`<bin>/dhcp daemon`) listens on /run/cni/dhcp.sock; its init container must
 *   remove the host's stale socket.
 */
import { parseAllDocuments } from "yaml";
import { CniLayout } from "../../provider/src/plan/layout";

/** A rendered Kubernetes object: free-form, typed only in the fields the checks read (all optional). */
export interface K8sObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: PodTemplate };
  [key: string]: unknown;
}

/** A DaemonSet's pod template. */
export interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec?: PodSpec;
  [key: string]: unknown;
}

/** The fields of a pod spec the checks read. */
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  nodeSelector?: Record<string, string>;
  [key: string]: unknown;
}

/** A pod volume: a hostPath or a ConfigMap, for these charts. */
export interface Volume {
  name: string;
  hostPath?: { path?: string };
  configMap?: { name?: string };
  [key: string]: unknown;
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseManifests(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJSON() as unknown)
    .filter((o): o is K8sObject => typeof o === "object" && o !== null);
}

/** The fields of a container the checks read. */
export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

/** A container with its pod's volumes, for following paths to the host. */
class Placed {
  constructor(
    readonly ds: K8sObject,
    readonly container: Container,
  ) {}

  get label(): string {
    return `DaemonSet ${this.ds.metadata?.name ?? "(unnamed)"}/${this.container.name}`;
  }

  /** The host path a container path resolves to, through the longest mount above it; undefined if none or not a hostPath. */
  host(containerPath: string): string | undefined {
    const mounts = [...(this.container.volumeMounts ?? [])]
      .filter(
        (m) =>
          containerPath === m.mountPath || containerPath.startsWith(`${m.mountPath.replace(/\/$/, "")}/`),
      )
      .sort((a, b) => b.mountPath.length - a.mountPath.length);
    const mount = mounts.at(0);
    if (!mount) return undefined;
    const volume = (this.ds.spec?.template?.spec?.volumes ?? []).find((v) => v.name === mount.name);
    const hostDir = volume?.hostPath?.path;
    if (typeof hostDir !== "string") return undefined;
    const rest = containerPath.slice(mount.mountPath.replace(/\/$/, "").length);
    return `${hostDir.replace(/\/$/, "")}${rest}`;
  }

  env(name: string): string | undefined {
    return this.container.env?.find((e) => e.name === name)?.value;
  }
}

function daemonSets(objects: readonly K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === "DaemonSet");
}

function containersOf(ds: K8sObject, init = false): Container[] {
  return (init ? ds.spec?.template?.spec?.initContainers : ds.spec?.template?.spec?.containers) ?? [];
}

/** Finds the one container (in any DaemonSet) that matches. */
function find(objects: readonly K8sObject[], match: (c: Container) => boolean): Placed[] {
  return daemonSets(objects).flatMap((ds) =>
    containersOf(ds)
      .filter(match)
      .map((c) => new Placed(ds, c)),
  );
}

/** pflag-style `--name=value` / `--name` arguments; malformed ones are reported. */
function parseFlags(args: readonly string[], problems: string[], label: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (m)
      flags.set(m[1], m.at(2) ?? "true"); // `--name` alone: group 2 is unset
    else
      problems.push(
        `${label}: argument ${JSON.stringify(arg)} is not a --flag[=value] the entrypoint accepts`,
      );
  }
  return flags;
}

const expectHost = (problems: string[], what: string, got: string | undefined, want: string) => {
  if (got !== want)
    problems.push(`${what} lands on host path ${got ?? "(none: not a hostPath mount)"}, expected ${want}`);
};

/** Checks valid for every DaemonSet: mounts name volumes, mountPaths are unique, ConfigMaps exist, no arch pin. */
function checkPods(objects: readonly K8sObject[], problems: string[]): void {
  const configMaps = new Set(objects.filter((o) => o.kind === "ConfigMap").map((o) => o.metadata?.name));
  for (const ds of daemonSets(objects)) {
    const spec = ds.spec?.template?.spec ?? {};
    const name = `DaemonSet ${ds.metadata?.name ?? "(unnamed)"}`;
    const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
    for (const c of [...containersOf(ds, true), ...containersOf(ds)]) {
      const seen = new Set<string>();
      for (const m of c.volumeMounts ?? []) {
        if (seen.has(m.mountPath))
          problems.push(`${name}/${c.name}: duplicate mountPath ${m.mountPath} (the API server rejects it)`);
        seen.add(m.mountPath);
        if (!volumes.has(m.name))
          problems.push(`${name}/${c.name}: mounts volume ${m.name}, which the pod does not have`);
      }
    }
    for (const v of volumes.values()) {
      const cm = v.configMap?.name;
      if (typeof cm === "string" && !configMaps.has(cm))
        problems.push(`${name}: volume ${v.name} names ConfigMap ${cm}, which the chart does not render`);
    }
    const arch = spec.nodeSelector?.["kubernetes.io/arch"];
    if (arch !== undefined) problems.push(`${name}: nodeSelector pins kubernetes.io/arch: ${arch}`);
  }
}

function checkMultus(objects: readonly K8sObject[], layout: CniLayout, problems: string[]): void {
  const found = find(objects, (c) => c.command?.[0] === "/thin_entrypoint");
  if (found.length !== 1) {
    const commands = daemonSets(objects).flatMap((ds) =>
      containersOf(ds).map((c) => JSON.stringify(c.command)),
    );
    problems.push(
      `expected one Multus thin-plugin container (/thin_entrypoint), found ${found.length} (commands: ${commands.join(", ")})`,
    );
    return;
  }
  const multus = found[0];
  const flags = parseFlags(multus.container.args ?? [], problems, multus.label);
  if (flags.has("cni-version"))
    problems.push(
      `${multus.label}: forces --cni-version=${flags.get("cni-version")}, which must match the master config's`,
    );
  const confDir = flags.get("cni-conf-dir") ?? "/host/etc/cni/net.d";
  const binDir = flags.get("cni-bin-dir") ?? "/host/opt/cni/bin";
  const autoDir = flags.get("multus-autoconfig-dir") ?? "/host/etc/cni/net.d";
  const kubeconfigHost =
    flags.get("multus-kubeconfig-file-host") ?? "/etc/cni/net.d/multus.d/multus.kubeconfig";
  expectHost(
    problems,
    `${multus.label}: 00-multus.conflist (--cni-conf-dir ${confDir})`,
    multus.host(`${confDir}/00-multus.conflist`),
    `${layout.confDir}/00-multus.conflist`,
  );
  expectHost(
    problems,
    `${multus.label}: the multus kubeconfig`,
    multus.host(`${confDir}/multus.d/multus.kubeconfig`),
    layout.multusKubeconfig,
  );
  if (kubeconfigHost !== layout.multusKubeconfig)
    problems.push(
      `${multus.label}: 00-multus.conflist names kubeconfig ${kubeconfigHost}, expected ${layout.multusKubeconfig}`,
    );
  expectHost(
    problems,
    `${multus.label}: the multus binary (--cni-bin-dir ${binDir})`,
    multus.host(`${binDir}/multus`),
    `${layout.binDir}/multus`,
  );
  expectHost(
    problems,
    `${multus.label}: the master config search (--multus-autoconfig-dir ${autoDir})`,
    multus.host(autoDir),
    layout.confDir,
  );
  if (flags.get("cleanup-config-on-exit") !== "true")
    problems.push(`${multus.label}: --cleanup-config-on-exit=true is not set`);
  const plugins = containersOf(multus.ds, true)
    .map((c) => new Placed(multus.ds, c))
    .filter((p) => p.env("SKIP_CNI_BINARIES") !== undefined);
  if (plugins.length !== 1) {
    problems.push(`${multus.label}: expected one cni-plugins init container, found ${plugins.length}`);
  } else {
    expectHost(
      problems,
      `${plugins[0].label}: the reference plugins`,
      plugins[0].host("/host/opt/cni/bin"),
      layout.binDir,
    );
    if (!(plugins[0].env("SKIP_CNI_BINARIES") ?? "").split(",").includes("flannel"))
      problems.push(`${plugins[0].label}: does not skip flannel, which K3s ships`);
  }
}

function checkDhcp(
  objects: readonly K8sObject[],
  layout: CniLayout,
  wanted: boolean,
  problems: string[],
): void {
  const found = find(objects, (c) => c.command?.[1] === "daemon" && /\/dhcp$/.test(c.command.at(0) ?? ""));
  if (!wanted) {
    if (found.length > 0) problems.push("renders a DHCP daemon although no network uses DHCP");
    return;
  }
  if (found.length !== 1) {
    problems.push(`expected one DHCP daemon container, found ${found.length}`);
    return;
  }
  const dhcp = found[0];
  const bin = (dhcp.container.command ?? [])[0];
  expectHost(problems, `${dhcp.label}: the daemon binary ${bin}`, dhcp.host(bin), `${layout.binDir}/dhcp`);
  expectHost(
    problems,
    `${dhcp.label}: the daemon socket`,
    dhcp.host("/run/cni/dhcp.sock"),
    "/run/cni/dhcp.sock",
  );
  const cleaners = containersOf(dhcp.ds, true).filter((c) => c.command?.[0] === "rm");
  if (cleaners.length !== 1) {
    problems.push(
      `${dhcp.label}: expected one init container removing the stale socket, found ${cleaners.length}`,
    );
    return;
  }
  const cleaner = new Placed(dhcp.ds, cleaners[0]);
  const targets = (cleaners[0].command ?? []).slice(1).filter((a) => !a.startsWith("-"));
  const hosts = targets.map((t) => cleaner.host(t));
  if (!hosts.includes("/run/cni/dhcp.sock"))
    problems.push(
      `${cleaner.label}: removes ${targets.join(" ")} (host: ${hosts.map((h) => h ?? "none").join(" ")}), not the host's /run/cni/dhcp.sock`,
    );
}

function checkWhereabouts(
  objects: readonly K8sObject[],
  layout: CniLayout,
  wanted: boolean,
  problems: string[],
): void {
  const found = find(objects, (c) =>
    [...(c.command ?? []), ...(c.args ?? [])].some((a) => a.includes("/install-cni.sh")),
  );
  if (!wanted) {
    if (found.length > 0) problems.push("renders Whereabouts although no network uses it");
    return;
  }
  if (found.length !== 1) {
    problems.push(`expected one Whereabouts container (install-cni.sh), found ${found.length}`);
    return;
  }
  const wb = found[0];
  const confDir = wb.env("CNI_CONF_DIR") ?? "/host/etc/cni/net.d";
  const binDir = (wb.env("CNI_BIN_DIR") ?? "/host/opt/cni/bin").replace(/\/$/, "");
  const kubeconfig = `${layout.confDir}/whereabouts.d/whereabouts.kubeconfig`;
  expectHost(
    problems,
    `${wb.label}: the whereabouts binary`,
    wb.host(`${binDir}/whereabouts`),
    `${layout.binDir}/whereabouts`,
  );
  expectHost(
    problems,
    `${wb.label}: whereabouts.conf`,
    wb.host(`${confDir}/whereabouts.d/whereabouts.conf`),
    layout.whereaboutsConfig,
  );
  expectHost(
    problems,
    `${wb.label}: whereabouts.kubeconfig`,
    wb.host(`${confDir}/whereabouts.d/whereabouts.kubeconfig`),
    kubeconfig,
  );
  const named = `${confDir.replace("/host", "")}/whereabouts.d/whereabouts.kubeconfig`;
  if (named !== kubeconfig)
    problems.push(`${wb.label}: whereabouts.conf names kubeconfig ${named}, expected ${kubeconfig}`);
}

const NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io";
export const WHEREABOUTS_CRDS = [
  "ippools.whereabouts.cni.cncf.io",
  "overlappingrangeipreservations.whereabouts.cni.cncf.io",
] as const;

/** The names of the CRDs among the objects. */
export function crdNames(objects: readonly K8sObject[]): string[] {
  return objects.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata?.name as string);
}

/** Checks that the CRDs the networks need are rendered (by rke2-multus itself, or by rke2-multus-crd). */
export function checkCrds(
  crds: readonly string[],
  whereabouts: boolean,
  where: string,
  problems: string[],
): void {
  const want = [NAD_CRD, ...(whereabouts ? WHEREABOUTS_CRDS : [])];
  for (const name of want)
    if (!crds.includes(name)) problems.push(`${where} does not render the CRD ${name}`);
}

/** Every problem found in the rke2-multus manifests for this layout and these IPAM needs; empty when they are right. */
export function verifyMultus(
  objects: readonly K8sObject[],
  layout: CniLayout,
  need: { readonly whereabouts: boolean; readonly dhcp: boolean },
): string[] {
  const problems: string[] = [];
  checkPods(objects, problems);
  checkMultus(objects, layout, problems);
  checkDhcp(objects, layout, need.dhcp, problems);
  checkWhereabouts(objects, layout, need.whereabouts, problems);
  return problems;
}

/** The pod templates of the Multus and Whereabouts DaemonSets, by DaemonSet name. */
export function podTemplates(objects: readonly K8sObject[]): Map<string, PodTemplate> {
  return new Map(
    daemonSets(objects).map((ds) => [ds.metadata?.name as string, ds.spec?.template as PodTemplate]),
  );
}

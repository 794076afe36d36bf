/**
 * Secondary networks: typed specs and raw CNI configs validated against what the plugins, Multus and
 * the kernel accept (pod interface names, plugin and IPAM combinations, overlapping ranges), and
 * rendered into NetworkAttachmentDefinition configs for a cluster layout.
 */
import { MultusError } from "../errors";
import { NetworkType } from "../networkArgs";
import { IpamPlan, IpSpan, planIpam } from "./ipam";
import { overlaps } from "./ip";
import { CniLayout } from "./layout";
import {
  parseBoolean,
  parseInteger,
  parseInterfaceName,
  parseList,
  parseNamespace,
  parseObjectName,
  parseOneOf,
  parseRecord,
  refuseUnknownKeys,
} from "./names";
import { parseSafePath } from "./paths";
import { stableJson } from "./stable";

/** The pod annotation Multus reads. */
export const NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks";
/** Most networks one component takes. */
export const MAX_NETWORKS = 256;

const NETWORK_TYPES: readonly NetworkType[] = Object.values(NetworkType);
const CNI_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
const COMMON_KEYS = ["name", "namespace", "interface", "cniVersion"];
const PLUGIN_KEYS: Readonly<Record<NetworkType, readonly string[]>> = {
  macvlan: ["type", "master", "mode", "mtu", "ipam"],
  ipvlan: ["type", "master", "mode", "mtu", "ipam"],
  bridge: ["type", "bridge", "isGateway", "ipMasq", "vlan", "mtu", "ipam"],
  "host-device": ["type", "device", "hwaddr", "kernelpath", "pciBusID", "ipam"],
};
const MODES: Partial<Record<NetworkType, readonly string[]>> = {
  macvlan: ["bridge", "private", "vepa", "passthru"],
  ipvlan: ["l2", "l3", "l3s"],
};
/** Pod interface names every pod already has. */
const RESERVED_IFACES: Readonly<Record<string, string>> = {
  eth0: "eth0 is the pod's primary (flannel) interface",
  lo: "lo is the pod's loopback interface",
};
/** Deepest nesting of a raw config: far beyond any real CNI config, far below any stack limit. */
export const MAX_RAW_DEPTH = 64;
const MAC = /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/;
const PCI = /^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/;

/** A validated network, ready to render once the cluster's layout is known. */
export interface NetworkSpec {
  readonly name: string;
  readonly namespace: string;
  readonly interface?: string;
  /** The CNI config without layout-dependent keys, or the raw config object. */
  readonly config: Record<string, unknown>;
  /** The raw JSON text when the network came from `config`. */
  readonly raw?: string;
  readonly ipam?: IpamPlan;
  /** The IPAM plugin type used, also when it comes from a raw config. */
  readonly ipamType?: string;
}

/** A network rendered for one cluster. */
export interface PlannedNetwork {
  readonly name: string;
  readonly namespace: string;
  /** `spec.config` of the NetworkAttachmentDefinition: JSON text, keys in a fixed order. */
  readonly config: string;
  /** `ns/name@iface` (or `ns/name`) for the pod annotation. */
  readonly annotation: string;
}

function typedConfig(
  field: string,
  n: Record<string, unknown>,
  type: NetworkType,
  flannel: boolean,
): Record<string, unknown> {
  refuseUnknownKeys(field, n, [...COMMON_KEYS, ...PLUGIN_KEYS[type]]);
  const cniVersion =
    n.cniVersion === undefined ? "1.0.0" : parseOneOf(`${field}.cniVersion`, n.cniVersion, CNI_VERSIONS);
  const config: Record<string, unknown> = { cniVersion, type };
  if (type === "macvlan" || type === "ipvlan") {
    if (n.master !== undefined) config.master = parseInterfaceName(`${field}.master`, n.master);
    if (n.mode !== undefined) config.mode = parseOneOf(`${field}.mode`, n.mode, MODES[type] ?? []);
  }
  if (type === "bridge") {
    const bridge = parseInterfaceName(`${field}.bridge`, n.bridge);
    if (bridge === "cni0" && flannel) {
      throw new MultusError(
        `${field}.bridge`,
        n.bridge,
        "expected a bridge of your own: cni0 is flannel's bridge on K3s, and pods on it would bypass flannel",
      );
    }
    config.bridge = bridge;
    if (n.isGateway !== undefined) config.isGateway = parseBoolean(`${field}.isGateway`, n.isGateway);
    if (n.ipMasq !== undefined) config.ipMasq = parseBoolean(`${field}.ipMasq`, n.ipMasq);
    if (n.vlan !== undefined) config.vlan = parseInteger(`${field}.vlan`, n.vlan, 0, 4094);
    // With isGateway and a VLAN, the bridge plugin creates `<bridge>.<vlan>` on the host for the
    // gateway address: a name over the kernel's 15 characters fails every pod.
    const vlanIface = `${bridge}.${String(config.vlan)}`;
    if (
      config.isGateway === true &&
      typeof config.vlan === "number" &&
      config.vlan !== 0 &&
      vlanIface.length > 15
    )
      throw new MultusError(
        `${field}.bridge`,
        n.bridge,
        `expected a bridge name of at most ${14 - String(config.vlan).length} characters with vlan ${config.vlan} and isGateway: the plugin creates the gateway interface ${vlanIface}, and interface names have at most 15 characters`,
        "is too long for its VLAN interface",
      );
  }
  if (type === "host-device") {
    const selectors = ["device", "hwaddr", "kernelpath", "pciBusID"].filter((k) => n[k] !== undefined);
    if (selectors.length !== 1) {
      throw new MultusError(
        field,
        selectors,
        "expected exactly one of device, hwaddr, kernelpath, pciBusID for host-device",
        "sets the selectors",
      );
    }
    if (n.device !== undefined) config.device = parseInterfaceName(`${field}.device`, n.device);
    if (n.hwaddr !== undefined) {
      if (typeof n.hwaddr !== "string" || !MAC.test(n.hwaddr))
        throw new MultusError(`${field}.hwaddr`, n.hwaddr, "expected a MAC address like 52:54:00:12:34:56");
      config.hwaddr = n.hwaddr.toLowerCase();
    }
    if (n.kernelpath !== undefined) {
      const kernelpath = parseSafePath(`${field}.kernelpath`, n.kernelpath);
      // host-device: "kernel device path %q must be absolute and begin with /sys/devices/".
      if (!kernelpath.startsWith("/sys/devices/") || kernelpath === "/sys/devices/")
        throw new MultusError(
          `${field}.kernelpath`,
          n.kernelpath,
          "expected a device path under /sys/devices/, such as /sys/devices/pci0000:00/0000:00:1f.6",
        );
      config.kernelpath = kernelpath;
    }
    if (n.pciBusID !== undefined) {
      if (typeof n.pciBusID !== "string" || !PCI.test(n.pciBusID))
        throw new MultusError(`${field}.pciBusID`, n.pciBusID, "expected a PCI address like 0000:00:1f.6");
      config.pciBusID = n.pciBusID.toLowerCase();
    }
  }
  if (n.mtu !== undefined) config.mtu = parseInteger(`${field}.mtu`, n.mtu, 68, 65535);
  return config;
}

function rawConfig(
  field: string,
  n: Record<string, unknown>,
): { config: Record<string, unknown>; raw: string } {
  refuseUnknownKeys(field, n, ["name", "namespace", "interface", "config"]);
  const allowed = "expected a CNI config as JSON text: an object with a string `type` (or a `plugins` list)";
  if (typeof n.config !== "string" || n.config.length > 65536)
    throw new MultusError(`${field}.config`, n.config, allowed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(n.config);
  } catch (e) {
    throw new MultusError(`${field}.config`, n.config, allowed, `is not JSON (${(e as Error).message})`);
  }
  const obj = parseRecord(`${field}.config`, parsed);
  checkRawJson(`${field}.config`, obj);
  if (typeof obj.type !== "string" && !Array.isArray(obj.plugins))
    throw new MultusError(`${field}.config`, n.config, allowed);
  return { config: obj, raw: n.config };
}

/**
 * A raw config's structure, walked without recursion: at most {@link MAX_RAW_DEPTH} levels, and no
 * object with two keys that differ only in case (`type` and `TYPE`): Go's JSON decoder, which every
 * plugin uses, matches struct fields case-insensitively and takes the last, while our checks read
 * the exact key.
 */
function checkRawJson(field: string, root: unknown): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: field, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path, depth } = item;
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_RAW_DEPTH)
      throw new MultusError(
        field,
        "(nested too deep)",
        `expected a CNI config nested at most ${MAX_RAW_DEPTH} levels deep`,
        `is nested more than ${MAX_RAW_DEPTH} levels deep at ${path.slice(field.length) || "its top"}`,
      );
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    const seen = new Map<string, string>();
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const other = seen.get(key.toLowerCase());
      if (other !== undefined)
        throw new MultusError(
          `${path}.${key}`,
          key,
          `expected keys that differ in more than case (also ${JSON.stringify(other)}): the plugins' Go JSON decoder treats them as one key and keeps the last`,
          "duplicates a key",
        );
      seen.set(key.toLowerCase(), key);
      stack.push({ value: v, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `ipam` objects of a raw config: its own, or those of a conflist's `plugins`. */
function rawIpams(config: Record<string, unknown>): Record<string, unknown>[] {
  const plugins: unknown[] = Array.isArray(config.plugins) ? config.plugins : [];
  return [config, ...plugins]
    .map((p) => asRecord(asRecord(p)?.ipam))
    .filter((i): i is Record<string, unknown> => i !== undefined);
}

/** A whereabouts `ipam` object without `configuration_path`, which whereabouts needs on K3s. */
function needsConfigurationPath(ipam: unknown): boolean {
  const i = asRecord(ipam);
  return i?.type === "whereabouts" && i.configuration_path === undefined;
}

/** A network's part of the shape: the NetworkAttachmentDefinition's name and namespace. */
export interface NetworkShape {
  readonly name: string;
  readonly namespace: string;
}

/** Validates the networks' shape: each one's name and namespace, and unique names. */
export function parseNetworkShapes(value: unknown): NetworkShape[] {
  if (value === undefined) return [];
  const shapes = parseList("networks", value, MAX_NETWORKS).map((v, i) => {
    const n = parseRecord(`networks[${i}]`, v);
    const name = parseObjectName(`networks[${i}].name`, n.name);
    const namespace =
      n.namespace === undefined ? "default" : parseNamespace(`networks[${i}].namespace`, n.namespace);
    return { name, namespace };
  });
  checkUniqueNames(shapes);
  return shapes;
}

function checkUniqueNames(specs: readonly { name: string }[]): void {
  const names = new Map<string, number>();
  specs.forEach((s, i) => {
    const seen = names.get(s.name);
    if (seen !== undefined) {
      throw new MultusError(
        `networks[${i}].name`,
        s.name,
        `expected a name not used by networks[${seen}]: outputs are keyed by network name`,
        "is a duplicate",
      );
    }
    names.set(s.name, i);
  });
}

/**
 * The IPAM plugin a network uses: `ipam.type`, or the first one in a raw `config`; undefined when
 * there is none or the config cannot be read (the full check refuses that). The IPAM list of the
 * chart values takes it, without waiting for the network's other fields.
 */
export function ipamTypeOf(value: unknown): string | undefined {
  const n = asRecord(value);
  if (!n) return undefined;
  if (n.config !== undefined) {
    if (typeof n.config !== "string") return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(n.config);
    } catch {
      return undefined;
    }
    const config = asRecord(parsed);
    if (!config) return undefined;
    return rawIpams(config)
      .map((ipam) => ipam.type)
      .find((t): t is string => typeof t === "string");
  }
  const type = asRecord(n.ipam)?.type;
  return typeof type === "string" ? type : undefined;
}

/** A network's entry in the pod annotation: `namespace/name`, with `@interface` when it has one. */
export function annotationOf(namespace: string, name: string, iface: string | undefined): string {
  return `${namespace}/${name}${iface ? `@${iface}` : ""}`;
}

/** Validates one network spec (without cluster facts). */
export function parseNetwork(field: string, value: unknown, flannel = true): NetworkSpec {
  const n = parseRecord(field, value);
  const name = parseObjectName(`${field}.name`, n.name);
  const namespace = n.namespace === undefined ? "default" : parseNamespace(`${field}.namespace`, n.namespace);
  const iface = n.interface === undefined ? undefined : parseInterfaceName(`${field}.interface`, n.interface);
  if (iface !== undefined && Object.hasOwn(RESERVED_IFACES, iface))
    throw new MultusError(
      `${field}.interface`,
      iface,
      `expected another name: ${RESERVED_IFACES[iface]}`,
      "is taken in every pod",
    );
  if (n.config !== undefined) {
    if (n.type !== undefined)
      throw new MultusError(`${field}.type`, n.type, "expected it unset when `config` is given");
    const { config, raw } = rawConfig(field, n);
    const ipamType = rawIpams(config)
      .map((ipam) => ipam.type)
      .find((t): t is string => typeof t === "string");
    return { name, namespace, interface: iface, config, raw, ipamType };
  }
  const type = parseOneOf(`${field}.type`, n.type, NETWORK_TYPES);
  const config = typedConfig(field, n, type, flannel);
  let ipam: IpamPlan | undefined;
  if (n.ipam !== undefined) ipam = planIpam(`${field}.ipam`, n.ipam);
  else if (type !== "host-device") {
    throw new MultusError(
      `${field}.ipam`,
      undefined,
      `expected an ipam block for ${type}: whereabouts, host-local, dhcp or static`,
      "is required",
    );
  }
  checkPluginIpam(field, n, config, ipam);
  return { name, namespace, interface: iface, config, ipam, ipamType: ipam?.type };
}

/** What the plugin and the kernel refuse in the combination of plugin settings and IPAM. */
function checkPluginIpam(
  field: string,
  n: Record<string, unknown>,
  config: Record<string, unknown>,
  ipam: IpamPlan | undefined,
): void {
  // ipvlan l3/l3s forwards no broadcast: a DHCP DISCOVER never reaches the server.
  if (config.type === "ipvlan" && (config.mode === "l3" || config.mode === "l3s") && ipam?.type === "dhcp")
    throw new MultusError(
      `${field}.mode`,
      n.mode,
      'expected "l2" with dhcp: ipvlan l3 and l3s pass no broadcast, so a DHCP request never reaches the server; or use whereabouts, host-local or static',
      "cannot work with dhcp",
    );
  // Linux turns IPv6 off on a link with an MTU below 1280: adding the address fails with
  // "failed to add IP addr ... invalid argument" (measured with macvlan).
  if (typeof config.mtu === "number" && config.mtu < 1280 && ipam?.spans.some((sp) => sp.family === 6))
    throw new MultusError(
      `${field}.mtu`,
      n.mtu,
      "expected an MTU of at least 1280 on a network with IPv6 addresses: Linux disables IPv6 below it",
      "is too small for IPv6",
    );
}

/** Options of {@link parseNetworks}. */
export interface NetworkOptions {
  /** Allow address ranges of different networks to overlap. */
  readonly allowOverlappingRanges?: boolean;
  /** Whether flannel (and so its `cni0` bridge) is on. */
  readonly flannel?: boolean;
}

/** Validates all networks: each one, then duplicates, interface clashes and overlapping ranges. */
export function parseNetworks(value: unknown, options: NetworkOptions = {}): NetworkSpec[] {
  if (value === undefined) return [];
  const specs = parseList("networks", value, MAX_NETWORKS).map((n, i) =>
    parseNetwork(`networks[${i}]`, n, options.flannel ?? true),
  );
  checkUniqueNames(specs);
  const ifaces = new Map<string, number>();
  // Multus names a network without `interface` net<position> (net1 for the first), so `[a, b@net1]`
  // gives two interfaces net1 in every pod attaching both.
  specs.forEach((s, i) => {
    const iface = podInterface(s, i);
    const other = ifaces.get(iface);
    if (other !== undefined) {
      const explain = (j: number) =>
        specs[j].interface === undefined
          ? `networks[${j}] (Multus names it ${iface} by position)`
          : `networks[${j}]`;
      throw new MultusError(
        s.interface === undefined ? `networks[${other}].interface` : `networks[${i}].interface`,
        iface,
        `expected pod interface names that differ: ${explain(other)} and ${explain(i)} both get ${iface} when the pod annotation attaches every network; set another \`interface\``,
        "is used twice",
      );
    }
    ifaces.set(iface, i);
  });
  if (!options.allowOverlappingRanges) checkOverlaps(specs);
  return specs;
}

/** The name of a network's interface in the pod: its own, or the one Multus gives by position. */
export function podInterface(spec: NetworkSpec, index: number): string {
  return spec.interface ?? `net${index + 1}`;
}

function checkOverlaps(specs: readonly NetworkSpec[]): void {
  const spans: { span: IpSpan; index: number }[] = [];
  specs.forEach((s, index) => (s.ipam?.spans ?? []).forEach((span) => spans.push({ span, index })));
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i];
      const b = spans[j];
      if (a.index !== b.index && overlaps(a.span, b.span)) {
        throw new MultusError(
          b.span.field,
          specs[b.index].name,
          `expected addresses apart from networks[${a.index}] (${specs[a.index].name}), whose ${a.span.field} hands out ${a.span.text}; set allowOverlappingRanges if the networks are isolated from each other`,
          `hands out ${b.span.text}, which overlaps`,
        );
      }
    }
  }
}

/** Renders one network for a cluster: whereabouts gets `configuration_path` from the conf dir. */
export function renderNetwork(spec: NetworkSpec, layout: CniLayout): PlannedNetwork {
  const annotation = annotationOf(spec.namespace, spec.name, spec.interface);
  if (spec.raw !== undefined) {
    if (!rawIpams(spec.config).some(needsConfigurationPath)) {
      return { name: spec.name, namespace: spec.namespace, config: spec.raw, annotation };
    }
    const withPath = (plugin: unknown): unknown => {
      const p = asRecord(plugin);
      if (!p || !needsConfigurationPath(p.ipam)) return plugin;
      return { ...p, ipam: { ...asRecord(p.ipam), configuration_path: layout.whereaboutsConfig } };
    };
    const config = { ...(withPath(spec.config) as Record<string, unknown>) }; // never mutate the spec
    if (Array.isArray(config.plugins)) config.plugins = config.plugins.map(withPath);
    return { name: spec.name, namespace: spec.namespace, config: stableJson(config), annotation };
  }
  const config: Record<string, unknown> = { ...spec.config };
  if (spec.ipam) {
    config.ipam =
      spec.ipam.type === "whereabouts"
        ? { ...spec.ipam.ipam, configuration_path: layout.whereaboutsConfig }
        : spec.ipam.ipam;
  }
  return { name: spec.name, namespace: spec.namespace, config: JSON.stringify(config, null, 2), annotation };
}

/** The `k8s.v1.cni.cncf.io/networks` value attaching every network, in the order given. */
export function podAnnotationValue(networks: readonly { readonly annotation: string }[]): string {
  return networks.map((n) => n.annotation).join(",");
}

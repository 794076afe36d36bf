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
    if (n.kernelpath !== undefined) config.kernelpath = parseSafePath(`${field}.kernelpath`, n.kernelpath);
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
  if (typeof obj.type !== "string" && !Array.isArray(obj.plugins))
    throw new MultusError(`${field}.config`, n.config, allowed);
  return { config: obj, raw: n.config };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `ipam` objects of a raw config: its own, or those of a conflist's `plugins`. */
function rawIpams(config: Record<string, unknown>): Record<string, unknown>[] {
  const plugins = Array.isArray(config.plugins) ? config.plugins : [];
  return [config, ...plugins]
    .map((p) => asRecord(asRecord(p)?.ipam))
    .filter((i): i is Record<string, unknown> => i !== undefined);
}

/** A whereabouts `ipam` object without `configuration_path`, which whereabouts needs on K3s. */
function needsConfigurationPath(ipam: unknown): boolean {
  const i = asRecord(ipam);
  return i?.type === "whereabouts" && i.configuration_path === undefined;
}

/** Validates one network spec (without cluster facts). */
export function parseNetwork(field: string, value: unknown, flannel = true): NetworkSpec {
  const n = parseRecord(field, value);
  const name = parseObjectName(`${field}.name`, n.name);
  const namespace = n.namespace === undefined ? "default" : parseNamespace(`${field}.namespace`, n.namespace);
  const iface = n.interface === undefined ? undefined : parseInterfaceName(`${field}.interface`, n.interface);
  if (iface === "eth0")
    throw new MultusError(
      `${field}.interface`,
      iface,
      "expected another name: eth0 is the pod's primary (flannel) interface",
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
  return { name, namespace, interface: iface, config, ipam, ipamType: ipam?.type };
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
  const names = new Map<string, number>();
  const ifaces = new Map<string, number>();
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
    if (s.interface !== undefined) {
      const other = ifaces.get(s.interface);
      if (other !== undefined) {
        throw new MultusError(
          `networks[${i}].interface`,
          s.interface,
          `expected an interface name not used by networks[${other}]: the pod annotation attaches every network`,
          "is a duplicate",
        );
      }
      ifaces.set(s.interface, i);
    }
  });
  if (!options.allowOverlappingRanges) checkOverlaps(specs);
  return specs;
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
          `networks[${b.index}].${b.span.field.replace(/^networks\[\d+\]\./, "")}`,
          specs[b.index].name,
          `expected addresses apart from networks[${a.index}] (${specs[a.index].name}); set allowOverlappingRanges if the networks are isolated from each other`,
          "overlaps another network's range",
        );
      }
    }
  }
}

/** Renders one network for a cluster: whereabouts gets `configuration_path` from the conf dir. */
export function renderNetwork(spec: NetworkSpec, layout: CniLayout): PlannedNetwork {
  const annotation = `${spec.namespace}/${spec.name}${spec.interface ? `@${spec.interface}` : ""}`;
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
export function podAnnotationValue(networks: readonly PlannedNetwork[]): string {
  return networks.map((n) => n.annotation).join(",");
}

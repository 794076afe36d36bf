/**
 * The typed description of one secondary network: a NetworkAttachmentDefinition and the CNI
 * config inside it. Its name and namespace are plain (they decide the child resources); every
 * other field may be an Input (known at deployment). The enums are shared by the component, the
 * planning core and `k3s-multus render`.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The CNI plugins k3s-multus writes typed configs for. Anything else goes through `config`. */
export const NetworkType = {
  Macvlan: "macvlan",
  Ipvlan: "ipvlan",
  Bridge: "bridge",
  HostDevice: "host-device",
} as const;
export type NetworkType = (typeof NetworkType)[keyof typeof NetworkType];

/** The IPAM plugins a network can use. `whereabouts` and `dhcp` make the chart install their support. */
export const IpamType = {
  Whereabouts: "whereabouts",
  HostLocal: "host-local",
  Dhcp: "dhcp",
  Static: "static",
} as const;
export type IpamType = (typeof IpamType)[keyof typeof IpamType];

/** The IPAM plugins whose support the chart installs (`host-local` needs nothing extra). */
export const IpamPlugin = { HostLocal: "host-local", Whereabouts: "whereabouts", Dhcp: "dhcp" } as const;
export type IpamPlugin = (typeof IpamPlugin)[keyof typeof IpamPlugin];

/** A route handed to the pod's interface. */
export interface RouteArgs {
  /** Destination prefix, e.g. `0.0.0.0/0` or `10.10.0.0/16`. */
  dst: string;
  /**
   * Next hop.
   * @default the IPAM gateway
   */
  gw?: string;
}

/** A fixed address for `static` IPAM. */
export interface StaticAddressArgs {
  /** The address with its prefix length, e.g. `192.168.10.5/24`. */
  address: string;
  /**
   * Gateway for this address.
   * @default none
   */
  gateway?: string;
}

/** How the pod's interface gets its address. */
export interface IpamArgs {
  /** The IPAM plugin: `whereabouts` (cluster-wide), `host-local` (per node), `dhcp` or `static`. */
  type: IpamType;
  /**
   * The address range. whereabouts: a prefix (`172.17.0.0/24`; whereabouts ignores host bits and
   * hands out the whole network, so host bits are only accepted on its first usable address, as in
   * `192.168.2.225/28`; use `rangeStart` to start later) or `first-last/prefix`
   * (`192.168.2.225-192.168.2.230/28`, which whereabouts uses instead of rangeStart/rangeEnd, so those
   * are refused with it). host-local: the subnet, host bits zero, at least 4 addresses.
   * Required for whereabouts and host-local; not allowed for dhcp and static.
   * @default none
   */
  range?: string;
  /**
   * First address to hand out (whereabouts `range_start`, host-local `rangeStart`); never the
   * network or broadcast address.
   * @default the first usable address of `range`
   */
  rangeStart?: string;
  /**
   * Last address to hand out (whereabouts `range_end`, host-local `rangeEnd`); never the network
   * or broadcast address.
   * @default the last usable address of `range`
   */
  rangeEnd?: string;
  /**
   * Gateway written into the pod's IP config; must lie inside `range`, not on its network or
   * broadcast address. whereabouts would hand the gateway out to a pod, so k3s-multus adds it to
   * whereabouts' `exclude` list.
   * @default none (host-local picks the first address of the subnet)
   */
  gateway?: string;
  /**
   * whereabouts only: prefixes inside `range` never handed out.
   * @default []
   */
  exclude?: string[];
  /**
   * Routes added in the pod (whereabouts, host-local, static).
   * @default []
   */
  routes?: RouteArgs[];
  /**
   * static only: the addresses to assign.
   * @default none (required for static)
   */
  addresses?: StaticAddressArgs[];
  /**
   * whereabouts only: `network_name`, which lets two networks share one range without sharing reservations.
   * @default none
   */
  networkName?: string;
  /**
   * whereabouts only: `enable_overlapping_ranges`.
   * @default whereabouts' own default (true)
   */
  enableOverlappingRanges?: boolean;
}

/** One secondary network: a NetworkAttachmentDefinition that pods attach to by annotation. */
export interface NetworkArgs {
  /** The NetworkAttachmentDefinition's name (DNS-1123); unique within one Multus component. */
  name: string;
  /**
   * Namespace of the NetworkAttachmentDefinition.
   * @default "default"
   */
  namespace?: string;
  /**
   * Interface name inside the pod (at most 15 characters), written into the annotation as `@iface`.
   * @default Multus' choice (net1, net2, ...)
   */
  interface?: pulumi.Input<string>;
  /**
   * The CNI plugin. Required unless `config` is given.
   * @default none
   */
  type?: pulumi.Input<NetworkType>;
  /**
   * macvlan, ipvlan: the host interface to attach to.
   * @default the host's default-route interface
   */
  master?: pulumi.Input<string>;
  /**
   * macvlan: `bridge`, `private`, `vepa` or `passthru`; ipvlan: `l2`, `l3` or `l3s`.
   * @default the plugin's own default (macvlan `bridge`, ipvlan `l2`)
   */
  mode?: pulumi.Input<string>;
  /**
   * MTU of the pod interface (68 to 65535).
   * @default the plugin's own default
   */
  mtu?: pulumi.Input<number>;
  /**
   * bridge: the Linux bridge to attach to. Required for `bridge`, and never flannel's `cni0`.
   * @default none
   */
  bridge?: pulumi.Input<string>;
  /**
   * bridge: give the bridge an address and act as the pods' gateway.
   * @default false
   */
  isGateway?: pulumi.Input<boolean>;
  /**
   * bridge: masquerade traffic leaving the bridge's subnet.
   * @default false
   */
  ipMasq?: pulumi.Input<boolean>;
  /**
   * bridge: VLAN tag (0 to 4094).
   * @default untagged
   */
  vlan?: pulumi.Input<number>;
  /**
   * host-device: the host interface to move into the pod. Exactly one of `device`, `hwaddr`,
   * `kernelpath`, `pciBusID` is required for host-device.
   * @default none
   */
  device?: pulumi.Input<string>;
  /**
   * host-device: select the device by MAC address.
   * @default none
   */
  hwaddr?: pulumi.Input<string>;
  /**
   * host-device: select the device by its kernel path (under /sys/devices).
   * @default none
   */
  kernelpath?: pulumi.Input<string>;
  /**
   * host-device: select the device by PCI address, e.g. `0000:00:1f.6`.
   * @default none
   */
  pciBusID?: pulumi.Input<string>;
  /**
   * IP address management for the interface.
   * @default none (the interface gets no address; required for macvlan, ipvlan and bridge)
   */
  ipam?: pulumi.Input<IpamArgs>;
  /**
   * CNI version written into the config.
   * @default "1.0.0"
   */
  cniVersion?: pulumi.Input<string>;
  /**
   * Escape hatch: a complete CNI config as JSON text, used as is (whereabouts gets its
   * `configuration_path` injected when it lacks one). When given, leave `type` and the typed fields unset.
   * @default none
   */
  config?: pulumi.Input<string>;
}

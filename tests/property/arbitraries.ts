/**
 * fast-check arbitraries for the property tests: inputs shaped like the component's (so that a fair
 * share of them validate and reach planning) with hostile and garbage values mixed in at every
 * level: shell metacharacters, quotes, newlines, NUL, unicode, wrong types, anything at all.
 */
import fc from "fast-check";

/** Characters that break shells, JSON, YAML or terminals, and a few ordinary ones to mix with. */
// prettier-ignore
export const NASTY_CHARS = [
  ";", "|", "&", "$", "`", "'", '"', "\\", " ", "\t", "\n", "\r", "\0", "(", ")", "{", "}", "<", ">",
  "*", "?", "[", "]", "!", "#", "~", "=", "%", ",", ":", "@", "+", "^", "/", ".", "-", "_",
  "a", "Z", "0", "9", "é", "ß", "中", "😀", "\u202e", "\u200b", "\u0085", "\u2028", "\x7f", "\x1b",
];

/** Short strings made mostly of nasty characters. */
export const nasty: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...NASTY_CHARS),
  maxLength: 20,
});

/** Shell payloads that a careless quoting would execute. */
export const injections = fc.constantFrom(
  "; touch /tmp/pwned",
  "$(touch /tmp/pwned)",
  "`touch /tmp/pwned`",
  "' ; touch /tmp/pwned ; '",
  '" ; touch /tmp/pwned ; "',
  "\n touch /tmp/pwned",
  "| touch /tmp/pwned",
  "&& touch /tmp/pwned",
  "${IFS}touch${IFS}/tmp/pwned",
  "'\\''",
  '","master":"eth0',
  '"}, "x": {"',
  "\\u0000",
);

/** Values of every type, including objects and arrays of garbage. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, NaN, Infinity, "", [], {}, "0", "true"),
  fc.anything({ maxDepth: 2, maxKeys: 4, withNullPrototype: true, withBigInt: true, withSparseArray: true }),
);

/** `valid` most of the time, otherwise nasty, injected, binary or garbage. */
export function fuzz(valid: fc.Arbitrary<unknown>, weight = 6): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight, arbitrary: valid },
    { weight: 1, arbitrary: nasty },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, injections, fc.nat())
        .map(([v, inj, at]) =>
          typeof v === "string" ? v.slice(0, at % (v.length + 1)) + inj + v.slice(at % (v.length + 1)) : inj,
        ),
    },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 16 }) },
    { weight: 1, arbitrary: garbage },
  );
}

/** A record whose keys are all optional (some are left out). */
function optional<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<Partial<T>> {
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Partial<T>>;
}

/** Occasionally an unknown key with any value, to exercise unknown-key refusal. */
function withExtraKey(arb: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 9, arbitrary: arb },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          arb,
          fc.oneof(nasty, fc.constantFrom("__proto__", "constructor", "Master", "privatekey")),
          garbage,
        )
        .map(([r, k, v]) => ({ ...r, [k]: v })),
    },
  );
}

// --- Valid building blocks --------------------------------------------------------------------

export const k3sTag = fc
  .record({
    minor: fc.integer({ min: 20, max: 35 }),
    patch: fc.integer({ min: 0, max: 20 }),
    pre: fc.constantFrom("", "-rc1", "-rc2"),
    build: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ minor, patch, pre, build }) => `v1.${minor}.${patch}${pre}+k3s${build}`);

const segment = fc
  .string({ unit: fc.constantFrom(..."abcxyzAZ019._+@:-".split("")), minLength: 1, maxLength: 10 })
  .filter((s) => s !== "." && s !== "..");

/** Absolute paths that parseSafePath accepts (with an optional trailing slash). */
export const safePath = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([segs, slash]) => `/${segs.join("/")}${slash ? "/" : ""}`);

/** Paths as users write them, and ones they should not. */
export const pathLike = fc.oneof(
  fc.constantFrom(
    "/var/lib/rancher/k3s",
    "/srv/k3s",
    "/opt/cni/bin",
    "/etc/cni/net.d",
    "/",
    "//x",
    "/a/../b",
    "rel/path",
  ),
  safePath,
);

const ifName = fc.constantFrom(
  "eth1",
  "ens3",
  "bond0.100",
  "enp0s31f6",
  "br-multus",
  "vlan_20",
  "x",
  "eth0",
  "cni0",
);
const objectName = fc.oneof(
  fc.constantFrom("macvlan-conf", "net-a", "b", "storage.v1", "a-very-long-but-valid-name"),
  fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/),
);
const namespace = fc.constantFrom("default", "kube-system", "team-a");
const octet = fc.integer({ min: 0, max: 255 });
const cidr4 = fc.tuple(octet, octet, fc.constantFrom(16, 24, 28)).map(([a, b, p]) => `10.${a}.${b}.0/${p}`);
const cidr = fc.oneof(
  { weight: 4, arbitrary: cidr4 },
  fc.constantFrom("fd00:10::/64", "192.168.2.225-192.168.2.230/28", "10.1.0.7/24"),
);
const route = optional({
  dst: fuzz(fc.constantFrom("0.0.0.0/0", "10.10.0.0/16", "fd00::/8")),
  gw: fuzz(fc.constantFrom("10.0.0.1", "fd00::1"), 2),
});

export const ipam: fc.Arbitrary<unknown> = fc.oneof(
  withExtraKey(
    fc.record(
      {
        type: fuzz(fc.constant("whereabouts"), 20),
        range: fuzz(cidr, 12),
        rangeStart: fuzz(fc.constantFrom("10.0.0.5", "10.1.0.9")),
        exclude: fuzz(fc.array(cidr, { maxLength: 2 })),
        routes: fuzz(fc.array(route, { maxLength: 2 })),
        networkName: fuzz(objectName),
        enableOverlappingRanges: fuzz(fc.boolean()),
      },
      { requiredKeys: ["type", "range"] },
    ),
  ),
  withExtraKey(
    fc.record(
      {
        type: fuzz(fc.constant("host-local"), 20),
        range: fuzz(cidr4, 12),
        gateway: fuzz(fc.constantFrom("10.0.0.1", "10.1.0.1")),
        routes: fuzz(fc.array(route, { maxLength: 2 })),
      },
      { requiredKeys: ["type", "range"] },
    ),
  ),
  fc.record({ type: fuzz(fc.constant("dhcp"), 20) }),
  withExtraKey(
    fc.record({
      type: fuzz(fc.constant("static"), 20),
      addresses: fuzz(
        fc.array(
          optional({
            address: fuzz(fc.constantFrom("192.168.7.5/24", "fd00:7::5/64")),
            gateway: fuzz(fc.constant("192.168.7.1"), 2),
          }),
          {
            minLength: 1,
            maxLength: 2,
          },
        ),
        12,
      ),
    }),
  ),
  garbage,
);

const mtu = fuzz(fc.integer({ min: 68, max: 9000 }));
const common = {
  name: fuzz(objectName, 12),
  namespace: fuzz(namespace),
  interface: fuzz(ifName),
  cniVersion: fuzz(fc.constantFrom("0.3.1", "1.0.0", "1.1.0")),
};

const macvlan = fc.record(
  {
    ...common,
    type: fc.constant("macvlan"),
    master: fuzz(ifName),
    mode: fuzz(fc.constantFrom("bridge", "vepa", "private", "passthru")),
    mtu,
    ipam,
  },
  { requiredKeys: ["name", "type", "ipam"] },
);
const ipvlan = fc.record(
  {
    ...common,
    type: fc.constant("ipvlan"),
    master: fuzz(ifName),
    mode: fuzz(fc.constantFrom("l2", "l3", "l3s")),
    mtu,
    ipam,
  },
  { requiredKeys: ["name", "type", "ipam"] },
);
const bridge = fc.record(
  {
    ...common,
    type: fc.constant("bridge"),
    bridge: fuzz(fc.constantFrom("br-multus", "br0", "cni0"), 12),
    isGateway: fuzz(fc.boolean()),
    ipMasq: fuzz(fc.boolean()),
    vlan: fuzz(fc.integer({ min: 0, max: 4094 })),
    mtu,
    ipam,
  },
  { requiredKeys: ["name", "type", "bridge", "ipam"] },
);
const hostDevice = fc
  .tuple(
    fc.record({ ...common, type: fc.constant("host-device") }, { requiredKeys: ["name", "type"] }),
    fc.oneof(
      fc.record({ device: fuzz(ifName) }),
      fc.record({ hwaddr: fuzz(fc.constantFrom("52:54:00:12:34:56", "AA:BB:CC:DD:EE:FF")) }),
      fc.record({
        kernelpath: fuzz(fc.constantFrom("/sys/devices/pci0000:00/0000:00:1f.6", "/sys/devices/x")),
      }),
      fc.record({ pciBusID: fuzz(fc.constantFrom("0000:00:1f.6", "0000:03:00.1")) }),
      fc.record({ device: ifName, pciBusID: fc.constant("0000:00:1f.6") }),
    ),
    fc.option(ipam, { nil: undefined }),
  )
  .map(([n, sel, i]) => (i === undefined ? { ...n, ...sel } : { ...n, ...sel, ipam: i }));

/** A CNI config object for the `config` escape hatch (whereabouts with and without configuration_path). */
const cniConfigObject = fc.oneof(
  fc.record({
    cniVersion: fc.constant("1.0.0"),
    type: fc.constantFrom("macvlan", "tuning", "sbr"),
    master: fc.oneof(ifName, nasty),
    ipam: fc.constant({ type: "whereabouts", range: "10.99.0.0/24" }),
  }),
  fc.record({
    cniVersion: fc.constant("1.0.0"),
    name: nasty,
    plugins: fc.constant([
      { type: "bridge", ipam: { type: "whereabouts", range: "10.98.0.0/24" } },
      { type: "tuning" },
    ]),
  }),
  fc.record({
    type: fc.constant("vlan"),
    ipam: fc.constant({
      type: "whereabouts",
      range: "10.97.0.0/24",
      configuration_path: "/etc/x/whereabouts.conf",
    }),
  }),
  fc.record({ type: nasty, extra: fc.jsonValue({ maxDepth: 2 }) }),
);
const rawConfigText = fc.oneof(
  { weight: 4, arbitrary: cniConfigObject.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: cniConfigObject.map((o) => JSON.stringify(o, null, 2)) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(cniConfigObject, fc.nat()).map(([o, n]) => JSON.stringify(o).slice(0, n % 40)),
  },
  { weight: 1, arbitrary: nasty },
);
const rawNetwork = fc.record(
  {
    name: fuzz(objectName, 12),
    namespace: fuzz(namespace),
    interface: fuzz(ifName),
    config: fuzz(rawConfigText, 12),
  },
  { requiredKeys: ["name", "config"] },
);

/** One network: typed (each type), raw config, or garbage. */
export const network: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: withExtraKey(macvlan) },
  { weight: 1, arbitrary: withExtraKey(ipvlan) },
  { weight: 1, arbitrary: withExtraKey(bridge) },
  { weight: 1, arbitrary: withExtraKey(hostDevice) },
  { weight: 2, arbitrary: rawNetwork },
  { weight: 1, arbitrary: garbage },
);

/** The network list: usually short, sometimes not a list. */
export const networks: fc.Arbitrary<unknown> = fuzz(fc.array(network, { maxLength: 3 }), 12);

const host = fc.constantFrom("10.0.0.1", "10.0.0.2", "node-1", "k3s.lan", "fd00::1", "Node_2");
const secretText = fc.oneof(
  fc.constantFrom("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
  nasty,
);

/** One SSH node: valid-looking fields, hostile and misspelt ones mixed in. */
export const node: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: withExtraKey(
      fc.record(
        {
          host: fuzz(host, 10),
          port: fuzz(fc.integer({ min: 1, max: 65535 })),
          user: fuzz(fc.constantFrom("root", "ubuntu", "k3s-admin")),
          privateKey: fuzz(secretText),
          privateKeyPassword: fuzz(secretText, 2),
          password: fuzz(secretText, 2),
          hostKey: fuzz(fc.constant("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample")),
          sudo: fuzz(fc.boolean()),
          name: fuzz(fc.constantFrom("n1", "n2", "cp-0")),
          dialErrorLimit: fuzz(fc.integer({ min: -1, max: 20 })),
          perDialTimeout: fuzz(fc.integer({ min: 1, max: 60 })),
          proxy: fuzz(
            optional({ host: fuzz(host), user: fuzz(fc.constant("jump")), privateKey: fuzz(secretText) }),
          ),
        },
        { requiredKeys: ["host"] },
      ),
    ),
  },
  { weight: 1, arbitrary: garbage },
);

export const nodes: fc.Arbitrary<unknown> = fuzz(fc.array(node, { maxLength: 3 }), 12);

/** Chart values a user might merge in: ones the core refuses, ones it takes, and arbitrary JSON. */
export const chartValues: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ extra: v })),
  fc.dictionary(
    fc.oneof(nasty, fc.constantFrom("on", "yes", "n", "<<", "~", "1:20", "__proto__")),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  ),
  optional({
    config: optional({
      cni_conf: optional({
        logToStderr: fuzz(fc.boolean()),
        cniVersion: fuzz(fc.constant("1.0.0")),
        confDir: fuzz(pathLike),
        multusAutoconfigDir: fuzz(pathLike),
        binDir: fuzz(pathLike),
      }),
    }),
    thickPlugin: optional({ enabled: fuzz(fc.boolean()) }),
    pod: optional({ resources: optional({ enabled: fuzz(fc.boolean()) }) }),
    global: optional({
      systemDefaultRegistry: fc.oneof(nasty, fc.constantFrom("registry.lan:5000", "on", "yes")),
    }),
    image: optional({ repository: nasty, tag: fc.constantFrom("v4.2.2", "1.10", "010", "0x1F", "1e3") }),
  }),
  garbage,
);

/** Chart settings (repository credentials included, as the component takes them). */
export const chart: fc.Arbitrary<unknown> = fuzz(
  withExtraKey(
    optional({
      version: fuzz(
        fc.constantFrom(
          "v4.3.017",
          "v4.2.418",
          "v4.1.000",
          "4.3.009",
          "v4.2.107",
          "v4.2.202",
          "v4.0.2-build2024020802",
          "v3.9.0",
        ),
      ),
      repository: fuzz(
        fc.constantFrom(
          "https://rke2-charts.rancher.io",
          "oci://registry.lan/charts",
          "http://10.0.0.5:8080/rke2",
        ),
      ),
      repositoryUsername: fuzz(secretText),
      repositoryPassword: fuzz(secretText),
      namespace: fuzz(namespace),
      releaseName: fuzz(fc.constantFrom("multus", "m", "multus-lab")),
      values: fuzz(chartValues, 4),
      timeout: fuzz(fc.integer({ min: 1, max: 3600 })),
      skipAwait: fuzz(fc.boolean()),
    }),
  ),
  12,
);

/** The component's inputs (MultusArgs, without Outputs), hostile values mixed in everywhere. */
export const multusArgs: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    nodes,
    k3sVersion: fuzz(k3sTag, 10),
    k3sDataDir: fuzz(pathLike),
    cniBinDir: fuzz(pathLike),
    cniConfDir: fuzz(pathLike),
    ipam: fuzz(fc.array(fc.constantFrom("whereabouts", "dhcp", "host-local", "static"), { maxLength: 3 })),
    networks,
    allowOverlappingRanges: fuzz(fc.boolean(), 3),
    chart,
    cleanupOnDestroy: fuzz(fc.boolean(), 3),
  },
  { requiredKeys: [] },
);

/** What detect.sh may report (valid facts), for layouts. */
export const nodeFacts = fc.record({
  host: fc.constantFrom("10.0.0.1", "node-1"),
  tag: k3sTag,
  dataDir: fc.oneof(fc.constant("/var/lib/rancher/k3s"), safePath),
  flannel: fc.boolean(),
  binDir: fc.option(safePath, { nil: undefined }),
  confDir: fc.option(safePath, { nil: undefined }),
});

/** One generated set of node facts. */
export type GeneratedFacts = typeof nodeFacts extends fc.Arbitrary<infer T> ? T : never;

// --- Valid inputs with a few fields made hostile ----------------------------------------------

const validIpam = (i: number): fc.Arbitrary<Record<string, unknown>> => {
  const net = `10.${100 + i}.0`;
  return fc.oneof(
    optional({
      rangeStart: fc.constant(`${net}.10`),
      gateway: fc.constant(`${net}.1`),
      exclude: fc.constant([`${net}.128/30`]),
      routes: fc.constant([{ dst: "0.0.0.0/0" }]),
      networkName: objectName,
      enableOverlappingRanges: fc.boolean(),
    }).map((o) => ({ type: "whereabouts", range: `${net}.0/24`, ...o })),
    optional({
      gateway: fc.constant(`${net}.1`),
      routes: fc.constant([{ dst: "10.200.0.0/16", gw: `${net}.1` }]),
    }).map((o) => ({ type: "host-local", range: `${net}.0/24`, ...o })),
    fc.constant({ type: "dhcp" }),
    fc.constant({ type: "static", addresses: [{ address: `${net}.5/24`, gateway: `${net}.1` }] }),
  );
};

const validIfName = fc.constantFrom("eth1", "ens3", "bond0.100", "enp0s31f6", "vlan_20", "x");

/** Network `i` of a valid list: its own name, interface and address range. */
function validNetwork(i: number): fc.Arbitrary<Record<string, unknown>> {
  const base = fc
    .record({
      namespace: namespace,
      iface: fc.boolean(),
      cniVersion: fc.option(fc.constantFrom("0.3.1", "1.0.0"), { nil: undefined }),
    })
    .map(({ namespace: ns, iface, cniVersion }) => {
      const n: Record<string, unknown> = { name: `net-${i}`, namespace: ns };
      if (iface) n.interface = `net${i + 1}`;
      if (cniVersion) n.cniVersion = cniVersion;
      return n;
    });
  const typed = fc.oneof(
    fc.record(
      {
        type: fc.constant("macvlan"),
        master: validIfName,
        mode: fc.constantFrom("bridge", "vepa"),
        mtu: fc.integer({ min: 68, max: 9000 }),
      },
      { requiredKeys: ["type"] },
    ),
    fc.record(
      { type: fc.constant("ipvlan"), master: validIfName, mode: fc.constantFrom("l2", "l3s") },
      { requiredKeys: ["type"] },
    ),
    fc.record(
      {
        type: fc.constant("bridge"),
        bridge: fc.constantFrom("br-multus", "br0"),
        isGateway: fc.boolean(),
        vlan: fc.integer({ min: 0, max: 4094 }),
      },
      { requiredKeys: ["type", "bridge"] },
    ),
  );
  const raw = cniConfigObject.map((o) => ({ config: JSON.stringify(o) }));
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(base, typed, validIpam(i))
        // ipvlan l3/l3s cannot work with dhcp (no broadcast), so valid ipvlan networks use l2 then.
        .map(([b, t, ipamArgs]) =>
          t.type === "ipvlan" && ipamArgs.type === "dhcp" && t.mode !== undefined
            ? { ...b, ...t, mode: "l2", ipam: ipamArgs }
            : { ...b, ...t, ipam: ipamArgs },
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          base,
          fc.constantFrom({ device: "eth2" }, { pciBusID: "0000:00:1f.6" }, { hwaddr: "52:54:00:12:34:56" }),
        )
        .map(([b, sel]) => ({ ...b, type: "host-device", ...sel })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(base, raw).map(([{ cniVersion: _cniVersion, ...b }, r]) => ({ ...b, ...r })),
    },
  );
}

const validNetworks = fc
  .nat(3)
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => validNetwork(i))));

const validNodes = fc.nat(3).chain((count) =>
  fc.tuple(
    ...Array.from({ length: count }, (_, i) =>
      fc.record(
        {
          host: fc.constantFrom(`10.0.0.${i + 1}`, `node-${i}.lan`, `fd00::${i + 1}`),
          port: fc.integer({ min: 1, max: 65535 }),
          user: fc.constantFrom("root", "ubuntu"),
          privateKey: secretText,
          sudo: fc.boolean(),
          hostKey: fc.constant("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"),
          proxy: fc.constant({ host: "jump.lan", user: "jump", password: "jump-secret" }),
        },
        { requiredKeys: ["host"] },
      ),
    ),
  ),
);

/** True when no object key is a name of Object.prototype (chart values refuse those: merging drops them). */
export function noPrototypeKeys(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(noPrototypeKeys);
  if (typeof value === "object" && value !== null)
    return Object.entries(value).every(([k, v]) => !(k in Object.prototype) && noPrototypeKeys(v));
  return true;
}

const validValues = optional({
  global: optional({
    systemDefaultRegistry: fc.oneof(nasty, fc.constantFrom("registry.lan:5000", "on", "yes", "n")),
  }),
  image: optional({
    repository: nasty,
    tag: fc.constantFrom("v4.2.2", "1.10", "010", "0x1F", "1e3", "1:20"),
  }),
  extra: fc.jsonValue({ maxDepth: 2 }).filter(noPrototypeKeys),
});

/** Inputs that validateInputs accepts (pinned or with nodes), before any mutation. */
export const validArgs: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      nodes: validNodes,
      k3sVersion: k3sTag,
      k3sDataDir: fc.constantFrom("/var/lib/rancher/k3s", "/srv/k3s"),
      dirs: fc.option(fc.constant(["/opt/cni/bin", "/etc/cni/net.d"]), { nil: undefined }),
      ipam: fc.uniqueArray(fc.constantFrom("whereabouts", "dhcp", "host-local"), { maxLength: 3 }),
      networks: validNetworks,
      chart: optional({
        // Versions the chart gates accept for every layout and IPAM (see README's compatibility table).
        version: fc.constantFrom("v4.3.017", "v4.2.418", "4.3.010", "v4.3.008", "v4.2.414"),
        repository: fc.constantFrom("https://rke2-charts.rancher.io", "oci://registry.lan/charts"),
        repositoryUsername: secretText,
        repositoryPassword: secretText,
        namespace,
        releaseName: fc.constantFrom("multus", "m"),
        values: validValues,
        timeout: fc.integer({ min: 1, max: 3600 }),
        skipAwait: fc.boolean(),
      }),
      cleanupOnDestroy: fc.boolean(),
    },
    { requiredKeys: ["networks"] },
  )
  .map(({ dirs, ...a }) => {
    const out: Record<string, unknown> = { ...a };
    if (dirs) [out.cniBinDir, out.cniConfDir] = dirs;
    if (!out.nodes || (out.nodes as unknown[]).length === 0) {
      delete out.nodes;
      if (!out.cniBinDir) out.k3sVersion ??= "v1.32.2+k3s1";
      out.cleanupOnDestroy = false;
    }
    return out;
  });

/** Every path into a value (objects and arrays, containers included), as [path, key chain]. */
function pathsOf(
  value: unknown,
  prefix = "",
  keys: (string | number)[] = [],
): [string, (string | number)[]][] {
  const here: [string, (string | number)[]][] = prefix ? [[prefix, keys]] : [];
  if (Array.isArray(value))
    return [...here, ...value.flatMap((v, i) => pathsOf(v, `${prefix}[${i}]`, [...keys, i]))];
  if (typeof value === "object" && value !== null)
    return [
      ...here,
      ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, prefix ? `${prefix}.${k}` : k, [...keys, k])),
    ];
  return here;
}

function setAt(value: unknown, keys: readonly (string | number)[], replacement: unknown): unknown {
  if (keys.length === 0) return replacement;
  const [k, ...rest] = keys;
  if (Array.isArray(value))
    return (value as unknown[]).map((v, i) => (i === k ? setAt(v, rest, replacement) : v));
  const obj = value as Record<string, unknown>;
  return { ...obj, [k]: setAt(obj[k], rest, replacement) };
}

/** A value meant to be refused wherever it is put. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  nasty,
  injections,
  fc
    .tuple(fc.constantFrom("eth1", "/var/lib/rancher/k3s", "10.0.0.1", "multus", "v1.32.2+k3s1"), injections)
    .map(([a, b]) => a + b),
  fc.string({ unit: "binary", maxLength: 12 }),
  garbage,
);

/** Valid inputs with up to two fields (leaf or container) replaced by hostile values; `mutated` names them. */
export const hostileArgs: fc.Arbitrary<{ args: Record<string, unknown>; mutated: string[] }> = fc
  .tuple(validArgs, fc.array(fc.tuple(fc.nat(), hostileValue), { maxLength: 2 }))
  .map(([args, mutations]) => {
    let out: unknown = args;
    const mutated: string[] = [];
    for (const [pick, value] of mutations) {
      const paths = pathsOf(out);
      if (paths.length === 0) break;
      const [path, keys] = paths[pick % paths.length];
      out = setAt(out, keys, value);
      mutated.push(path);
    }
    return { args: out as Record<string, unknown>, mutated };
  });

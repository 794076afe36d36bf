/**
 * `k3s-multus render`, run as users run it (the built bin, a child process), against what the Multus
 * component registers under Pulumi mocks for the same inputs: the rke2-multus values (and the CRD
 * chart's), the chart order, and every NetworkAttachmentDefinition's `spec.config`, byte for byte.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { stableJson, stableYaml } from "../../provider/src/plan/stable";
import {
  cli,
  CliResult,
  COMMAND_TYPE,
  NAD_TYPE,
  Registered,
  RELEASE_TYPE,
  REPO,
  runComponent,
  tempFile,
  unwrapSecrets,
} from "./helpers";
import { compactScript } from "../../provider/src/node/scripts";
import { dig } from "../helpers/dig";

/** The last K3s before the October 2024 bin-dir gate on the 1.30 line, and the first after it. */
const OLD = "v1.30.5+k3s1";
const NEW = "v1.30.6+k3s1";
const DATA = "/var/lib/rancher/k3s";
const BIN_DIR: Record<string, string> = { [OLD]: `${DATA}/data/current/bin`, [NEW]: `${DATA}/data/cni` };

/** One network per IPAM plugin. */
const NETWORK_BY_IPAM: Record<string, Record<string, unknown>> = {
  whereabouts: {
    name: "storage",
    type: "macvlan",
    master: "eth1",
    mode: "bridge",
    interface: "net1",
    ipam: {
      type: "whereabouts",
      range: "192.168.50.0/24",
      exclude: ["192.168.50.0/28"],
      routes: [{ dst: "10.50.0.0/16" }],
    },
  },
  "host-local": {
    name: "lan",
    namespace: "apps",
    type: "ipvlan",
    master: "eth1",
    mode: "l2",
    ipam: {
      type: "host-local",
      range: "10.20.0.0/24",
      rangeStart: "10.20.0.10",
      rangeEnd: "10.20.0.50",
      gateway: "10.20.0.1",
    },
  },
  dhcp: { name: "dhcp-net", type: "bridge", bridge: "br1", mtu: 1500, ipam: { type: "dhcp" } },
  static: {
    name: "fixed",
    type: "macvlan",
    master: "eth2",
    ipam: { type: "static", addresses: [{ address: "192.168.60.5/24", gateway: "192.168.60.1" }] },
  },
};

interface Case {
  readonly name: string;
  /** The inputs file (also the component's args, with the flags applied). */
  readonly inputs: Record<string, unknown>;
  /** Pinned facts as flags: flag → MultusArgs key and value. */
  readonly flags?: Readonly<Record<string, [string, string]>>;
  /** Expected CNI bin dir in the values. */
  readonly binDir: string;
}

const versionFlag = (v: string): Record<string, [string, string]> => ({ "--k3s-version": ["k3sVersion", v] });

const CASES: Case[] = [
  ...Object.entries(NETWORK_BY_IPAM).flatMap(([ipam, network]) =>
    [OLD, NEW].map(
      (v): Case => ({
        name: `${ipam} on ${v}`,
        inputs: { networks: [network] },
        flags: versionFlag(v),
        binDir: BIN_DIR[v],
      }),
    ),
  ),
  {
    name: "chart v4.2.418 (CRD inside rke2-multus), whereabouts, old K3s",
    inputs: { chart: { version: "v4.2.418" }, networks: [NETWORK_BY_IPAM.whereabouts] },
    flags: versionFlag(OLD),
    binDir: BIN_DIR[OLD],
  },
  {
    name: "no networks, ipam asked for, version in the file",
    inputs: { k3sVersion: NEW, ipam: ["dhcp", "whereabouts"] },
    binDir: BIN_DIR[NEW],
  },
  {
    name: "every network, a raw config, nodes with credentials, chart settings, custom data dir",
    inputs: {
      nodes: [
        { host: "node1.example.com", user: "admin", sudo: true, privateKey: "PRIVATE-KEY-MARKER" },
        { host: "10.0.0.12", password: "PASSWORD-MARKER", name: "n2" },
      ],
      k3sVersion: OLD,
      k3sDataDir: "/srv/k3s",
      chart: {
        version: "v4.3.017",
        namespace: "multus-system",
        releaseName: "mx",
        timeout: 600,
        repositoryUsername: "USER-MARKER",
        repositoryPassword: "REPO-PASSWORD-MARKER",
        values: { pod: { resources: { multus: { limits: { memory: "64Mi" } } } } },
      },
      networks: [
        ...Object.values(NETWORK_BY_IPAM),
        {
          name: "raw",
          namespace: "apps",
          interface: "net9",
          config:
            '{"cniVersion":"1.0.0","type":"macvlan","master":"eth3","ipam":{"type":"whereabouts","range":"10.99.0.0/24"}}',
        },
      ],
      kubeconfig: "KUBECONFIG-MARKER",
      redetect: "2024-10",
    },
    flags: versionFlag(NEW),
    binDir: "/srv/k3s/data/cni",
  },
  {
    name: "CNI dirs pinned without a version (flannel off)",
    inputs: { networks: [NETWORK_BY_IPAM["host-local"]] },
    flags: {
      "--cni-bin-dir": ["cniBinDir", "/opt/cni/bin"],
      "--cni-conf-dir": ["cniConfDir", "/etc/cni/net.d"],
    },
    binDir: "/opt/cni/bin",
  },
];

const SECRETS = [
  "PRIVATE-KEY-MARKER",
  "PASSWORD-MARKER",
  "USER-MARKER",
  "REPO-PASSWORD-MARKER",
  "KUBECONFIG-MARKER",
];

function flagArgs(c: Case): string[] {
  return Object.entries(c.flags ?? {}).flatMap(([flag, [, value]]) => [flag, value]);
}

function componentArgs(c: Case): Record<string, unknown> {
  const args: Record<string, unknown> = { ...c.inputs };
  for (const [key, value] of Object.values(c.flags ?? {})) args[key] = value;
  return args;
}

function ok(r: CliResult): string {
  expect(r.stderr, "stderr").to.equal("");
  expect(r.status, "exit status").to.equal(0);
  return r.stdout;
}

/** A parsed manifest: free-form, typed in the fields every object has; read deeper with `dig`. */
interface Doc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

function documents(stdout: string): Doc[] {
  const docs = parseAllDocuments(stdout);
  if (!Array.isArray(docs)) throw new Error("expected a YAML stream");
  for (const d of docs) expect(d.errors, "YAML errors").to.deep.equal([]);
  return docs.map((d) => d.toJS() as Doc);
}

describe("cli: k3s-multus render equals what the component registers", function () {
  for (const c of CASES) {
    describe(c.name, function () {
      let file: string;
      let stdout: string;
      let registered: readonly Registered[];

      before(async function () {
        file = tempFile("inputs.yaml", stringify(c.inputs));
        stdout = ok(cli(["render", "-f", file, ...flagArgs(c)]));
        const run = await runComponent(componentArgs(c));
        if (run.error) throw run.error;
        registered = run.registrations;
      });

      it("renders one HelmChart per Helm release, CRD chart first, with the same chart settings", function () {
        const charts = documents(stdout).filter((d) => d.kind === "HelmChart");
        const releases = registered.filter((r) => r.type === RELEASE_TYPE);
        expect(charts.map((h) => h.spec?.chart)).to.deep.equal(
          releases.length === 2 ? ["rke2-multus-crd", "rke2-multus"] : ["rke2-multus"],
        );
        expect(releases.map((r) => r.inputs.chart).sort()).to.deep.equal(
          charts.map((h) => h.spec?.chart).sort(),
        );
        for (const h of charts) {
          const r = releases.find((x) => x.inputs.chart === h.spec?.chart);
          if (!r) throw new Error(`no release for ${JSON.stringify(h.spec?.chart)}`);
          expect(h.apiVersion).to.equal("helm.cattle.io/v1");
          expect(h.metadata?.name, "release name").to.equal(r.inputs.name);
          expect(h.spec?.version).to.equal(r.inputs.version);
          expect(h.spec?.targetNamespace).to.equal(r.inputs.namespace);
          expect(h.spec?.repo).to.equal((unwrapSecrets(r.inputs.repositoryOpts) as { repo: string }).repo);
          expect(h.spec?.timeout).to.equal(`${r.inputs.timeout as number}s`);
          expect(parse(h.spec?.valuesContent as string) as unknown, "values").to.deep.equal(r.inputs.values);
          expect(h.spec?.valuesContent, "valuesContent bytes").to.equal(stableYaml(r.inputs.values));
        }
      });

      it("--values-only prints the rke2-multus values file byte for byte (and the CRD chart's with --chart)", function () {
        const release = registered.find((r) => r.type === RELEASE_TYPE && r.inputs.chart === "rke2-multus");
        if (!release) throw new Error("no rke2-multus release");
        const values = ok(cli(["render", "-f", file, ...flagArgs(c), "--values-only"]));
        expect(values).to.equal(stableYaml(release.inputs.values));
        expect(dig(release.inputs, "values", "config", "cni_conf", "binDir")).to.equal(c.binDir);
        const json = ok(cli(["render", "-f", file, ...flagArgs(c), "--values-only", "-o", "json"]));
        expect(json).to.equal(`${stableJson(release.inputs.values)}\n`);
        const crd = registered.find((r) => r.type === RELEASE_TYPE && r.inputs.chart === "rke2-multus-crd");
        const crdValues = cli([
          "render",
          "-f",
          file,
          ...flagArgs(c),
          "--values-only",
          "--chart",
          "rke2-multus-crd",
        ]);
        if (crd) expect(ok(crdValues)).to.equal(stableYaml(crd.inputs.values));
        else {
          expect(crdValues.status).to.equal(2);
          expect(crdValues.stderr).to.match(/^k3s-multus: --chart: "rke2-multus-crd" is not installed/);
        }
      });

      it("renders each NetworkAttachmentDefinition with the exact spec.config the component registers", function () {
        const nads = documents(stdout).filter((d) => d.kind === "NetworkAttachmentDefinition");
        const registeredNads = registered.filter((r) => r.type === NAD_TYPE);
        const networks = (c.inputs.networks ?? []) as { name: string }[];
        expect(
          nads.map((n) => n.metadata?.name),
          "in the order given",
        ).to.deep.equal(networks.map((n) => n.name));
        expect(registeredNads).to.have.length(nads.length);
        for (const n of nads) {
          const r = registeredNads.find((x) => dig(x.inputs, "metadata", "name") === n.metadata?.name);
          if (!r) throw new Error(`no registered NAD ${n.metadata?.name ?? "(unnamed)"}`);
          expect(n).to.deep.equal(r.inputs);
          expect(n.spec?.config, "spec.config bytes").to.equal(dig(r.inputs, "spec", "config"));
        }
        const manifests = ok(cli(["render", "-f", file, ...flagArgs(c), "--manifests-only"]));
        expect(documents(manifests)).to.deep.equal(nads);
        const list = JSON.parse(
          ok(cli(["render", "-f", file, ...flagArgs(c), "--manifests-only", "-o", "json"])),
        ) as unknown;
        expect(list).to.deep.equal({ apiVersion: "v1", kind: "List", items: nads });
      });

      it("-o json holds the same documents; the same input gives the same bytes", function () {
        const list = JSON.parse(ok(cli(["render", "-f", file, ...flagArgs(c), "-o", "json"]))) as unknown;
        expect(dig(list, "items")).to.deep.equal(documents(stdout));
        expect(ok(cli(["render", "-f", file, ...flagArgs(c)]))).to.equal(stdout);
        const json = tempFile("inputs.json", JSON.stringify(c.inputs, null, "\t"));
        expect(ok(cli(["render", "-f", json, ...flagArgs(c)])), "JSON inputs").to.equal(stdout);
      });

      it("never prints a credential", function () {
        for (const s of SECRETS) expect(stdout).not.to.include(s);
      });
    });
  }

  it("the clean-up commands the component registers equal `script cleanup --command` with the rendered dirs", async function () {
    const c = CASES[CASES.length - 2];
    const run = await runComponent(componentArgs(c));
    if (run.error) throw run.error;
    const commands = run.registrations.filter((r) => r.type === COMMAND_TYPE && r.name.includes("-cleanup-"));
    expect(commands.map((r) => r.name)).to.deep.equal([
      "multus-cleanup-node1-example-com",
      "multus-cleanup-n2",
    ]);
    const owner = /'([0-9a-f]{16})'$/.exec(String(commands[0].inputs.delete))?.[1] ?? "";
    const header = ok(cli(["render", "-f", tempFile("in.yaml", stringify(c.inputs)), ...flagArgs(c)]));
    const binDir = /^# CNI bin dir: +(\S+)$/m.exec(header)?.[1] ?? "";
    const confDir = /^# CNI conf dir: +(\S+)$/m.exec(header)?.[1] ?? "";
    expect(binDir).to.equal("/srv/k3s/data/cni");
    const dirs = ["--cni-bin-dir", binDir, "--cni-conf-dir", confDir, "--whereabouts", "--owner", owner];
    expect(commands[0].inputs.delete).to.equal(
      ok(cli(["script", "cleanup", "--command", "--sudo", ...dirs])).trimEnd(),
    );
    expect(commands[1].inputs.delete).to.equal(
      ok(cli(["script", "cleanup", "--command", ...dirs])).trimEnd(),
    );
    expect(commands[1].inputs.stdin).to.equal(`${compactScript(ok(cli(["script", "cleanup"])))}\n`);
  });

  it("reads the inputs from standard input with -f -", function () {
    const c = CASES[0];
    const fromFile = ok(cli(["render", "-f", tempFile("in.yaml", stringify(c.inputs)), ...flagArgs(c)]));
    expect(ok(cli(["render", "-f", "-", ...flagArgs(c)], stringify(c.inputs)))).to.equal(fromFile);
  });

  it("flags override the same keys of the file", function () {
    const file = tempFile("in.yaml", stringify({ k3sVersion: OLD, cniBinDir: "/from/file" }));
    const values = parse(ok(cli(["render", "-f", file, "--k3s-version", NEW, "--values-only"]))) as unknown;
    expect(dig(values, "config", "cni_conf", "binDir")).to.equal("/from/file");
    const overridden = parse(
      ok(
        cli([
          "render",
          "-f",
          file,
          "--cni-bin-dir",
          "/from/flag",
          "--k3s-data-dir",
          "/srv/k3s",
          "--values-only",
        ]),
      ),
    ) as unknown;
    expect(dig(overridden, "config", "cni_conf", "binDir")).to.equal("/from/flag");
    expect(dig(overridden, "config", "cni_conf", "confDir")).to.equal("/srv/k3s/agent/etc/cni/net.d");
    const gate = parse(
      ok(
        cli([
          "render",
          "-f",
          tempFile("v.yaml", `k3sVersion: ${OLD}\n`),
          "--k3s-version",
          NEW,
          "--values-only",
        ]),
      ),
    ) as unknown;
    expect(dig(gate, "config", "cni_conf", "binDir")).to.equal(BIN_DIR[NEW]);
  });

  it("renders without an inputs file (defaults, pinned version only)", function () {
    const out = ok(cli(["render", "--k3s-version", NEW]));
    expect(documents(out).map((d) => `${d.kind ?? ""}/${d.metadata?.name ?? ""}`)).to.deep.equal([
      "HelmChart/multus-crd",
      "HelmChart/multus",
    ]);
  });
});

describe("cli: render golden file", function () {
  const dir = path.join(REPO, "tests/golden/render");
  const inputs = path.join(dir, "macvlan-whereabouts.inputs.yaml");
  const golden = path.join(dir, "macvlan-whereabouts.yaml");

  it("matches tests/golden/render/macvlan-whereabouts.yaml (UPDATE_GOLDEN=1 rewrites it)", function () {
    const out = ok(cli(["render", "-f", path.relative(REPO, inputs), "--k3s-version", "v1.32.2+k3s1"]));
    if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, out);
    expect(out).to.equal(fs.readFileSync(golden, "utf8"));
  });
});

/**
 * What reaches the Releases, the NADs and the component outputs: chart values and NAD configs for
 * each IPAM plugin on both sides of the K3s CNI bin-dir gate, chart settings, annotations.
 */
import { expect } from "chai";
import type { NetworkArgs } from "../../provider/src/networkArgs";
import {
  CONF_DIR,
  DATA_DIR,
  detectOutput,
  FLANNEL_OFF,
  gateOnly,
  IPVLAN_DHCP,
  MACVLAN_HOST_LOCAL,
  MACVLAN_STATIC,
  MACVLAN_WHEREABOUTS,
  NAD_TYPE,
  NEW_BIN,
  NEW_K3S,
  OLD_BIN,
  OLD_K3S,
  RELEASE_TYPE,
} from "./fixtures";
import { deploy, outputValues, stopMocks, unwrapSecret } from "./harness";
import { dig, parseAt } from "../helpers/dig";

const HOST = "10.9.0.1";
const WHEREABOUTS_CONF = `${CONF_DIR}/whereabouts.d/whereabouts.conf`;

/**
 * The rke2-multus values k3s-multus must compute for this bin dir and IPAM plugin. `rollout`: the
 * detected K3s versions, which a bin dir that moves on K3s upgrades (before the gate) carries into
 * the values so that a change restarts the DaemonSets.
 */
function expectedValues(
  binDir: string,
  ipam: string,
  confDir = CONF_DIR,
  rollout?: string,
): Record<string, unknown> {
  const cniConf: Record<string, unknown> = {
    confDir,
    binDir,
    kubeconfig: `${confDir}/multus.d/multus.kubeconfig`,
    multusAutoconfigDir: confDir,
    cleanupConfigOnExit: true,
  };
  if (rollout) cniConf.k3sVersions = rollout;
  const values: Record<string, unknown> = { config: { cni_conf: cniConf } };
  if (ipam === "whereabouts") {
    values["rke2-whereabouts"] = {
      fullnameOverride: "whereabouts",
      enabled: true,
      cniConf: { confDir, binDir },
      ...(rollout ? { podAnnotations: { "k3s-multus/k3s-versions": rollout } } : {}),
    };
  }
  const manifests: Record<string, unknown> = {};
  if (rollout) manifests.configMap = true;
  if (ipam === "dhcp") manifests.dhcpDaemonSet = true;
  if (Object.keys(manifests).length) values.manifests = manifests;
  return values;
}

/** The NAD config each IPAM fixture must produce (the whereabouts one is the K3s docs' example). */
const EXPECTED_CONFIG: Record<string, [NetworkArgs, Record<string, unknown>]> = {
  whereabouts: [
    MACVLAN_WHEREABOUTS,
    {
      cniVersion: "1.0.0",
      type: "macvlan",
      master: "eth0",
      mode: "bridge",
      ipam: {
        type: "whereabouts",
        range: "172.17.0.0/24",
        gateway: "172.17.0.1",
        exclude: ["172.17.0.1/32"],
        configuration_path: WHEREABOUTS_CONF,
      },
    },
  ],
  "host-local": [
    MACVLAN_HOST_LOCAL,
    {
      cniVersion: "1.0.0",
      type: "macvlan",
      master: "eth0",
      ipam: {
        type: "host-local",
        ranges: [[{ subnet: "10.20.0.0/24", rangeStart: "10.20.0.10", rangeEnd: "10.20.0.50" }]],
      },
    },
  ],
  dhcp: [IPVLAN_DHCP, { cniVersion: "1.0.0", type: "ipvlan", master: "eth1", ipam: { type: "dhcp" } }],
  static: [
    MACVLAN_STATIC,
    {
      cniVersion: "1.0.0",
      type: "macvlan",
      master: "eth0",
      ipam: { type: "static", addresses: [{ address: "192.168.50.5/24", gateway: "192.168.50.1" }] },
    },
  ],
};

describe("Multus component: values", () => {
  afterEach(stopMocks);

  for (const [tag, side, binDir] of [
    ["v1.30.5+k3s1", "before", OLD_BIN],
    ["v1.30.6+k3s1", "after", NEW_BIN],
  ] as const) {
    for (const [ipam, [network, config]] of Object.entries(EXPECTED_CONFIG)) {
      it(`${ipam} on ${tag} (${side} the bin-dir gate)`, async () => {
        const { h, m } = await deploy(
          { nodes: [{ host: HOST }], networks: [network] },
          { detect: { [HOST]: gateOnly(tag) } },
        );
        const [crd, main] = h.ofType(RELEASE_TYPE);
        expect(main.inputs.values).to.deep.equal(
          expectedValues(binDir, ipam, CONF_DIR, side === "before" ? tag : undefined),
        );
        expect(crd.inputs.values).to.deep.equal(
          ipam === "whereabouts" ? { "rke2-whereabouts": { enabled: true } } : {},
        );
        const [nad] = h.ofType(NAD_TYPE);
        expect(parseAt(nad.inputs, "spec", "config")).to.deep.equal(config);
        const out = await outputValues(m);
        expect(out.chartValues).to.deep.equal(main.inputs.values);
        expect(out).to.deep.include({
          cniBinDir: binDir,
          cniConfDir: CONF_DIR,
          k3sVersions: { [HOST]: tag },
        });
      });
    }
  }

  it("follows the gate on every affected minor line", async () => {
    const rows: [string, string][] = [
      ["v1.28.14+k3s1", OLD_BIN],
      ["v1.28.15+k3s1", NEW_BIN],
      ["v1.29.9+k3s1", OLD_BIN],
      ["v1.29.10+k3s1", NEW_BIN],
      ["v1.31.1+k3s1", OLD_BIN],
      ["v1.31.2+k3s1", NEW_BIN],
      ["v1.32.0+k3s1", NEW_BIN],
      ["v1.34.1-rc1+k3s1", NEW_BIN],
    ];
    for (const [tag, binDir] of rows) {
      const { h, m } = await deploy({ nodes: [{ host: HOST }] }, { detect: { [HOST]: gateOnly(tag) } });
      expect(dig(h.named("multus-release").inputs, "values", "config", "cni_conf", "binDir"), tag).to.equal(
        binDir,
      );
      expect(h.named("multus-cleanup-10-9-0-1").inputs.delete, tag).to.include(`'${binDir}'`);
      expect((await outputValues(m)).cniBinDir, tag).to.equal(binDir);
      await stopMocks();
    }
  });

  it("takes the dirs containerd's generated config names (old and new K3s)", async () => {
    for (const [stdout, binDir] of [
      [OLD_K3S, OLD_BIN],
      [NEW_K3S, NEW_BIN],
      [
        detectOutput({ tag: "v1.30.6+k3s1", binDir: "/opt/custom/cni", confDir: "/etc/custom/net.d" }),
        "/opt/custom/cni",
      ],
    ]) {
      const { h } = await deploy({ nodes: [{ host: HOST }] }, { detect: { [HOST]: stdout } });
      expect(dig(h.named("multus-release").inputs, "values", "config", "cni_conf", "binDir")).to.equal(
        binDir,
      );
      await stopMocks();
    }
  });

  it("uses containerd's default dirs when flannel is off", async () => {
    const { h, m } = await deploy(
      { nodes: [{ host: HOST }], networks: [MACVLAN_WHEREABOUTS] },
      { detect: { [HOST]: FLANNEL_OFF } },
    );
    expect(h.named("multus-release").inputs.values).to.deep.equal(
      expectedValues("/opt/cni/bin", "whereabouts", "/etc/cni/net.d"),
    );
    const config = parseAt(h.named("multus-nad-macvlan-whereabouts").inputs, "spec", "config");
    expect(dig(config, "ipam", "configuration_path")).to.equal(
      "/etc/cni/net.d/whereabouts.d/whereabouts.conf",
    );
    expect(await outputValues(m)).to.deep.include({
      cniBinDir: "/opt/cni/bin",
      cniConfDir: "/etc/cni/net.d",
    });
  });

  it("passes the chart settings to both releases and deep-merges the user's values", async () => {
    const { h, m } = await deploy(
      {
        k3sVersion: "v1.30.6+k3s1",
        networks: [MACVLAN_WHEREABOUTS],
        chart: {
          repository: "https://charts.mirror.example/rke2",
          namespace: "multus-system",
          releaseName: "mx",
          timeout: 900,
          skipAwait: true,
          values: {
            config: { cni_conf: { logLevel: "debug" } },
            "rke2-whereabouts": { image: { repository: "mirror.example/whereabouts" } },
            global: { systemDefaultRegistry: "mirror.example" },
          },
        },
      },
      {},
    );
    const [crd, main] = h.ofType(RELEASE_TYPE);
    for (const r of [crd, main]) {
      expect(r.inputs, r.name).to.deep.include({
        namespace: "multus-system",
        timeout: 900,
        skipAwait: true,
        cleanupOnFail: true,
      });
      expect(unwrapSecret(r.inputs.repositoryOpts)).to.deep.equal({
        repo: "https://charts.mirror.example/rke2",
      });
    }
    expect(crd.inputs.name).to.equal("mx-crd");
    expect(main.inputs.name).to.equal("mx");
    const base = expectedValues(NEW_BIN, "whereabouts");
    expect(main.inputs.values).to.deep.equal({
      config: { cni_conf: { ...(base.config as { cni_conf: object }).cni_conf, logLevel: "debug" } },
      "rke2-whereabouts": {
        ...(base["rke2-whereabouts"] as object),
        image: { repository: "mirror.example/whereabouts" },
      },
      global: { systemDefaultRegistry: "mirror.example" },
    });
    expect((await outputValues(m)).chartValues).to.deep.equal(main.inputs.values);
  });

  it("uses the defaults: kube-system, multus, 300 s, awaiting, rke2-charts", async () => {
    const { h } = await deploy({ k3sVersion: "v1.32.2+k3s1" });
    const main = h.named("multus-release");
    expect(main.inputs).to.deep.include({
      namespace: "kube-system",
      name: "multus",
      timeout: 300,
      skipAwait: false,
    });
    expect(unwrapSecret(main.inputs.repositoryOpts)).to.deep.equal({
      repo: "https://rke2-charts.rancher.io",
    });
  });

  it("outputs the network names, annotations and pod annotations in the order given", async () => {
    const { m } = await deploy({
      k3sVersion: "v1.32.2+k3s1",
      networks: [MACVLAN_WHEREABOUTS, MACVLAN_HOST_LOCAL, IPVLAN_DHCP],
    });
    expect(await outputValues(m)).to.deep.include({
      chartVersion: "v4.3.017",
      releaseStatus: "deployed",
      networkNames: ["macvlan-whereabouts", "macvlan-host-local", "ipvlan-dhcp"],
      networkAnnotations: {
        "macvlan-whereabouts": "default/macvlan-whereabouts@eth1",
        "macvlan-host-local": "apps/macvlan-host-local@net1",
        "ipvlan-dhcp": "default/ipvlan-dhcp",
      },
      podAnnotations: {
        "k8s.v1.cni.cncf.io/networks":
          "default/macvlan-whereabouts@eth1,apps/macvlan-host-local@net1,default/ipvlan-dhcp",
      },
    });
  });

  it("outputs empty annotations without networks", async () => {
    const { m } = await deploy({ k3sVersion: "v1.32.2+k3s1", chart: { version: "4.2.418" } });
    expect(await outputValues(m)).to.deep.include({
      chartVersion: "4.2.418",
      networkNames: [],
      networkAnnotations: {},
      podAnnotations: {},
      cniConfDir: `${DATA_DIR}/agent/etc/cni/net.d`,
    });
  });
});

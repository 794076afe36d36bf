/**
 * The raw `config` escape hatch: a CNI config passed through byte for byte, except the whereabouts
 * configuration_path, which follows the node's layout.
 */
import { expect } from "chai";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import { parseNetwork, PlannedNetwork, renderNetwork } from "../../provider/src/plan/networks";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { dig, parseAt } from "../helpers/dig";

const layoutFor = (tag: string, dataDir = "/var/lib/rancher/k3s"): CniLayout =>
  nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir, flannel: true });
const NEW = layoutFor("v1.32.2+k3s1");
const WHEREABOUTS_CONF = "/var/lib/rancher/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf";
const render = (spec: unknown, layout = NEW): PlannedNetwork =>
  renderNetwork(parseNetwork("networks[0]", spec), layout);

describe("networks: raw `config` escape hatch", () => {
  const raw = (config: string) => ({ name: "raw", config });

  it("passes a config through byte-identical", () => {
    const text =
      '{ "type": "macvlan",  "cniVersion":"0.4.0", "ipam": {"type":"host-local","subnet":"10.9.0.0/24"} }\n';
    expect(render(raw(text)).config).to.equal(text);
    expect(parseNetwork("n", raw(text)).ipamType).to.equal("host-local");
  });

  it("passes a whereabouts config that has its configuration_path through byte-identical", () => {
    const text = JSON.stringify({
      type: "macvlan",
      ipam: { type: "whereabouts", range: "10.8.0.0/24", configuration_path: "/etc/x.conf" },
    });
    expect(render(raw(text)).config).to.equal(text);
  });

  it("injects configuration_path into a whereabouts config that lacks it", () => {
    const config = {
      cniVersion: "1.0.0",
      type: "ipvlan",
      master: "eth1",
      ipam: { type: "whereabouts", range: "10.7.0.0/24" },
    };
    const spec = parseNetwork("n", raw(JSON.stringify(config)));
    expect(spec.ipamType).to.equal("whereabouts");
    const planned = renderNetwork(spec, layoutFor("v1.32.2+k3s1", "/srv/k3s"));
    const path = "/srv/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf";
    expect(JSON.parse(planned.config)).to.deep.equal({
      ...config,
      ipam: { ...config.ipam, configuration_path: path },
    });
  });

  it("injects configuration_path into the whereabouts plugin of a conflist, and asks for whereabouts", () => {
    const config = {
      cniVersion: "1.0.0",
      name: "chain",
      plugins: [
        { type: "macvlan", master: "eth1", ipam: { type: "whereabouts", range: "10.6.0.0/24" } },
        { type: "tuning", sysctl: { "net.ipv4.conf.all.arp_notify": "1" } },
      ],
    };
    const spec = parseNetwork("n", raw(JSON.stringify(config)));
    expect(spec.ipamType).to.equal("whereabouts");
    const got = parseAt(render(raw(JSON.stringify(config))), "config");
    config.plugins[0].ipam = {
      ...config.plugins[0].ipam,
      configuration_path: WHEREABOUTS_CONF,
    } as (typeof config.plugins)[0]["ipam"];
    expect(got).to.deep.equal(config);
  });

  it("renders one conflist spec for two layouts, each with its own path, leaving the spec as it was", () => {
    const text = JSON.stringify({
      plugins: [{ type: "macvlan", ipam: { type: "whereabouts", range: "10.5.0.0/24" } }],
    });
    const spec = parseNetwork("n", raw(text));
    const before = JSON.stringify(spec);
    const paths = [NEW, layoutFor("v1.32.2+k3s1", "/srv/k3s")].map((l) =>
      dig(parseAt(renderNetwork(spec, l), "config"), "plugins", 0, "ipam", "configuration_path"),
    );
    expect(paths).to.deep.equal([
      WHEREABOUTS_CONF,
      "/srv/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf",
    ]);
    expect(JSON.stringify(spec)).to.equal(before);
  });

  it("passes a conflist without whereabouts through byte-identical", () => {
    const text = JSON.stringify({
      cniVersion: "1.0.0",
      name: "c",
      plugins: [{ type: "bridge", bridge: "br1", ipam: { type: "dhcp" } }],
    });
    expect(render(raw(text)).config).to.equal(text);
    expect(parseNetwork("n", raw(text)).ipamType).to.equal("dhcp");
  });
});

/** Validation of the component's other inputs: paths, nodes (and their secrets), chart settings, requirements. */
import { expect } from "chai";
import { DEFAULT_CHART_REPOSITORY, DEFAULT_CHART_VERSION } from "../../provider/src/plan/chart";
import { PlanArgs, validateInputs } from "../../provider/src/plan/plan";
import { expectMultusError } from "../helpers/errors";

const PIN = { k3sVersion: "v1.32.2+k3s1" };
const SECRET = "SECRET-KEY-MATERIAL-5f2c";

describe("validation: inputs", () => {
  describe("absolute, shell-safe paths", () => {
    const bad: unknown[] = [
      "/var/lib/k3s;reboot",
      "/var/lib/$(id)",
      "/var/lib/`id`",
      "/var/lib/'k3s'",
      '/var/lib/"k3s"',
      "/var/lib/k3s\nreboot",
      "/var/lib/k3s dir",
      "/var/lib/*",
      "var/lib/rancher/k3s",
      "./k3s",
      "/var/lib/../../etc",
      "/var/lib/./k3s",
      "",
      42,
    ];
    for (const field of ["k3sDataDir", "cniBinDir", "cniConfDir"] as const) {
      for (const input of bad) {
        it(`${field} ${JSON.stringify(input)}`, () => {
          expectMultusError(() => validateInputs({ ...PIN, [field]: input }), {
            field,
            input,
            allowed: "absolute path",
          });
        });
      }
      it(`${field} "/" is refused`, () => {
        expectMultusError(() => validateInputs({ ...PIN, [field]: "/" }), { field, input: "/" });
      });
    }

    it("accepts safe paths and drops a trailing slash", () => {
      const v = validateInputs({
        ...PIN,
        k3sDataDir: "/srv/k3s/",
        cniBinDir: "/opt/cni/bin",
        cniConfDir: "/etc/cni/net.d/",
      });
      expect([v.k3sDataDir, v.overrides.cniBinDir, v.overrides.cniConfDir]).to.deep.equal([
        "/srv/k3s",
        "/opt/cni/bin",
        "/etc/cni/net.d",
      ]);
    });
  });

  describe("nodes", () => {
    /** Each refused node list with the field, input, `allowed` fragment and message fragments of its error. */
    // prettier-ignore
    const rows: { name: string; nodes: unknown[]; field: string; input: unknown; allowed: string; message?: string[] }[] = [
      { name: "host with ;", nodes: [{ host: "node1;reboot" }], field: "nodes[0].host", input: "node1;reboot", allowed: "host name or IP address" },
      { name: "host $(id)", nodes: [{ host: "$(id)" }], field: "nodes[0].host", input: "$(id)", allowed: "host name or IP address" },
      { name: "host with backticks", nodes: [{ host: "`id`" }], field: "nodes[0].host", input: "`id`", allowed: "host name or IP address" },
      { name: "host with a space", nodes: [{ host: "node 1" }], field: "nodes[0].host", input: "node 1", allowed: "host name or IP address" },
      { name: "host with a newline", nodes: [{ host: "node1\nreboot" }], field: "nodes[0].host", input: "node1\nreboot", allowed: "host name or IP address" },
      { name: "host that is an ssh option", nodes: [{ host: "-oProxyCommand=sh" }], field: "nodes[0].host", input: "-oProxyCommand=sh", allowed: "host name" },
      { name: "host with a user", nodes: [{ host: "root@node1" }], field: "nodes[0].host", input: "root@node1", allowed: "host name" },
      { name: "empty host", nodes: [{ host: "" }], field: "nodes[0].host", input: "", allowed: "host name" },
      { name: "missing host", nodes: [{ user: "root" }], field: "nodes[0].host", input: undefined, allowed: "host name" },
      { name: "duplicate hosts", nodes: [{ host: "a" }, { host: "b" }, { host: "a" }], field: "nodes[2].host", input: "a", allowed: "also nodes[0]", message: ["is a duplicate"] },
      { name: "duplicate default names", nodes: [{ host: "a.example" }, { host: "a-example" }], field: "nodes[1].name", input: "a-example", allowed: "also nodes[0]" },
      { name: "duplicate names", nodes: [{ host: "a", name: "x" }, { host: "b", name: "x" }], field: "nodes[1].name", input: "x", allowed: "set `name` on one of them" },
      { name: "port 0", nodes: [{ host: "a", port: 0 }], field: "nodes[0].port", input: 0, allowed: "from 1 to 65535" },
      { name: "port 65536", nodes: [{ host: "a", port: 65536 }], field: "nodes[0].port", input: 65536, allowed: "from 1 to 65535" },
      { name: "port as a string", nodes: [{ host: "a", port: "22" }], field: "nodes[0].port", input: "22", allowed: "whole number" },
      { name: "port 22.5", nodes: [{ host: "a", port: 22.5 }], field: "nodes[0].port", input: 22.5, allowed: "whole number" },
      { name: "user with ;", nodes: [{ host: "a", user: "root;id" }], field: "nodes[0].user", input: "root;id", allowed: "POSIX user name" },
      { name: "user that is an option", nodes: [{ host: "a", user: "-l" }], field: "nodes[0].user", input: "-l", allowed: "POSIX user name" },
      { name: "user with a space", nodes: [{ host: "a", user: "k3s admin" }], field: "nodes[0].user", input: "k3s admin", allowed: "POSIX user name" },
      { name: "user of 33", nodes: [{ host: "a", user: "u".repeat(33) }], field: "nodes[0].user", input: "u".repeat(33), allowed: "at most 32" },
      { name: "bad name", nodes: [{ host: "a", name: "Node_1" }], field: "nodes[0].name", input: "Node_1", allowed: "DNS-1123 label" },
      { name: "sudo as a string", nodes: [{ host: "a", sudo: "yes" }], field: "nodes[0].sudo", input: "yes", allowed: "true or false" },
      { name: "dialErrorLimit 1001", nodes: [{ host: "a", dialErrorLimit: 1001 }], field: "nodes[0].dialErrorLimit", input: 1001, allowed: "from -1 to 1000" },
      { name: "perDialTimeout 0", nodes: [{ host: "a", perDialTimeout: 0 }], field: "nodes[0].perDialTimeout", input: 0, allowed: "from 1 to 3600" },
      { name: "hostKey a number", nodes: [{ host: "a", hostKey: 5 }], field: "nodes[0].hostKey", input: 5, allowed: "a string" },
      { name: "a node that is a string", nodes: ["node1"], field: "nodes[0]", input: "node1", allowed: "expected an object" },
    ];
    for (const { name, nodes, field, input, allowed, message } of rows) {
      it(`${name}: ${field}`, () =>
        expectMultusError(() => validateInputs({ nodes }), { field, input, allowed, message }));
    }

    it("refuses more than 5000 nodes", () => {
      const nodes = Array.from({ length: 5001 }, (_, i) => ({ host: `n${i}` }));
      expectMultusError(() => validateInputs({ nodes }), { field: "nodes", input: "(5001 items)" });
    });

    it("accepts host names and addresses and derives unique names", () => {
      const nodes = [
        { host: "10.0.0.12", user: "ubuntu", port: 2222, sudo: true },
        { host: "fd00::10", user: "deploy.bot" },
        { host: "CP-1.k3s.lan.", privateKey: SECRET, password: "pw", privateKeyPassword: "pp" },
        { host: "worker", name: "w1", dialErrorLimit: -1, perDialTimeout: 30, hostKey: "ssh-ed25519 AAAA" },
      ];
      expect(validateInputs({ nodes }).nodes).to.deep.equal([
        { host: "10.0.0.12", name: "10-0-0-12", sudo: true },
        { host: "fd00::10", name: "fd00-10", sudo: false },
        { host: "CP-1.k3s.lan.", name: "cp-1-k3s-lan", sudo: false },
        { host: "worker", name: "w1", sudo: false },
      ]);
    });

    describe("never echo credentials", () => {
      /** Each refused credential with the field and the (hidden) input its error must carry. */
      // prettier-ignore
      const rows: { name: string; nodes: unknown; field: string; input: unknown }[] = [
        { name: "a privateKey object", nodes: [{ host: "a", privateKey: { pem: SECRET } }], field: "nodes[0].privateKey", input: "(secret)" },
        { name: "a privateKey Buffer", nodes: [{ host: "a", privateKey: Buffer.from(SECRET) }], field: "nodes[0].privateKey", input: "(secret)" },
        { name: "a password list", nodes: [{ host: "a", password: [SECRET] }], field: "nodes[0].password", input: "(secret)" },
        { name: "a privateKeyPassword number", nodes: [{ host: "a", privateKeyPassword: 5_200_000 }], field: "nodes[0].privateKeyPassword", input: "(secret)" },
        { name: "a misspelt privateKey", nodes: [{ host: "a", privatekey: SECRET }], field: "nodes[0].privatekey", input: "(hidden: may hold credentials)" },
        { name: "a misspelt password", nodes: [{ host: "a", passwd: SECRET }], field: "nodes[0].passwd", input: "(hidden: may hold credentials)" },
        { name: "one node instead of a list", nodes: { host: "a", privateKey: SECRET }, field: "nodes", input: "(hidden: may hold credentials)" },
        { name: "a nested list", nodes: [[{ host: "a", privateKey: SECRET }]], field: "nodes[0]", input: "(hidden: may hold credentials)" },
        { name: "a proxy given as a URL", nodes: [{ host: "a", proxy: `http://u:${SECRET}@jump` }], field: "nodes[0].proxy", input: "(hidden: may hold credentials)" },
        { name: "a misspelt proxy password", nodes: [{ host: "a", proxy: { host: "jump", pasword: SECRET } }], field: "nodes[0].proxy.pasword", input: "(hidden: may hold credentials)" },
      ];
      for (const { name, nodes, field, input } of rows) {
        it(`${name}: ${field}`, () => {
          const err = expectMultusError(() => validateInputs({ nodes }), { field, input });
          expect(err.message).not.to.include(SECRET);
          expect(err.message).not.to.include("5200000");
        });
      }
    });
  });

  describe("chart settings", () => {
    // prettier-ignore
    const rows: { name: string; chart: unknown; field: string; input: unknown; allowed: string }[] = [
      { name: "version latest", chart: { version: "latest" }, field: "chart.version", input: "latest", allowed: DEFAULT_CHART_VERSION },
      { name: "version below v4.0.0", chart: { version: "v3.9.3-build2023010903" }, field: "chart.version", input: "v3.9.3-build2023010903", allowed: "use v4.1.002" },
      { name: "version as a number", chart: { version: 4.3 }, field: "chart.version", input: 4.3, allowed: "rke2-multus chart version such as" },
      { name: "repository ftp", chart: { repository: "ftp://charts.example" }, field: "chart.repository", input: "ftp://charts.example", allowed: "http(s) or oci URL" },
      { name: "repository with ;", chart: { repository: `${DEFAULT_CHART_REPOSITORY};id` }, field: "chart.repository", input: `${DEFAULT_CHART_REPOSITORY};id`, allowed: "URL" },
      { name: "repository with $()", chart: { repository: "https://x.example/$(id)" }, field: "chart.repository", input: "https://x.example/$(id)", allowed: "URL" },
      { name: "repository without scheme", chart: { repository: "rke2-charts.rancher.io" }, field: "chart.repository", input: "rke2-charts.rancher.io", allowed: "URL" },
      { name: "repository a number", chart: { repository: 443 }, field: "chart.repository", input: 443, allowed: "URL" },
      { name: "release name upper-case", chart: { releaseName: "Multus" }, field: "chart.releaseName", input: "Multus", allowed: "Helm release name" },
      { name: "release name ending in -", chart: { releaseName: "multus-" }, field: "chart.releaseName", input: "multus-", allowed: "Helm release name" },
      { name: "release name of 47", chart: { releaseName: "m".repeat(47) }, field: "chart.releaseName", input: "m".repeat(47), allowed: "at most 46" },
      { name: "empty release name", chart: { releaseName: "" }, field: "chart.releaseName", input: "", allowed: "Helm release name" },
      { name: "namespace with _", chart: { namespace: "kube_system" }, field: "chart.namespace", input: "kube_system", allowed: "DNS-1123 label" },
      { name: "timeout 0", chart: { timeout: 0 }, field: "chart.timeout", input: 0, allowed: "from 1 to 86400" },
      { name: "timeout 86401", chart: { timeout: 86401 }, field: "chart.timeout", input: 86401, allowed: "from 1 to 86400" },
      { name: "timeout 1.5", chart: { timeout: 1.5 }, field: "chart.timeout", input: 1.5, allowed: "whole number" },
      { name: "timeout as a string", chart: { timeout: "300" }, field: "chart.timeout", input: "300", allowed: "whole number" },
      { name: "skipAwait as a string", chart: { skipAwait: "no" }, field: "chart.skipAwait", input: "no", allowed: "true or false" },
      { name: "misspelt key, not echoed", chart: { verison: "v4.3.017" }, field: "chart.verison", input: "(hidden: may hold credentials)", allowed: "only the keys version, repository" },
      { name: "values a list", chart: { values: [] }, field: "chart.values", input: [], allowed: "expected an object" },
      { name: "chart a string", chart: "v4.3.017", field: "chart", input: "v4.3.017", allowed: "expected an object" },
    ];
    for (const { name, chart, field, input, allowed } of rows) {
      it(`${name}: ${field}`, () =>
        expectMultusError(() => validateInputs({ ...PIN, chart }), { field, input, allowed }));
    }

    it("applies defaults", () => {
      expect(validateInputs(PIN).chart).to.deep.equal({
        version: { text: DEFAULT_CHART_VERSION, semver: "4.3.17" },
        repository: DEFAULT_CHART_REPOSITORY,
        namespace: "kube-system",
        releaseName: "multus",
        values: undefined,
        timeout: 300,
        skipAwait: false,
      });
    });

    const accepted: Record<string, unknown>[] = [
      { repository: "oci://registry.lan/charts" },
      { repository: "http://10.0.0.5:8080/charts/rke2" },
      { releaseName: "m".repeat(46), timeout: 1, skipAwait: true },
      { version: "v4.2.418", namespace: "multus-system", timeout: 86400, values: { global: {} } },
    ];
    for (const chart of accepted) {
      it(`accepts ${JSON.stringify(chart)}`, () => {
        const got = validateInputs({ ...PIN, chart }).chart as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(chart))
          expect(key === "version" ? (got.version as { text: string }).text : got[key], key).to.deep.equal(
            value,
          );
      });
    }
  });

  describe("what validateInputs requires", () => {
    // prettier-ignore
    const rows: { name: string; args: PlanArgs; field: string; input: unknown; allowed: string; message?: string[] }[] = [
      { name: "nothing at all", args: {}, field: "nodes", input: undefined, allowed: "give nodes to detect K3s on, or pin k3sVersion", message: ["is empty"] },
      { name: "an empty node list", args: { nodes: [] }, field: "nodes", input: [], allowed: "pin k3sVersion (or both cniBinDir and cniConfDir)" },
      { name: "one dir without a version", args: { cniBinDir: "/opt/cni/bin" }, field: "nodes", input: undefined, allowed: "both cniBinDir and cniConfDir" },
      { name: "a bad version", args: { k3sVersion: "latest" }, field: "k3sVersion", input: "latest", allowed: "v1.32.2+k3s1" },
      { name: "cleanupOnDestroy without nodes", args: { ...PIN, cleanupOnDestroy: true }, field: "cleanupOnDestroy", input: true, allowed: "give nodes to clean up, or set cleanupOnDestroy to false" },
      { name: "cleanupOnDestroy not a boolean", args: { nodes: [{ host: "a" }], cleanupOnDestroy: "yes" }, field: "cleanupOnDestroy", input: "yes", allowed: "true or false" },
      { name: "an unknown IPAM plugin", args: { ...PIN, ipam: ["whereabouts", "calico"] }, field: "ipam[1]", input: "calico", allowed: '"host-local", "whereabouts", "dhcp"' },
      { name: "static as a chart IPAM plugin", args: { ...PIN, ipam: ["static"] }, field: "ipam[0]", input: "static", allowed: '"dhcp"' },
      { name: "ipam not a list", args: { ...PIN, ipam: "dhcp" }, field: "ipam", input: "dhcp", allowed: "a list" },
      { name: "ipam of four", args: { ...PIN, ipam: ["dhcp", "dhcp", "dhcp", "dhcp"] }, field: "ipam", input: "(4 items)", allowed: "at most 3" },
    ];
    for (const { name, args, field, input, allowed, message } of rows) {
      it(`${name}: ${field}`, () =>
        expectMultusError(() => validateInputs(args), { field, input, allowed, message }));
    }
  });
});

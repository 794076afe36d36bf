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
    /** [case, nodes, field, input, fragment of `allowed`, fragments of the message] */
    // prettier-ignore
    const rows: [string, unknown[], string, unknown, string, string[]?][] = [
      ["host with ;", [{ host: "node1;reboot" }], "nodes[0].host", "node1;reboot", "host name or IP address"],
      ["host $(id)", [{ host: "$(id)" }], "nodes[0].host", "$(id)", "host name or IP address"],
      ["host with backticks", [{ host: "`id`" }], "nodes[0].host", "`id`", "host name or IP address"],
      ["host with a space", [{ host: "node 1" }], "nodes[0].host", "node 1", "host name or IP address"],
      ["host with a newline", [{ host: "node1\nreboot" }], "nodes[0].host", "node1\nreboot", "host name or IP address"],
      ["host that is an ssh option", [{ host: "-oProxyCommand=sh" }], "nodes[0].host", "-oProxyCommand=sh", "host name"],
      ["host with a user", [{ host: "root@node1" }], "nodes[0].host", "root@node1", "host name"],
      ["empty host", [{ host: "" }], "nodes[0].host", "", "host name"],
      ["missing host", [{ user: "root" }], "nodes[0].host", undefined, "host name"],
      ["duplicate hosts", [{ host: "a" }, { host: "b" }, { host: "a" }], "nodes[2].host", "a", "also nodes[0]", ["is a duplicate"]],
      ["duplicate default names", [{ host: "a.example" }, { host: "a-example" }], "nodes[1].name", "a-example", "also nodes[0]"],
      ["duplicate names", [{ host: "a", name: "x" }, { host: "b", name: "x" }], "nodes[1].name", "x", "set `name` on one of them"],
      ["port 0", [{ host: "a", port: 0 }], "nodes[0].port", 0, "from 1 to 65535"],
      ["port 65536", [{ host: "a", port: 65536 }], "nodes[0].port", 65536, "from 1 to 65535"],
      ["port as a string", [{ host: "a", port: "22" }], "nodes[0].port", "22", "whole number"],
      ["port 22.5", [{ host: "a", port: 22.5 }], "nodes[0].port", 22.5, "whole number"],
      ["user with ;", [{ host: "a", user: "root;id" }], "nodes[0].user", "root;id", "POSIX user name"],
      ["user that is an option", [{ host: "a", user: "-l" }], "nodes[0].user", "-l", "POSIX user name"],
      ["user with a space", [{ host: "a", user: "k3s admin" }], "nodes[0].user", "k3s admin", "POSIX user name"],
      ["user of 33", [{ host: "a", user: "u".repeat(33) }], "nodes[0].user", "u".repeat(33), "at most 32"],
      ["bad name", [{ host: "a", name: "Node_1" }], "nodes[0].name", "Node_1", "DNS-1123 label"],
      ["sudo as a string", [{ host: "a", sudo: "yes" }], "nodes[0].sudo", "yes", "true or false"],
      ["dialErrorLimit 1001", [{ host: "a", dialErrorLimit: 1001 }], "nodes[0].dialErrorLimit", 1001, "from -1 to 1000"],
      ["perDialTimeout 0", [{ host: "a", perDialTimeout: 0 }], "nodes[0].perDialTimeout", 0, "from 1 to 3600"],
      ["hostKey a number", [{ host: "a", hostKey: 5 }], "nodes[0].hostKey", 5, "a string"],
      ["a node that is a string", ["node1"], "nodes[0]", "node1", "expected an object"],
    ];
    for (const [name, nodes, field, input, allowed, message] of rows) {
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
      /** [case, nodes, field, input the error must carry] */
      // prettier-ignore
      const rows: [string, unknown, string, unknown][] = [
        ["a privateKey object", [{ host: "a", privateKey: { pem: SECRET } }], "nodes[0].privateKey", "(secret)"],
        ["a privateKey Buffer", [{ host: "a", privateKey: Buffer.from(SECRET) }], "nodes[0].privateKey", "(secret)"],
        ["a password list", [{ host: "a", password: [SECRET] }], "nodes[0].password", "(secret)"],
        ["a privateKeyPassword number", [{ host: "a", privateKeyPassword: 5_200_000 }], "nodes[0].privateKeyPassword", "(secret)"],
        ["a misspelt privateKey", [{ host: "a", privatekey: SECRET }], "nodes[0].privatekey", "(hidden: may hold credentials)"],
        ["a misspelt password", [{ host: "a", passwd: SECRET }], "nodes[0].passwd", "(hidden: may hold credentials)"],
        ["one node instead of a list", { host: "a", privateKey: SECRET }, "nodes", "(hidden: may hold credentials)"],
        ["a nested list", [[{ host: "a", privateKey: SECRET }]], "nodes[0]", "(hidden: may hold credentials)"],
        ["a proxy given as a URL", [{ host: "a", proxy: `http://u:${SECRET}@jump` }], "nodes[0].proxy", "(hidden: may hold credentials)"],
        ["a misspelt proxy password", [{ host: "a", proxy: { host: "jump", pasword: SECRET } }], "nodes[0].proxy.pasword", "(hidden: may hold credentials)"],
      ];
      for (const [name, nodes, field, input] of rows) {
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
    const rows: [string, unknown, string, unknown, string][] = [
      ["version latest", { version: "latest" }, "chart.version", "latest", DEFAULT_CHART_VERSION],
      ["version below v4.0.0", { version: "v3.9.3-build2023010903" }, "chart.version", "v3.9.3-build2023010903", "use v4.1.002"],
      ["version as a number", { version: 4.3 }, "chart.version", 4.3, "rke2-multus chart version such as"],
      ["repository ftp", { repository: "ftp://charts.example" }, "chart.repository", "ftp://charts.example", "http(s) or oci URL"],
      ["repository with ;", { repository: `${DEFAULT_CHART_REPOSITORY};id` }, "chart.repository", `${DEFAULT_CHART_REPOSITORY};id`, "URL"],
      ["repository with $()", { repository: "https://x.example/$(id)" }, "chart.repository", "https://x.example/$(id)", "URL"],
      ["repository without scheme", { repository: "rke2-charts.rancher.io" }, "chart.repository", "rke2-charts.rancher.io", "URL"],
      ["repository a number", { repository: 443 }, "chart.repository", 443, "URL"],
      ["release name upper-case", { releaseName: "Multus" }, "chart.releaseName", "Multus", "Helm release name"],
      ["release name ending in -", { releaseName: "multus-" }, "chart.releaseName", "multus-", "Helm release name"],
      ["release name of 47", { releaseName: "m".repeat(47) }, "chart.releaseName", "m".repeat(47), "at most 46"],
      ["empty release name", { releaseName: "" }, "chart.releaseName", "", "Helm release name"],
      ["namespace with _", { namespace: "kube_system" }, "chart.namespace", "kube_system", "DNS-1123 label"],
      ["timeout 0", { timeout: 0 }, "chart.timeout", 0, "from 1 to 86400"],
      ["timeout 86401", { timeout: 86401 }, "chart.timeout", 86401, "from 1 to 86400"],
      ["timeout 1.5", { timeout: 1.5 }, "chart.timeout", 1.5, "whole number"],
      ["timeout as a string", { timeout: "300" }, "chart.timeout", "300", "whole number"],
      ["skipAwait as a string", { skipAwait: "no" }, "chart.skipAwait", "no", "true or false"],
      ["misspelt key, not echoed", { verison: "v4.3.017" }, "chart.verison", "(hidden: may hold credentials)", "only the keys version, repository"],
      ["values a list", { values: [] }, "chart.values", [], "expected an object"],
      ["chart a string", "v4.3.017", "chart", "v4.3.017", "expected an object"],
    ];
    for (const [name, chart, field, input, allowed] of rows) {
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
    const rows: [string, PlanArgs, string, unknown, string, string[]?][] = [
      ["nothing at all", {}, "nodes", undefined, "give nodes to detect K3s on, or pin k3sVersion", ["is empty"]],
      ["an empty node list", { nodes: [] }, "nodes", [], "pin k3sVersion (or both cniBinDir and cniConfDir)"],
      ["one dir without a version", { cniBinDir: "/opt/cni/bin" }, "nodes", undefined, "both cniBinDir and cniConfDir"],
      ["a bad version", { k3sVersion: "latest" }, "k3sVersion", "latest", "v1.32.2+k3s1"],
      ["cleanupOnDestroy without nodes", { ...PIN, cleanupOnDestroy: true }, "cleanupOnDestroy", true, "give nodes to clean up, or set cleanupOnDestroy to false"],
      ["cleanupOnDestroy not a boolean", { nodes: [{ host: "a" }], cleanupOnDestroy: "yes" }, "cleanupOnDestroy", "yes", "true or false"],
      ["an unknown IPAM plugin", { ...PIN, ipam: ["whereabouts", "calico"] }, "ipam[1]", "calico", '"host-local", "whereabouts", "dhcp"'],
      ["static as a chart IPAM plugin", { ...PIN, ipam: ["static"] }, "ipam[0]", "static", '"dhcp"'],
      ["ipam not a list", { ...PIN, ipam: "dhcp" }, "ipam", "dhcp", "a list"],
      ["ipam of four", { ...PIN, ipam: ["dhcp", "dhcp", "dhcp", "dhcp"] }, "ipam", "(4 items)", "at most 3"],
    ];
    for (const [name, args, field, input, allowed, message] of rows) {
      it(`${name}: ${field}`, () =>
        expectMultusError(() => validateInputs(args), { field, input, allowed, message }));
    }
  });
});

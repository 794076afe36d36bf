/**
 * Bad input and misuse of `k3s-multus`: the component's own error message on stderr with exit
 * status 2, usage errors with status 64, and no credential from the inputs file ever printed.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { cli, CliResult, REPO, runComponent, tempFile } from "./helpers";
import { OWNER } from "../helpers/k3sfixtures";

const NEW = "v1.32.2+k3s1";
const HOSTILE = "/x;rm -rf /";

/** Expects exit status 2 and one `k3s-multus: <field>: ...` line; returns the message after the prefix. */
function inputError(r: CliResult, field: string): string {
  expect(r.stdout, "stdout").to.equal("");
  expect(r.status, `exit status (stderr: ${r.stderr})`).to.equal(2);
  expect(r.stderr.startsWith(`k3s-multus: ${field}: `), r.stderr).to.equal(true);
  expect(r.stderr.endsWith("\n")).to.equal(true);
  expect(r.stderr.trimEnd().split("\n"), "one line").to.have.length(1);
  return r.stderr.slice("k3s-multus: ".length).trimEnd();
}

const macvlan = (name: string, range: string) => ({
  name,
  type: "macvlan",
  ipam: { type: "whereabouts", range },
});

/** Inputs the component refuses: the CLI must refuse them with the component's message. */
const BAD: {
  name: string;
  inputs: Record<string, unknown>;
  flags?: [string, string, string];
  field: string;
}[] = [
  {
    name: "a network without ipam",
    inputs: { networks: [{ name: "a", type: "macvlan" }] },
    field: "networks[0].ipam",
  },
  {
    name: "an unknown network type",
    inputs: { networks: [{ name: "a", type: "vxlan" }] },
    field: "networks[0].type",
  },
  {
    name: "overlapping ranges",
    inputs: { networks: [macvlan("a", "10.1.0.0/16"), macvlan("b", "10.1.2.0/24")] },
    field: "networks[1].ipam.range",
  },
  {
    name: "a bridge on flannel's cni0",
    inputs: { networks: [{ name: "a", type: "bridge", bridge: "cni0", ipam: { type: "dhcp" } }] },
    field: "networks[0].bridge",
  },
  {
    name: "a hostile CNI bin dir flag",
    inputs: {},
    flags: ["--cni-bin-dir", "cniBinDir", HOSTILE],
    field: "cniBinDir",
  },
  { name: "a hostile data dir in the file", inputs: { k3sDataDir: HOSTILE }, field: "k3sDataDir" },
  {
    name: "a K3s version that is not one",
    inputs: {},
    flags: ["--k3s-version", "k3sVersion", "1.32"],
    field: "k3sVersion",
  },
  { name: "an unknown chart version", inputs: { chart: { version: "v3.9.0" } }, field: "chart.version" },
  {
    name: "chart values that cannot work on K3s",
    inputs: { chart: { values: { thickPlugin: { enabled: true } } } },
    field: "chart.values.thickPlugin.enabled",
  },
  { name: "cleanupOnDestroy without nodes", inputs: { cleanupOnDestroy: true }, field: "cleanupOnDestroy" },
  { name: "a node with a hostile host", inputs: { nodes: [{ host: "a;reboot" }] }, field: "nodes[0].host" },
];

describe("cli: bad input gives the component's error, exit status 2", function () {
  for (const b of BAD) {
    it(b.name, async function () {
      const flags = b.flags ?? ["--k3s-version", "k3sVersion", NEW];
      const file = tempFile("inputs.yaml", stringify(b.inputs));
      const message = inputError(cli(["render", "-f", file, flags[0], flags[2]]), b.field);
      const run = await runComponent({ ...b.inputs, [flags[1]]: flags[2] });
      if (!run.error) throw new Error("the component accepted the inputs");
      expect(
        run.error.message.endsWith(message),
        `component: ${run.error.message}\ncli: ${message}`,
      ).to.equal(true);
    });
  }

  it("nodes without pinned facts: render cannot detect, and says which flag to pass", function () {
    const file = tempFile("inputs.yaml", stringify({ nodes: [{ host: "node1" }] }));
    expect(inputError(cli(["render", "-f", file]), "k3sVersion")).to.include("--k3s-version");
  });

  it("no nodes and no pinned facts: render says which flag to pass", function () {
    const file = tempFile("inputs.yaml", stringify({ networks: [] }));
    expect(inputError(cli(["render", "-f", file]), "k3sVersion")).to.include("pass --k3s-version");
  });

  it("a YAML syntax error names line, column and what was expected, in words", function () {
    const dup = tempFile("dup.yaml", "k3sVersion: v1.32.2+k3s1\nk3sVersion: v1.32.2+k3s1\n");
    const r = cli(["render", "-f", dup]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/DUPLICATE_KEY at line 2, column 1: expected each key once in a mapping\n$/);
    const tab = tempFile("tab.yaml", "networks:\n\t- name: a\n");
    expect(cli(["render", "-f", tab]).stderr).to.match(/at line 2, column 1: expected [a-z]/);
  });

  it("an unknown input key is refused with did you mean, as the component refuses it", function () {
    const file = tempFile("inputs.yaml", stringify({ cleanupOnDestory: false }));
    const message = inputError(cli(["render", "-f", file, "--k3s-version", NEW]), "cleanupOnDestory");
    expect(message).to.include("(did you mean cleanupOnDestroy?)");
  });

  it("plain http chart repository: a warning on stderr, without the URL", function () {
    const file = tempFile("inputs.yaml", stringify({ chart: { repository: "http://mirror.lan/charts" } }));
    const r = cli(["render", "-f", file, "--k3s-version", NEW, "--values-only"]);
    expect(r.status).to.equal(0);
    expect(r.stderr).to.match(/^k3s-multus: warning: chart.repository is a plain http:\/\/ URL[^\n]*\n$/);
    expect(r.stderr).not.to.include("mirror.lan");
  });

  it("an unknown input key is refused, its value not shown", function () {
    const file = tempFile("inputs.yaml", stringify({ netwroks: [{ name: "VALUE-MARKER" }] }));
    const message = inputError(cli(["render", "-f", file, "--k3s-version", NEW]), "netwroks");
    expect(message).to.include("is not a known input");
    expect(message).not.to.include("VALUE-MARKER");
  });

  it("an inputs file that is not a mapping", function () {
    inputError(cli(["render", "-f", tempFile("inputs.yaml", "- a\n- b\n"), "--k3s-version", NEW]), "inputs");
  });

  it("a missing or unparsable inputs file: exit status 2, position only", function () {
    const missing = cli(["render", "-f", "/nonexistent/inputs.yaml", "--k3s-version", NEW]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.equal(
      "k3s-multus: /nonexistent/inputs.yaml: cannot read the inputs file (ENOENT)\n",
    );
    const bad = tempFile("bad.yaml", "networks:\n  - name: a\n   type: [\n");
    const r = cli(["render", "-f", bad, "--k3s-version", NEW]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(
      /^k3s-multus: .*bad\.yaml: not valid YAML or JSON: [A-Z_]+ at line \d+, column \d+: expected [^\n]+\n$/,
    );
  });

  it("script --command with a hostile directory names the field", function () {
    const CLEANUP = ["script", "cleanup", "--command", "--owner", OWNER];
    inputError(cli(["script", "detect", "--command", "--k3s-data-dir", HOSTILE]), "dataDir");
    inputError(cli([...CLEANUP, "--cni-bin-dir", "/opt", "--cni-conf-dir", "/etc/cni/net.d"]), "binDir");
    inputError(cli([...CLEANUP, "--cni-bin-dir", "/opt/cni/bin", "--cni-conf-dir", HOSTILE]), "confDir");
    const dirs = ["--cni-bin-dir", "/opt/cni/bin", "--cni-conf-dir", "/etc/cni/net.d"];
    inputError(cli(["script", "cleanup", "--command", ...dirs, "--owner", "not-hex"]), "owner");
    inputError(cli(["script", "claim", "--command", "--cni-conf-dir", HOSTILE, "--owner", OWNER]), "confDir");
  });
});

describe("cli: credentials in the inputs file are never printed", function () {
  const MARK = "S3CR3T-MARKER";
  const node = {
    host: "node1.example.com",
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${MARK}-key\n-----END OPENSSH PRIVATE KEY-----\n`,
    privateKeyPassword: `${MARK}-passphrase`,
    password: `${MARK}-password`,
    proxy: { host: "jump.example.com", privateKey: `${MARK}-proxy-key`, password: `${MARK}-proxy-password` },
  };
  const chart = { repositoryUsername: `${MARK}-user`, repositoryPassword: `${MARK}-repo` };
  const base = { nodes: [node], chart, kubeconfig: `apiVersion: v1\n# ${MARK}-kubeconfig\n` };
  const cases: { name: string; text: string; status: number }[] = [
    { name: "a valid render", text: stringify(base), status: 0 },
    {
      name: "a later input is wrong",
      text: stringify({ ...base, networks: [{ name: "a", type: "macvlan" }] }),
      status: 2,
    },
    {
      name: "a YAML syntax error next to the key",
      text: `nodes:\n  - host: n1\n    privateKey: |\n      ${MARK}-key\n   bad: [\n`,
      status: 2,
    },
    {
      name: "a misspelt credential key",
      text: stringify({ nodes: [{ host: "n1", privatekey: `${MARK}-key` }] }),
      status: 2,
    },
    {
      name: "a credential at the top level",
      text: stringify({ ...base, password: `${MARK}-top` }),
      status: 2,
    },
    { name: "nodes as a mapping", text: stringify({ nodes: node }), status: 2 },
    {
      name: "a misspelt chart credential",
      text: stringify({ chart: { repositoryPasword: `${MARK}-repo` } }),
      status: 2,
    },
    {
      name: "a credential of the wrong type",
      text: stringify({ nodes: [{ host: "n1", password: [`${MARK}-pw`] }] }),
      status: 2,
    },
    {
      name: "a proxy with a bad host",
      text: stringify({ nodes: [{ ...node, proxy: { ...node.proxy, host: "a b" } }] }),
      status: 2,
    },
    {
      name: "kubeconfig of the wrong type",
      text: stringify({ ...base, kubeconfig: { token: `${MARK}-token` } }),
      status: 2,
    },
    { name: "the inputs as a list", text: stringify([base]), status: 2 },
  ];
  for (const c of cases) {
    it(c.name, function () {
      for (const format of ["yaml", "json"]) {
        const r = cli(["render", "-f", tempFile("inputs.yaml", c.text), "--k3s-version", NEW, "-o", format]);
        expect(r.status, r.stderr).to.equal(c.status);
        expect(r.stdout + r.stderr).not.to.include(MARK);
      }
    });
  }
});

describe("cli: usage", function () {
  const usage: { args: string[]; says: RegExp }[] = [
    { args: [], says: /render or script/ },
    { args: ["deploy"], says: /unknown command "deploy"/ },
    { args: ["render", "--k3s-versoin", NEW], says: /Unknown option '--k3s-versoin'/ },
    { args: ["render", "--k3s-version"], says: /--k3s-version/ },
    { args: ["render", "extra"], says: /unexpected argument "extra"/ },
    { args: ["render", "--values-only", "--manifests-only"], says: /exclude each other/ },
    { args: ["render", "-o", "xml"], says: /-o must be one of yaml, json/ },
    { args: ["render", "--chart", "rke2-multus"], says: /--chart goes with --values-only/ },
    { args: ["render", "--values-only", "--chart", "cilium"], says: /--chart must be one of/ },
    { args: ["script"], says: /detect, claim or cleanup/ },
    { args: ["script", "install"], says: /unknown script "install"/ },
    { args: ["script", "detect", "--sudo"], says: /--sudo goes with --command/ },
    {
      args: ["script", "detect", "--command", "--cni-bin-dir", "/opt/cni/bin"],
      says: /--cni-bin-dir does not apply/,
    },
    { args: ["script", "cleanup", "--command"], says: /give --cni-bin-dir, --cni-conf-dir and --owner/ },
    { args: ["script", "claim", "--command"], says: /give --cni-conf-dir and --owner/ },
    { args: ["script", "detect", "extra"], says: /unexpected argument "extra"/ },
  ];
  for (const u of usage) {
    it(`k3s-multus ${u.args.join(" ")} → exit status 64 with the usage text`, function () {
      const r = cli(u.args);
      expect(r.status).to.equal(64);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.match(/^k3s-multus: /);
      expect(r.stderr).to.match(u.says);
      expect(r.stderr).to.include("Usage:\n  k3s-multus render");
    });
  }

  for (const args of [["--help"], ["-h"], ["help"], ["render", "--help"], ["script", "detect", "-h"]]) {
    it(`k3s-multus ${args.join(" ")} prints the usage text, exit status 0`, function () {
      const r = cli(args);
      expect(r.status).to.equal(0);
      expect(r.stderr).to.equal("");
      expect(r.stdout).to.match(/^Usage:\n {2}k3s-multus render /);
    });
  }

  it("k3s-multus --version prints the package version", function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "provider/package.json"), "utf8")) as {
      version: string;
    };
    expect(cli(["--version"])).to.deep.equal({ status: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("the bin starts with a shebang and package.json points at it", function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "provider/package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin["k3s-multus"]).to.equal("bin/cli.js");
    expect(
      fs.readFileSync(path.join(REPO, "provider/bin/cli.js"), "utf8").startsWith("#!/usr/bin/env node\n"),
    ).to.equal(true);
  });
});

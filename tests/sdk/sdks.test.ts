/**
 * SDK tests (`npm run test:sdk`, run by .ci/run; they need the Go module proxy and PyPI): the
 * Python, Go, .NET and Node.js SDKs are generated from the checked-in sdk/schema.json by
 * scripts/gen-sdks.sh into a temporary directory (none is checked in), then:
 *
 * - Python: the SDK builds as a wheel, installs beside the pinned `pulumi`, and registers Multus
 *   under Pulumi's mocks with the inputs the engine would receive (camelCase, the key secret);
 *   every name examples/python uses exists in it.
 * - Go: the generated module compiles and vets; examples/go builds against it through its
 *   `replace` (the directory `pulumi package add` writes).
 * - .NET: every type, enum member and property the docs' C# uses is declared by the generated
 *   code (no .NET toolchain here, so it is not compiled).
 *
 * The SDKs come from the schema, and tests/provider/schema.test.ts fails when the schema drifts
 * from the source: a change that breaks an SDK, an example or the docs fails here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { cleanup, REPO, run, tempDir } from "../pack/project";

const SCHEMA = JSON.parse(fs.readFileSync(path.join(REPO, "sdk/schema.json"), "utf8")) as {
  name: string;
  version: string;
  repository: string;
};
/** The Pulumi SDK version the repository pins (package-lock), also used for Go and Python. */
const PULUMI_VERSION = (
  JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }
).version;
const GO_MODULE = `${SCHEMA.repository.replace(/^https:\/\//, "")}/sdk/go`;

/** Copies a directory tree. */
function copy(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

describe("sdk: generated from sdk/schema.json", function () {
  this.timeout(45 * 60_000);
  let out: string;

  before(function () {
    out = tempDir("sdk");
    run("bash", ["scripts/gen-sdks.sh", "--out", out], REPO);
  });
  after(() => cleanup(out));

  it("generates python, go, dotnet and nodejs, each naming the package and its version", function () {
    const plugin = (file: string) => JSON.parse(fs.readFileSync(path.join(out, file), "utf8")) as unknown;
    const expected = { resource: true, name: SCHEMA.name, version: SCHEMA.version };
    expect(plugin("python/pulumi_k3s_multus/pulumi-plugin.json")).to.deep.equal(expected);
    expect(plugin("go/k3smultus/pulumi-plugin.json")).to.deep.equal(expected);
    expect(plugin("dotnet/pulumi-plugin.json")).to.deep.equal(expected);
    expect(fs.existsSync(path.join(out, "nodejs/multus.ts"))).to.equal(true);
    expect(fs.readFileSync(path.join(out, "go/go.mod"), "utf8")).to.match(new RegExp(`^module ${GO_MODULE}$`, "m"));
  });

  describe("python", function () {
    let venv: string;
    let python: string;
    let wheel: string;

    before(function () {
      venv = tempDir("venv");
      run("python3", ["-m", "venv", venv], venv);
      python = path.join(venv, "bin/python");
      run(python, ["-m", "pip", "wheel", "-q", "--no-deps", path.join(out, "python"), "-w", path.join(venv, "dist")], venv);
      [wheel] = fs.readdirSync(path.join(venv, "dist"));
      run(python, ["-m", "pip", "install", "-q", path.join(venv, "dist", wheel), `pulumi==${PULUMI_VERSION}`], venv);
    });
    after(() => cleanup(venv));

    it("builds a wheel of the schema's version", function () {
      expect(wheel).to.equal(`pulumi_k3s_multus-${SCHEMA.version}-py3-none-any.whl`);
    });

    it("registers Multus under mocks with the inputs the engine receives, and reads its outputs", function () {
      const r = run(python, [path.join(__dirname, "check_python_sdk.py")], venv);
      const report = JSON.parse(r.stdout) as {
        registered: { type: string; name: string; inputs: Record<string, unknown> }[];
        outputs: Record<string, unknown>;
      };
      expect(report.registered.map((x) => `${x.type}::${x.name}`)).to.deep.equal(["k3s-multus:index:Multus::multus"]);
      const inputs = report.registered[0].inputs;
      // One secret element makes the list secret: the key is never sent in the clear.
      expect(inputs.nodes).to.deep.equal({
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        value: [
          { host: "10.0.0.11", privateKey: "not-a-real-key", user: "root" },
          { host: "10.0.0.12", privateKey: "not-a-real-key", user: "root" },
        ],
      });
      expect(inputs.networks).to.deep.equal([
        {
          interface: "eth1",
          ipam: { gateway: "172.17.0.1", range: "172.17.0.0/24", type: "whereabouts" },
          master: "eth0",
          mode: "bridge",
          name: "macvlan-whereabouts",
          type: "macvlan",
        },
      ]);
      expect(inputs.chart).to.deep.equal({ skipAwait: true, version: "v4.3.017" });
      expect(report.outputs).to.deep.equal({
        chart_version: "v4.3.017",
        cni_bin_dir: "/var/lib/rancher/k3s/data/cni",
        network_names: ["macvlan-whereabouts"],
        pod_annotations: { "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1" },
        status: {
          fields: { name: "multus", namespace: "kube-system", revision: 2, status: "deployed" },
          type: "dict",
        },
      });
    });

    it("has every name examples/python uses", function () {
      const example = fs.readFileSync(path.join(REPO, "examples/python/__main__.py"), "utf8");
      const moduleNames = [...new Set([...example.matchAll(/\bk3s_multus\.(\w+)/g)].map((m) => m[1]))];
      const outputs = [...new Set([...example.matchAll(/\bmultus\.(\w+)/g)].map((m) => m[1]))];
      expect(moduleNames).to.include("Multus");
      expect(outputs.length).to.be.greaterThan(3);
      const check = [
        "import json, pulumi_k3s_multus as m",
        `mod = ${JSON.stringify(moduleNames)}`,
        `outs = ${JSON.stringify(outputs)}`,
        "print(json.dumps([n for n in mod if not hasattr(m, n)] + [o for o in outs if not isinstance(getattr(m.Multus, o, None), property)]))",
      ].join("\n");
      expect(JSON.parse(run(python, ["-c", check], venv).stdout)).to.deep.equal([]);
    });
  });

  describe("go", function () {
    let work: string;
    before(() => (work = tempDir("go")));
    after(() => cleanup(work));

    it("the generated module compiles and vets", function () {
      const mod = path.join(work, "sdk");
      copy(path.join(out, "go"), mod);
      run("go", ["get", `github.com/pulumi/pulumi/sdk/v3@v${PULUMI_VERSION}`], mod);
      run("go", ["mod", "tidy"], mod);
      run("go", ["build", "./..."], mod);
      run("go", ["vet", "./..."], mod);
    });

    it("examples/go builds against it through its replace", function () {
      const example = path.join(work, "example");
      copy(path.join(REPO, "examples/go"), example);
      const goMod = fs.readFileSync(path.join(example, "go.mod"), "utf8");
      expect(goMod).to.include(`replace ${GO_MODULE} => ./sdks/k3s-multus`);
      copy(path.join(out, "go"), path.join(example, "sdks/k3s-multus"));
      run("go", ["mod", "tidy"], example);
      run("go", ["build", "-o", path.join(work, "example-bin"), "."], example);
      run("go", ["vet", "."], example);
      expect(fs.statSync(path.join(work, "example-bin")).size).to.be.greaterThan(1_000_000);
    });
  });

  describe("dotnet", function () {
    /** Every C# source of the generated SDK, as one text. */
    const sources = () =>
      fs
        .readdirSync(path.join(out, "dotnet"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".cs"))
        .map((f) => fs.readFileSync(path.join(out, "dotnet", f), "utf8"))
        .join("\n");

    /** The ```csharp blocks of README.md and docs/*.md. */
    const snippets = () =>
      ["README.md", ...fs.readdirSync(path.join(REPO, "docs")).map((f) => `docs/${f}`)]
        .filter((f) => f.endsWith(".md"))
        .flatMap((f) => [...fs.readFileSync(path.join(REPO, f), "utf8").matchAll(/^```csharp\n([\s\S]*?)^```$/gm)])
        .map((m) => m[1]);

    it("declares every namespace, type, enum member and property the docs' C# uses", function () {
      const code = sources();
      const blocks = snippets();
      expect(blocks.length, "C# snippets in the docs").to.be.greaterThan(0);
      const text = blocks.join("\n");
      const missing: string[] = [];
      for (const [, ns] of text.matchAll(/^using (Pulumi\.K3sMultus[\w.]*);/gm))
        if (!new RegExp(`^namespace ${ns.replace(/\./g, "\\.")}$`, "m").test(code)) missing.push(`namespace ${ns}`);
      for (const [, type] of text.matchAll(/\bnew (\w+)\s*(?:\{|\()/g))
        if (!["Config", "Dictionary"].includes(type) && !new RegExp(`public (?:sealed |partial )*class ${type}\\b`).test(code))
          missing.push(`class ${type}`);
      for (const [, type, member] of text.matchAll(/\b(NetworkType|IpamType|IpamPlugin)\.(\w+)/g))
        if (!new RegExp(`public static ${type} ${member} \\{`).test(code)) missing.push(`${type}.${member}`);
      for (const [, prop] of text.matchAll(/\b([A-Z]\w*) = /g))
        if (!new RegExp(`public [\\w.<>?]+ ${prop}\\b`).test(code)) missing.push(`property ${prop}`);
      for (const [, prop] of text.matchAll(/\bmultus\.([A-Z]\w*)/g))
        if (!new RegExp(`public Output<[^>]+>+ ${prop} \\{`).test(code)) missing.push(`output ${prop}`);
      expect(missing).to.deep.equal([]);
    });
  });
});

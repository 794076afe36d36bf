/**
 * Pack-and-install tests (`npm run test:pack`, run by .ci/run; they need the npm registry): the
 * provider is `npm pack`ed and the tarball installed into fresh projects outside the repository,
 * the way a TypeScript user installs k3s-multus:
 *
 * - one project at the lowest @pulumi/pulumi, @pulumi/kubernetes and @pulumi/command that
 *   provider/package.json's ranges admit, one at the newest published in them (on this Node);
 * - in each, the consumer program (tests/pack/consumer) is type-checked by the project's own tsc
 *   and run under `pulumi.runtime.setMocks`, with two detected nodes; its report is checked value
 *   by value; `npx k3s-multus render` must print the golden file;
 * - each project must hold a single copy of each @pulumi package (the ranges are shared, not
 *   nested).
 *
 * And the tarball as a plugin archive: extracted, `npm install`ed as `pulumi package add` does
 * (its `prepare` rebuilds bin/ from src/), started as the engine starts it, it serves the checked-in
 * schema and constructs the component.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { FakeEngine } from "../provider/engine";
import { PluginProcess } from "../provider/plugin";
import {
  cleanup,
  installedCopies,
  lowestVersions,
  makeConsumer,
  newestVersions,
  packProvider,
  PROVIDER_DIR,
  REPO,
  run,
  SHARED_PACKAGES,
  tempDir,
  Versions,
} from "./project";

const GOLDEN_INPUTS = path.join(REPO, "tests/golden/render/macvlan-whereabouts.inputs.yaml");
const GOLDEN_RENDER = path.join(REPO, "tests/golden/render/macvlan-whereabouts.yaml");
const SDK_SCHEMA = path.join(REPO, "sdk/schema.json");
const DATA = "/var/lib/rancher/k3s";

/** The consumer program's report (tests/pack/consumer/index.ts). */
interface Report {
  pulumiVersion: string;
  isComponent: boolean;
  k3sVersions: Record<string, string>;
  cniBinDir: string;
  cniConfDir: string;
  chartVersion: string;
  releaseStatus: string;
  status: Record<string, unknown>;
  networkNames: string[];
  podAnnotation: string;
  refused: string;
  registered: string[];
  releases: { chart: string; version: string; namespace: string }[];
  nadConfig: { ipam: Record<string, unknown>; type: string; master: string }[];
}

const ROWS: { name: string; versions: () => Versions; inferSchema: boolean }[] = [
  // The lowest @pulumi/pulumi predates provider/experimental: no schema inference there (a
  // TypeScript consumer does not need it; the plugin's own install gets the newest).
  { name: "lowest supported versions", versions: lowestVersions, inferSchema: false },
  { name: "newest published versions", versions: newestVersions, inferSchema: true },
];

describe("pack: the npm tarball installed into fresh projects", function () {
  this.timeout(15 * 60_000);
  let packDir: string;
  let tarball: string;
  let files: string[];

  before(function () {
    packDir = tempDir("pack");
    ({ tarball, files } = packProvider(packDir));
  });
  after(() => cleanup(packDir));

  it("holds the plugin, the schema, the CLI, the node scripts and the licence, and no tests", function () {
    for (const f of [
      "LICENSE",
      "PulumiPlugin.yaml",
      "package.json",
      "bin/plugin.js",
      "bin/index.js",
      "bin/index.d.ts",
      "bin/cli.js",
      "bin/schema.json",
      "scripts/detect.sh",
      "scripts/cleanup.sh",
      "scripts/lib.sh",
      "tsconfig.json",
    ])
      expect(files, f).to.include(f);
    expect(files.filter((f) => f.startsWith("tests/") || f.includes("node_modules"))).to.deep.equal([]);
    expect(fs.readFileSync(path.join(PROVIDER_DIR, "LICENSE"), "utf8")).to.equal(
      fs.readFileSync(path.join(REPO, "LICENSE"), "utf8"),
    );
  });

  for (const row of ROWS) {
    describe(row.name, function () {
      let versions: Versions;
      let dir: string;
      let report: Report;

      before(function () {
        versions = row.versions();
        console.log(`      ${SHARED_PACKAGES.map((p) => `${p}@${versions[p]}`).join(", ")}`);
        dir = makeConsumer(tarball, versions);
      });
      after(() => cleanup(dir));

      it("installs one copy of each @pulumi package, the project's own", function () {
        for (const p of SHARED_PACKAGES)
          expect(installedCopies(dir, p), p).to.deep.equal({ [`node_modules/${p}`]: versions[p] });
      });

      it("type-checks the consumer program with the project's tsc (strict, library checks on)", function () {
        run("npx", ["tsc", "-p", "."], dir);
        expect(fs.existsSync(path.join(dir, "bin/index.js"))).to.equal(true);
      });

      it("runs it under mocks: detection, releases, NAD and outputs hold the real values", function () {
        const r = run("node", ["bin/index.js"], dir);
        report = JSON.parse(r.stdout) as Report;
        expect(report.pulumiVersion).to.equal(versions["@pulumi/pulumi"]);
        expect(report.isComponent).to.equal(true);
        expect(report.k3sVersions).to.deep.equal({
          "10.0.0.11": "v1.32.2+k3s1",
          "10.0.0.12": "v1.32.2+k3s1",
        });
        expect(report.cniBinDir).to.equal(`${DATA}/data/cni`);
        expect(report.cniConfDir).to.equal(`${DATA}/agent/etc/cni/net.d`);
        expect(report.chartVersion).to.equal("v4.3.017");
        expect(report.releaseStatus).to.equal("deployed");
        expect(report.status).to.deep.equal({
          name: "multus",
          namespace: "kube-system",
          revision: 1,
          version: "v4.3.017",
          status: "deployed",
        });
        expect(report.networkNames).to.deep.equal(["macvlan-whereabouts"]);
        expect(report.podAnnotation).to.equal("default/macvlan-whereabouts@eth1");
        expect(report.refused).to.match(/^MultusError: networks\[0\]\.name: "Bad_Name" is not allowed/);
        expect(report.registered).to.deep.equal([
          "command:remote:Command::multus-claim-10-0-0-11",
          "command:remote:Command::multus-claim-10-0-0-12",
          "command:remote:Command::multus-cleanup-10-0-0-11",
          "command:remote:Command::multus-cleanup-10-0-0-12",
          "command:remote:Command::multus-detect-10-0-0-11",
          "command:remote:Command::multus-detect-10-0-0-12",
          "k3s-multus:index:Multus::multus",
          "kubernetes:helm.sh/v3:Release::multus-crd",
          "kubernetes:helm.sh/v3:Release::multus-release",
          "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition::multus-nad-macvlan-whereabouts",
        ]);
        expect(report.releases).to.deep.equal([
          { chart: "rke2-multus-crd", version: "4.3.017", namespace: "kube-system" },
          { chart: "rke2-multus", version: "v4.3.017", namespace: "kube-system" },
        ]);
        expect(report.nadConfig).to.have.length(1);
        expect(report.nadConfig[0].ipam).to.deep.equal({
          type: "whereabouts",
          range: "172.17.0.0/24",
          gateway: "172.17.0.1",
          // whereabouts does not skip the gateway itself: the component excludes it.
          exclude: ["172.17.0.1/32"],
          configuration_path: `${DATA}/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf`,
        });
      });

      it("npx k3s-multus render prints the golden file", function () {
        const r = run(
          "npx",
          ["k3s-multus", "render", "-f", GOLDEN_INPUTS, "--k3s-version", "v1.32.2+k3s1"],
          dir,
        );
        expect(r.stdout).to.equal(fs.readFileSync(GOLDEN_RENDER, "utf8"));
      });

      if (row.inferSchema)
        it("this @pulumi/pulumi infers the same schema from the packaged source", function () {
          run("node", ["node_modules/k3s-multus/tools/gen-schema.js", "--check", SDK_SCHEMA], dir);
        });
    });
  }

  describe("as a plugin archive (extracted, installed as `pulumi package add` does)", function () {
    let dir: string;
    let pluginDir: string;
    let engine: FakeEngine | undefined;
    let plugin: PluginProcess | undefined;

    before(function () {
      dir = tempDir("archive");
      run("tar", ["-xzf", tarball, "-C", dir], dir);
      pluginDir = path.join(dir, "package");
      fs.rmSync(path.join(pluginDir, "bin"), { recursive: true });
      // With scripts: `prepare` compiles src/ and regenerates bin/schema.json, as on a consumer's machine.
      run("npm", ["install", "--no-audit", "--no-fund"], pluginDir);
    });
    after(async () => {
      await plugin?.stop();
      await engine?.stop();
      cleanup(dir);
    });

    it("rebuilds bin/ from the shipped source, schema byte for byte the checked-in one", function () {
      expect(fs.readFileSync(path.join(pluginDir, "bin/schema.json"), "utf8")).to.equal(
        fs.readFileSync(SDK_SCHEMA, "utf8"),
      );
    });

    it("starts as the engine starts it, serves the schema and constructs Multus", async function () {
      engine = await FakeEngine.start();
      plugin = await PluginProcess.start({ pluginDir, cwd: dir, engineAddress: engine.engineAddress });
      expect(JSON.parse(await plugin.getSchema())).to.deep.equal(
        JSON.parse(fs.readFileSync(SDK_SCHEMA, "utf8")),
      );
      engine.outputsFor = (r) =>
        r.type === "kubernetes:helm.sh/v3:Release"
          ? {
              status: {
                name: "multus",
                namespace: "kube-system",
                revision: 3,
                version: "v4.3.017",
                status: "deployed",
              },
            }
          : undefined;
      const res = await plugin.construct(
        "archive",
        {
          k3sVersion: "v1.30.5+k3s1",
          networks: [
            {
              name: "macvlan-a",
              type: "macvlan",
              master: "eth0",
              ipam: { type: "whereabouts", range: "10.10.0.0/24" },
            },
          ],
        },
        { monitorAddress: engine.monitorAddress },
      );
      expect(res.urn).to.equal("urn:pulumi:dev::provider-test::k3s-multus:index:Multus::archive");
      expect(res.state.cniBinDir).to.equal(`${DATA}/data/current/bin`);
      expect(res.state.chartVersion).to.equal("v4.3.017");
      expect(res.state.status).to.deep.equal({
        name: "multus",
        namespace: "kube-system",
        revision: 3,
        version: "v4.3.017",
        status: "deployed",
      });
      expect(engine.registrations.map((r) => r.type)).to.include(
        "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition",
      );
    });
  });
});

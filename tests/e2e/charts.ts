/**
 * Scenario 8 of the end-to-end suite, the chart versions and their CRDs on the real API server
 * and the real Helm library of the Kubernetes provider (issue 11): the move of the CRDs into
 * rke2-multus-crd on an upgrade from v4.3.008, destroy of a chart whose own CRD has no keep
 * policy, whereabouts added to an existing install, a namespace other than kube-system, and CRDs
 * left by an install whose chart owned them (adopted with take-ownership). Each case runs on a
 * fresh stack of the root program (pinned), from a cluster without the CRDs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse, stringify } from "yaml";
import { E2eEnv } from "./env";
import { errors } from "./env/events";
import { AFTER_GATE } from "./env/fixtures";
import { tool, TOOLS } from "./env/cache";
import { helm, helmList } from "./env/helm";
import { Kube, paths } from "./env/kube";
import { waitFor } from "./env/proc";
import { rootStack, Stack } from "./env/stack";
import { CHARTS_DIR } from "./env";
import { NETWORKS } from "./expect";
import { DEFAULT_CHART_VERSION } from "../../provider/src/plan/chart";

const WHEREABOUTS = NETWORKS[0];
const HOSTLOCAL = NETWORKS[1];
const NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io";
const WHEREABOUTS_CRDS = [
  "ippools.whereabouts.cni.cncf.io",
  "nodeslicepools.whereabouts.cni.cncf.io",
  "overlappingrangeipreservations.whereabouts.cni.cncf.io",
];
const crdPath = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;

interface Meta {
  metadata: {
    uid: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
}

/** The CRD's uid and Helm ownership ("release/namespace", or "none"), or undefined when it is gone. */
async function crdState(kube: Kube, name: string): Promise<{ uid: string; owner: string } | undefined> {
  const crd = await kube.get<Meta>(crdPath(name));
  if (!crd) return undefined;
  const a: Partial<Record<string, string>> = crd.metadata.annotations ?? {};
  const managed = crd.metadata.labels?.["app.kubernetes.io/managed-by"];
  const owner =
    a["meta.helm.sh/release-name"] === undefined
      ? "none"
      : `${a["meta.helm.sh/release-name"]}/${String(a["meta.helm.sh/release-namespace"])}${managed === "Helm" ? "" : " (no managed-by: Helm)"}`;
  return { uid: crd.metadata.uid, owner };
}

/** Deletes the CRDs (and with them every NAD and IP pool) and waits until the API server has. */
async function removeCrds(kube: Kube): Promise<void> {
  for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) await kube.remove(crdPath(name));
  for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
    await waitFor(
      `CRD ${name} deleted`,
      async () => ((await kube.get(crdPath(name))) ? undefined : true),
      60000,
      100,
    );
  }
}

async function foreignNad(kube: Kube, name: string): Promise<string> {
  await kube.create(paths.nads("default"), {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: { name, namespace: "default" },
    spec: { config: '{"cniVersion":"1.0.0","type":"macvlan","master":"eth0"}' },
  });
  return nadUid(kube, "default", name);
}

async function nadUid(kube: Kube, ns: string, name: string): Promise<string> {
  return (await kube.get<Meta>(paths.nad(ns, name)))?.metadata.uid ?? "gone";
}

/** Changes keys of the stack's `chart` config, keeping the rest (the repository credentials, encrypted). */
function editChart(stack: Stack, change: Record<string, unknown>): void {
  const file = path.join(stack.dir, `Pulumi.${stack.name}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
  const key = `${stack.project}:chart`;
  doc.config[key] = Object.fromEntries(
    Object.entries({ ...doc.config[key], ...change }).filter(([, v]) => v !== undefined),
  );
  fs.writeFileSync(file, stringify(doc));
}

/** True when the cached pulumi-resource-kubernetes knows the Release's `takeOwnership` (its schema names it). */
function pluginTakesOwnership(): boolean {
  return fs.readFileSync(tool(TOOLS.kubernetes)).includes("takeOwnership");
}

const pkg = (name: string) => path.join(CHARTS_DIR, "assets/rke2-multus", `${name}.tgz`);

export function chartScenarios(getEnv: () => E2eEnv): void {
  let env: E2eEnv;
  let kube: Kube;
  let work: string;
  const log = (name: string) => path.join(work, `${name}.events.jsonl`);
  const up = async (stack: Stack, name: string) => {
    const r = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log(name)]);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log(name)).join("\n")}`).to.equal(0);
  };
  const destroy = async (stack: Stack, name: string) => {
    const r = await stack.run(["destroy", "--yes", "--skip-preview", "--event-log", log(name)]);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log(name)).join("\n")}`).to.equal(0);
  };
  const newStack = (name: string, networks: unknown[], chart: Record<string, unknown>) =>
    rootStack(env, path.join(work, name), { stack: name, networks, chart, k3sVersion: AFTER_GATE.tag });

  before(() => {
    env = getEnv();
    kube = env.cluster.kube;
    work = fs.mkdtempSync(path.join(env.dir, "charts-"));
  });

  describe("8a. v4.3.008 with whereabouts, upgraded to the default chart", function () {
    let stack: Stack;
    const was: Record<string, string> = {};

    before(async () => {
      await removeCrds(kube);
      stack = await newStack("crd-move", [WHEREABOUTS], { version: "v4.3.008" });
      await up(stack, "move1");
      was.ours = await nadUid(kube, "default", WHEREABOUTS.name);
      was.releases = (await helmList(env.cluster, "kube-system"))
        .map((r) => `${r.name} ${r.status} ${r.chart}`)
        .sort()
        .join(",");
      was.foreign = await foreignNad(kube, "foreign-move");
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
        const st = await crdState(kube, name);
        was[name] = st?.uid ?? "gone";
        was[`${name} owner`] = st?.owner ?? "gone";
      }
      editChart(stack, { version: undefined });
    });

    it("v4.3.008 installed its CRDs through the multus-crd release (its own turned off)", async () => {
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS])
        expect(was[`${name} owner`], name).to.equal("multus-crd/kube-system");
      const releases = await helmList(env.cluster, "kube-system");
      // Before the upgrade: rke2-multus v4.3.008 with the oldest rke2-multus-crd that renders.
      expect(was.releases).to.equal(
        "multus deployed rke2-multus-v4.3.008,multus-crd deployed rke2-multus-crd-4.3.010",
      );
      expect(releases).to.have.length(2);
    });

    it("pulumi up to the default chart succeeds; both releases on it", async () => {
      await up(stack, "move2");
      const releases = await helmList(env.cluster, "kube-system");
      expect(releases.map((r) => `${r.name} ${r.status} ${r.chart}`).sort()).to.deep.equal([
        `multus deployed rke2-multus-${DEFAULT_CHART_VERSION}`,
        `multus-crd deployed rke2-multus-crd-${DEFAULT_CHART_VERSION.replace(/^v/, "")}`,
      ]);
    });

    it("the NAD and whereabouts CRDs are the same objects, now owned by the multus-crd release", async () => {
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
        expect(await crdState(kube, name), name).to.deep.equal({
          uid: was[name],
          owner: "multus-crd/kube-system",
        });
      }
    });

    it("every NAD, ours and the foreign one, survived with its uid", async () => {
      expect(await nadUid(kube, "default", WHEREABOUTS.name)).to.equal(was.ours);
      expect(await nadUid(kube, "default", "foreign-move")).to.equal(was.foreign);
    });

    it("pulumi destroy keeps every CRD and the foreign NAD", async () => {
      await destroy(stack, "move3");
      expect(await kube.get(paths.nad("default", WHEREABOUTS.name))).to.equal(undefined);
      expect(await nadUid(kube, "default", "foreign-move")).to.equal(was.foreign);
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
        expect((await crdState(kube, name))?.uid, name).to.equal(was[name]);
      }
    });
  });

  describe("8b. destroy of a chart below v4.2.410 (its own CRD has no keep policy)", function () {
    let stack: Stack;
    let foreign: string;
    let crdUid: string | undefined;

    before(async () => {
      await removeCrds(kube);
      stack = await newStack("old-crd", [WHEREABOUTS], { version: "v4.2.409" });
      await up(stack, "old1");
      foreign = await foreignNad(kube, "foreign-old");
      crdUid = (await crdState(kube, NAD_CRD))?.uid;
    });

    it("pulumi destroy keeps the NAD CRD and the foreign NAD", async () => {
      await destroy(stack, "old2");
      expect(await kube.get(paths.nad("default", WHEREABOUTS.name))).to.equal(undefined);
      expect((await crdState(kube, NAD_CRD))?.uid).to.equal(crdUid);
      expect(await nadUid(kube, "default", "foreign-old")).to.equal(foreign);
    });
  });

  for (const version of ["v4.3.008", DEFAULT_CHART_VERSION]) {
    describe(`8c. whereabouts added to an existing install (${version})`, function () {
      let stack: Stack;

      before(async () => {
        await removeCrds(kube);
        stack = await newStack(`add-wb-${version.replace(/\W/g, "")}`, [HOSTLOCAL], { version });
        await up(stack, "addwb1");
        for (const name of WHEREABOUTS_CRDS) expect(await crdState(kube, name), name).to.equal(undefined);
        stack.setPlain({ [`${stack.project}:networks`]: [HOSTLOCAL, WHEREABOUTS] });
      });

      after(async () => {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
        await stack?.run(["destroy", "--yes", "--skip-preview"]);
      });

      it("pulumi up with a whereabouts network creates the whereabouts CRDs and the NAD", async () => {
        await up(stack, "addwb2");
        for (const name of WHEREABOUTS_CRDS) expect(await crdState(kube, name), name).to.not.equal(undefined);
        expect(await nadUid(kube, "default", WHEREABOUTS.name)).to.not.equal("gone");
      });
    });
  }

  describe("8d. chart.namespace other than kube-system", function () {
    let stack: Stack;
    const ns = "multus-system";

    before(async () => {
      // A cluster without the CRDs: ones kept by a release in kube-system would need takeOwnership
      // to move to this namespace's release (see docs/charts.md).
      await removeCrds(kube);
      stack = await newStack("namespace", [WHEREABOUTS], { namespace: ns });
    });

    after(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
      await stack?.run(["destroy", "--yes", "--skip-preview"]);
    });

    it("pulumi up creates the namespace and installs both releases there", async () => {
      expect(await kube.get(`/api/v1/namespaces/${ns}`)).to.equal(undefined);
      await up(stack, "ns1");
      expect(await kube.get(`/api/v1/namespaces/${ns}`)).to.not.equal(undefined);
      const releases = await helmList(env.cluster, ns);
      expect(releases.map((r) => `${r.name} ${r.status}`).sort()).to.deep.equal([
        "multus deployed",
        "multus-crd deployed",
      ]);
      expect(await helmList(env.cluster, "kube-system")).to.deep.equal([]);
      const sets = await kube.list<{ metadata: { name: string } }>(paths.daemonsets(ns));
      expect(sets.map((d) => d.metadata.name)).to.include("multus");
    });
  });

  describe("8e. CRDs left by an install whose chart owned them, taken over by the multus-crd release", function () {
    const was: Record<string, string> = {};

    /** What an install of v4.3.008 by the chart alone leaves after `helm uninstall`: the NAD CRD (kept) owned by the release "multus", the Whereabouts CRDs (from crds/) without Helm metadata. */
    const leaveCrds = async () => {
      await removeCrds(kube);
      await helm(env.cluster, [
        "install",
        "multus",
        pkg("rke2-multus-v4.3.008"),
        "-n",
        "kube-system",
        "--set",
        "rke2-whereabouts.enabled=true",
      ]);
      await helm(env.cluster, ["uninstall", "multus", "-n", "kube-system"]);
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
        const st = await crdState(kube, name);
        was[name] = st?.uid ?? "gone";
        was[`${name} owner`] = st?.owner ?? "gone";
      }
      was.foreign = await foreignNad(kube, "foreign-left");
    };

    before(leaveCrds);

    after(async () => {
      await helm(env.cluster, ["uninstall", "multus-crd", "-n", "kube-system"]).catch(() => undefined);
    });

    it("the CRDs left behind: the NAD CRD owned by multus, the Whereabouts CRDs by no release", () => {
      expect(was[`${NAD_CRD} owner`]).to.equal("multus/kube-system");
      for (const name of WHEREABOUTS_CRDS) expect(was[`${name} owner`], name).to.equal("none");
    });

    it("Helm's --take-ownership (helm CLI) adopts them into multus-crd, same objects, NADs kept", async () => {
      await helm(env.cluster, [
        "install",
        "multus-crd",
        pkg(`rke2-multus-crd-${DEFAULT_CHART_VERSION.replace(/^v/, "")}`),
        "-n",
        "kube-system",
        "--set",
        "rke2-whereabouts.enabled=true",
        "--take-ownership",
      ]);
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
        expect(await crdState(kube, name), name).to.deep.equal({
          uid: was[name],
          owner: "multus-crd/kube-system",
        });
      }
      expect(await nadUid(kube, "default", "foreign-left")).to.equal(was.foreign);
      await helm(env.cluster, ["uninstall", "multus-crd", "-n", "kube-system"]);
    });

    it("pulumi up of the default chart over them succeeds (takeOwnership on the Release)", async function () {
      if (!pluginTakesOwnership()) {
        console.warn(
          '      skipped: the cached pulumi-resource-kubernetes (the proxy\'s only revision) has no Release.takeOwnership; it drops the field and Helm refuses the CRDs ("cannot be imported into the current release")',
        );
        this.skip();
      }
      const stack = await newStack("take-over", [WHEREABOUTS], {});
      await up(stack, "take1");
      for (const name of [NAD_CRD, ...WHEREABOUTS_CRDS]) {
        expect((await crdState(kube, name))?.owner, name).to.equal("multus-crd/kube-system");
      }
      expect(await nadUid(kube, "default", "foreign-left")).to.equal(was.foreign);
      await destroy(stack, "take2");
    });
  });
}

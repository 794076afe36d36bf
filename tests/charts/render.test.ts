/**
 * Real Helm against every published rke2-multus: for each version in ../shared/charts/index.yaml,
 * each K3s layout and each IPAM set (tests/charts/matrix.ts), the planning core either refuses the
 * version (naming it, the reason and the nearest good version) or `helm template` of that exact
 * package with the component's values renders DaemonSets that put every file where K3s reads it
 * (tests/charts/verify.ts). The gates must be exact: every refused cell really renders wrong.
 * Needs Helm from the e2e tool cache: fails under CI=true without it, skips elsewhere.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { computeValues, parseChartVersion } from "../../provider/src/plan/chart";
import { requireShared } from "../helpers/shared";
import { requireHelm, templateAll } from "./helm";
import {
  Cell,
  CHARTS_DIR,
  compatTable,
  indexedVersions,
  IPAM_SETS,
  K3S_CASES,
  README,
  runMatrix,
  tableInReadme,
} from "./matrix";
import { K8sObject, parseManifests, PodSpec, verifyMultus } from "./verify";

const label = (c: Cell) => `${c.version} on ${c.k3s.id} with ${c.ipam.join("+")}`;

describe("charts: every published rke2-multus rendered by real Helm", function () {
  this.timeout(600000);
  let cells: Cell[] = [];
  let helm = "";

  before(async function () {
    requireShared(this);
    helm = requireHelm(this);
    const started = Date.now();
    cells = await runMatrix(helm);
    console.log(`      rendered ${cells.length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("covers every rke2-multus version of the index, every K3s layout and every IPAM set", () => {
    const versions = indexedVersions().map((v) => v.version);
    expect(versions.length).to.be.greaterThan(100);
    expect(cells).to.have.lengthOf(versions.length * K3S_CASES.length * IPAM_SETS.length);
    expect([...new Set(cells.map((c) => c.version))]).to.deep.equal(versions);
  });

  it("every combination the planning core accepts renders right", () => {
    const wrong = cells.filter((c) => c.refusal === undefined && c.problems.length > 0);
    expect(wrong.map((c) => `${label(c)}: ${c.problems.join("; ")}`)).to.deep.equal([]);
    expect(cells.filter((c) => c.refusal === undefined).length, "accepted cells").to.be.greaterThan(500);
  });

  it("every combination it refuses really renders wrong (the gates are not stricter than the charts)", () => {
    const needless = cells.filter((c) => c.refusal !== undefined && c.problems.length === 0);
    expect(needless.map(label)).to.deep.equal([]);
  });

  it("every refusal names the version, the reason and the nearest version that works for the same K3s and IPAM", () => {
    const accepted = new Set(
      cells.filter((c) => c.refusal === undefined).map((c) => `${c.version}|${c.k3s.id}|${c.ipam.join("+")}`),
    );
    for (const c of cells.filter((x) => x.refusal !== undefined)) {
      const msg = c.refusal as string;
      expect(msg, label(c)).to.match(
        new RegExp(`^chart\\.version: "${c.version.replace(/\./g, "\\.")}" cannot work on K3s: `),
      );
      expect(msg, label(c)).to.contain(c.reason);
      const nearest = /use (\S+), the nearest published version that works here/.exec(msg)?.[1];
      expect(nearest, `${label(c)}: ${msg}`).to.be.a("string");
      expect(
        accepted.has(`${nearest}|${c.k3s.id}|${c.ipam.join("+")}`),
        `${label(c)}: ${nearest} works there`,
      ).to.equal(true);
    }
  });

  it("the default chart version is accepted everywhere", () => {
    const def = cells.filter((c) => c.version === "v4.3.017");
    expect(def).to.have.lengthOf(K3S_CASES.length * IPAM_SETS.length);
    expect(def.filter((c) => c.refusal !== undefined).map(label)).to.deep.equal([]);
  });

  it("README's compatibility table is what `npm run gen:compat` writes from these renders", () => {
    const table = tableInReadme(fs.readFileSync(README, "utf8"));
    expect(table, "README.md has no compat section; run `npm run gen:compat`").to.be.a("string");
    expect(table, "run `npm run gen:compat`").to.equal(compatTable(cells));
  });

  describe("the structural checks fail on broken manifests (mutations of a real v4.3.017 render)", () => {
    // K3S_CASES[1] is K3s from the gate on, default data dir, flannel on.
    const k = K3S_CASES[1];
    const v = parseChartVersion("v4.3.017");
    let objects: K8sObject[] = [];
    before(async () => {
      const values = computeValues(v, k.layout, ["whereabouts", "dhcp"], k.k3sVersions);
      const tgz = path.join(CHARTS_DIR, "assets/rke2-multus/rke2-multus-v4.3.017.tgz");
      const [r] = await templateAll(helm, [
        { chart: tgz, release: "multus", namespace: "kube-system", values },
      ]);
      if (!r.ok) throw new Error(r.error);
      objects = parseManifests(r.yaml);
    });
    // Each mutation edits one field of the parsed render; a missing object fails the test by name.
    const pod = (o: K8sObject[], name: string): PodSpec => {
      const found = o.find((x) => x.kind === "DaemonSet" && x.metadata?.name === name)?.spec?.template?.spec;
      if (!found) throw new Error(`no DaemonSet ${name} with a pod spec in the render`);
      return found;
    };
    const one = <T>(items: T[] | undefined, match: (item: T) => boolean, what: string): T => {
      const found = items?.find(match);
      if (found === undefined) throw new Error(`no ${what} in the render`);
      return found;
    };
    const first = <T>(items: T[] | undefined, what: string): T => one(items, () => true, what);
    const mutations: { name: string; mutate: (o: K8sObject[]) => void; problem: RegExp }[] = [
      { name: "unmutated", mutate: () => undefined, problem: /^$/ },
      {
        name: "conf dir hostPath moved",
        mutate: (o) => {
          one(pod(o, "multus").volumes, (x) => x.name === "cni", "volume cni").hostPath = {
            path: "/etc/cni/net.d",
          };
        },
        problem: /00-multus\.conflist .* lands on host path \/etc\/cni\/net\.d\/00-multus\.conflist/,
      },
      {
        name: "a duplicate mountPath",
        mutate: (o) => {
          const c = first(pod(o, "multus").containers, "multus container");
          c.volumeMounts?.push({ ...first(c.volumeMounts, "multus volumeMount") });
        },
        problem: /duplicate mountPath/,
      },
      {
        name: "an amd64 pin",
        mutate: (o) => {
          pod(o, "whereabouts").nodeSelector = { "kubernetes.io/arch": "amd64" };
        },
        problem: /pins kubernetes\.io\/arch/,
      },
      {
        name: "the DHCP cleanup removing the container's socket",
        mutate: (o) => {
          first(pod(o, "multus-dhcp").initContainers, "multus-dhcp init container").command = [
            "rm",
            "-f",
            "/run/cni/dhcp.sock",
          ];
        },
        problem: /not the host's \/run\/cni\/dhcp\.sock/,
      },
      {
        name: "Whereabouts' conf dir mounted at /host/etc/cni/net.d",
        mutate: (o) => {
          const c = first(pod(o, "whereabouts").containers, "whereabouts container");
          c.env = c.env?.filter((e) => e.name !== "CNI_CONF_DIR");
          one(c.volumeMounts, (m) => m.name === "cni-net-dir", "volumeMount cni-net-dir").mountPath =
            "/host/etc/cni/net.d";
        },
        problem: /whereabouts\.conf names kubeconfig \/etc\/cni\/net\.d\/whereabouts\.d/,
      },
      {
        name: "a one-dash flag",
        mutate: (o) => {
          first(pod(o, "multus").containers, "multus container").args?.push("-multus-log-to-stderr");
        },
        problem: /"-multus-log-to-stderr" is not a --flag/,
      },
    ];
    for (const m of mutations) {
      it(m.name, () => {
        const copy = JSON.parse(JSON.stringify(objects)) as K8sObject[];
        m.mutate(copy);
        const problems = verifyMultus(copy, k.layout, { whereabouts: true, dhcp: true }).join("\n");
        expect(problems).to.match(m.problem);
      });
    }
  });
});

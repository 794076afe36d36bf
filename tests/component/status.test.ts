/**
 * The `status` output: Helm's status of the rke2-multus release as an object (name, namespace,
 * revision, version, status), beside the string `releaseStatus`. Run under Pulumi mocks whose
 * Release reports the status the engine would (the kubernetes provider's `status` output).
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { loadMultus, stopMocks, valueOf } from "./harness";
import { RELEASE_TYPE } from "./fixtures";

/** Runs a pinned Multus whose releases report `status`; returns both status outputs and the release names. */
async function withReleaseStatus(
  status: (inputs: Record<string, unknown>) => Record<string, unknown>,
  chart: Record<string, unknown> = {},
) {
  const releases: string[] = [];
  await pulumi.runtime.setMocks(
    {
      call: () => ({}),
      newResource: (args) => {
        // MockResourceArgs types inputs as any: read them as the free-form record they are.
        const inputs = args.inputs as Record<string, unknown>;
        const state: Record<string, unknown> = { ...inputs };
        if (args.type === RELEASE_TYPE) {
          releases.push(String(inputs.chart));
          const reported = status(inputs);
          if (Object.keys(reported).length) state.status = reported;
        }
        return { id: `${args.name}-id`, state };
      },
    },
    "project",
    "stack",
    false,
  );
  const { Multus } = loadMultus();
  const m = new Multus("multus", { k3sVersion: "v1.32.2+k3s1", chart });
  const out = { status: await valueOf(m.status), releaseStatus: await valueOf(m.releaseStatus), releases };
  await stopMocks();
  return out;
}

describe("Multus component: status output", function () {
  const rows: {
    name: string;
    chart?: Record<string, unknown>;
    status: (inputs: Record<string, unknown>) => Record<string, unknown>;
    expected: Record<string, unknown>;
  }[] = [
    {
      name: "every field Helm reports, of the rke2-multus release (not the CRD chart's)",
      chart: { namespace: "multus-system", releaseName: "net" },
      status: (i) => ({
        name: i.name,
        namespace: i.namespace,
        revision: i.chart === "rke2-multus" ? 4 : 1,
        version: i.version,
        chart: i.chart,
        appVersion: "v4.3.0",
        status: i.chart === "rke2-multus" ? "deployed" : "superseded",
      }),
      expected: {
        name: "net",
        namespace: "multus-system",
        revision: 4,
        version: "v4.3.017",
        status: "deployed",
      },
    },
    {
      name: "only the status string: the other fields are left out",
      status: () => ({ status: "failed" }),
      expected: { status: "failed" },
    },
  ];
  it("no status reported at all: no status, as releaseStatus, and no failure", async () => {
    const out = await withReleaseStatus(() => ({}));
    expect(out.status).to.equal(undefined);
    expect(out.releaseStatus).to.equal(undefined);
  });
  for (const row of rows) {
    it(row.name, async () => {
      const out = await withReleaseStatus(row.status, row.chart);
      expect(out.releases).to.deep.equal(["rke2-multus-crd", "rke2-multus"]);
      expect(out.status).to.deep.equal(row.expected);
      expect(out.releaseStatus).to.equal(row.expected.status);
    });
  }
});

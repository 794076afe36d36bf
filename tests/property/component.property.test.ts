/**
 * The component against the planning core, on generated inputs with hostile fields: under mocks,
 * the Multus component fails exactly when the core refuses the input, with a ResourceError naming
 * the same field and nothing registered after it (nothing at all for an input error); and when the
 * core plans, the component registers exactly the planned NAD configs and chart values.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import fc from "fast-check";
import { MultusError } from "../../provider/src/errors";
import { parseDetection } from "../../provider/src/plan/detection";
import { clusterLayout, pinnedLayout } from "../../provider/src/plan/layout";
import { MultusPlan, planFor, validateInputs } from "../../provider/src/plan/plan";
import { COMMAND, detectOutput, MULTUS, NAD, RELEASE, runMultus } from "../security/harness";
import * as arb from "./arbitraries";
import { asJson, componentView, RUNS } from "./check";

const DETECTED = detectOutput("v1.32.2+k3s1");

type Expected =
  | { stage: "inputs" | "plan"; error: MultusError }
  | { stage: "ok"; plan: MultusPlan; nodes: number };

/** What the planning core says about these inputs, with every node detecting {@link DETECTED}. */
function expected(args: Record<string, unknown>): Expected {
  let v;
  try {
    v = validateInputs(componentView(args));
  } catch (e) {
    if (e instanceof MultusError) return { stage: "inputs", error: e };
    throw e;
  }
  try {
    const layout = v.pinned
      ? pinnedLayout({ version: v.k3sVersion, dataDir: v.k3sDataDir }, v.overrides)
      : clusterLayout(
          v.nodes.map((n) => parseDetection(n.host, DETECTED)),
          v.overrides,
        );
    return { stage: "ok", plan: planFor(v, layout), nodes: v.nodes.length };
  } catch (e) {
    if (e instanceof MultusError) return { stage: "plan", error: e };
    throw e;
  }
}

describe("property: the component agrees with the planning core", function () {
  this.timeout(60000);

  it("fails where the core refuses (same field, nothing built), registers what it plans otherwise", async () => {
    const stages = { inputs: 0, plan: 0, ok: 0 };
    await fc.assert(
      fc.asyncProperty(arb.hostileArgs, async ({ args }) => {
        const want = expected(args);
        stages[want.stage]++;
        const run = await runMultus(args, { detect: () => DETECTED });
        if (want.stage !== "ok") {
          const messages = run.errors();
          expect(messages.length, `the component fails with ${want.error.message}`).to.be.above(0);
          // The same field and rule (the echo of a garbage value may differ: the SDK copies inputs).
          const all = messages.join("\n");
          expect(all).to.include(`${want.error.field}: `);
          expect(all).to.include(want.error.allowed);
          for (const r of run.rejections)
            expect(pulumi.ResourceError.isInstance(r), String(r)).to.equal(true);
          const built = run.sent.filter(
            (s) => s.type === RELEASE || s.type === NAD || s.name.includes("-cleanup-"),
          );
          expect(
            built.map((s) => s.name),
            "nothing built",
          ).to.deep.equal([]);
          if (want.stage === "inputs")
            expect(
              run.sent.map((s) => s.type),
              "nothing registered",
            ).to.deep.equal([MULTUS]);
          return;
        }
        expect(run.errors(), "no error").to.deep.equal([]);
        const nads = run.created(NAD);
        expect(nads.map((n) => (n.wire.spec as { config: string }).config)).to.deep.equal(
          want.plan.networks.map((n) => n.config),
        );
        const main = run.created(RELEASE).find((r) => r.wire.chart === "rke2-multus");
        expect(main?.wire.values, "rke2-multus values").to.deep.equal(asJson(want.plan.values));
        expect(run.created(RELEASE).map((r) => r.wire.chart)).to.deep.equal(
          want.plan.charts.map((c) => c.chart),
        );
        expect(run.created(COMMAND).filter((c) => c.name.includes("-cleanup-")).length).to.equal(want.nodes);
      }),
      { numRuns: Math.max(20, Math.ceil(RUNS.numRuns / 8)) },
    );
    expect(stages.ok, "runs that planned").to.be.above(0);
    expect(stages.inputs, "runs refused").to.be.above(0);
  });
});

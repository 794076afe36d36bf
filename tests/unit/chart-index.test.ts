/**
 * The generated table of published chart versions (provider/src/plan/chartIndex.ts) matches the
 * repository index in ../shared/charts: regenerate with `npm run gen:chart-index` when it fails.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import { INDEX_FILE, OUTPUT_FILE, renderChartIndex } from "../../scripts/charts/chart-index";
import { requireShared } from "../helpers/shared";

describe("chart index table", () => {
  it("provider/src/plan/chartIndex.ts is what `npm run gen:chart-index` writes from ../shared/charts/index.yaml", async function () {
    requireShared(this);
    const want = await renderChartIndex(fs.readFileSync(INDEX_FILE, "utf8"));
    expect(fs.readFileSync(OUTPUT_FILE, "utf8"), "run `npm run gen:chart-index`").to.equal(want);
  });

  it("the generator fails loudly on an index without rke2-multus-crd", async () => {
    let error: unknown;
    try {
      await renderChartIndex("apiVersion: v1\nentries:\n  rke2-multus:\n  - version: v4.3.017\n");
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.contain("no entries for rke2-multus-crd");
  });
});

/**
 * `npm run gen:compat`: renders every published rke2-multus with real Helm (tests/charts/matrix.ts)
 * and writes the compatibility table (K3s layout × chart version × IPAM) into README.md between
 * the compat markers. tests/charts/render.test.ts fails when README and the renders disagree.
 */
import * as fs from "node:fs";
import { findHelm } from "../../tests/charts/helm";
import { compatTable, README, runMatrix, withTable } from "../../tests/charts/matrix";

async function main(): Promise<void> {
  const helm = findHelm();
  if (!helm) throw new Error("helm not found in the e2e tool cache (see tests/charts/helm.ts)");
  const cells = await runMatrix(helm);
  const broken = cells.filter((c) => (c.refusal === undefined) !== (c.problems.length === 0));
  if (broken.length > 0)
    throw new Error(`${broken.length} cells where the gates and the renders disagree: run the render test`);
  fs.writeFileSync(README, withTable(fs.readFileSync(README, "utf8"), compatTable(cells)));
  console.log(`wrote the compatibility table (${cells.length} cells) into README.md`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * The chart's DaemonSets for other values, rendered by the real Helm CLI from the same chart
 * package the mirror serves (`helm template`): what the cluster would run had the release been
 * installed with those values. The controls use it to run the same chain with a deliberately
 * wrong directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { CHARTS_DIR } from "../e2e/env";
import { tool, TOOLS } from "../e2e/env/cache";
import { runOk } from "../e2e/env/proc";
import { DaemonSet } from "./containers";

/** The DaemonSets of rke2-multus `version` rendered as release `multus` in kube-system with `values`. */
export async function renderDaemonSets(
  dir: string,
  version: string,
  values: unknown,
): Promise<Record<string, DaemonSet>> {
  const file = path.join(dir, `values-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  const tgz = path.join(CHARTS_DIR, "assets/rke2-multus", `rke2-multus-${version}.tgz`);
  const r = await runOk([tool(TOOLS.helm), "template", "multus", tgz, "-n", "kube-system", "-f", file]);
  const out: Record<string, DaemonSet> = {};
  for (const doc of parseAllDocuments(r.stdout)) {
    const o = doc.toJS() as { kind?: string; metadata?: { name: string; namespace?: string } } | null;
    if (o?.kind === "DaemonSet" && o.metadata) {
      const ds = o as unknown as DaemonSet;
      // helm template leaves out the namespace of namespaced objects when the chart does.
      if (!(o.metadata.namespace ?? "")) ds.metadata.namespace = "kube-system";
      out[o.metadata.name] = ds;
    }
  }
  return out;
}

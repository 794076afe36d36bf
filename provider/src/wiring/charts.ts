import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartArgs } from "../args";
import { crdChartVersion, usesCrdChart } from "../plan/chart";
import { MultusPlan, ValidatedInputs } from "../plan/plan";
import { secretLike } from "./inputs";

/** The Helm releases of one Multus: the CRD chart's (where the version has one) and rke2-multus's. */
export interface Releases {
  readonly crd?: k8s.helm.v3.Release;
  readonly multus: k8s.helm.v3.Release;
  /** The rke2-multus values as applied: secret when the user's `chart.values` carry a secret. */
  readonly values: pulumi.Output<Record<string, unknown>>;
}

/** Repository options; credentials, when given, are wrapped as secrets (Release does not do it). */
function repositoryOpts(repository: string, chart: pulumi.Input<ChartArgs> | undefined) {
  return pulumi.output(chart).apply((c) => ({
    repo: repository,
    username: c?.repositoryUsername === undefined ? undefined : pulumi.secret(c.repositoryUsername),
    password: c?.repositoryPassword === undefined ? undefined : pulumi.secret(c.repositoryPassword),
  }));
}

/**
 * Installs the chart(s) of the plan: rke2-multus-crd first (the CRDs, kept on uninstall), then
 * rke2-multus. The first release depends on `after` (the node clean-up Commands), so that on
 * destroy the releases go first.
 *
 * - The rke2-multus-crd version is the plan's (taken from the published index, see
 *   plan/chart.ts `crdChartVersion`), not assumed equal to the rke2-multus version. Before
 *   v4.3.009 rke2-multus installs without its own CRDs (`manifests.customResourceDefinition:
 *   false`, `skipCrds`): below v4.2.410 its NAD CRD has no keep policy, and its Whereabouts CRDs in
 *   `crds/` would never appear when whereabouts is turned on later.
 * - The CRD release takes ownership (`takeOwnership`, as RKE2 does for the same move): on an install
 *   that started before v4.3.009 the NetworkAttachmentDefinition CRD belongs to the rke2-multus
 *   release and the whereabouts CRDs carry no Helm metadata, and Helm refuses to adopt either
 *   ("cannot be imported into the current release") without it.
 * - A namespace other than kube-system is created by Helm (`createNamespace`) if it is missing;
 *   Helm never deletes it. (Whereabouts always runs in kube-system: the subchart pins it.)
 */
export function installCharts(
  prefix: string,
  inputs: ValidatedInputs,
  plan: pulumi.Output<MultusPlan>,
  chartArgs: pulumi.Input<ChartArgs> | undefined,
  opts: pulumi.CustomResourceOptions,
  after: readonly pulumi.Resource[],
): Releases {
  const c = inputs.chart;
  const common = {
    repositoryOpts: repositoryOpts(c.repository, chartArgs),
    namespace: c.namespace,
    timeout: c.timeout,
    skipAwait: c.skipAwait,
    cleanupOnFail: true,
    createNamespace: c.namespace !== "kube-system",
  };
  const chartOf = (name: string) =>
    plan.apply((p) => {
      const found = p.charts.find((ch) => ch.chart === name);
      if (!found) throw new Error(`the plan has no ${name} chart`);
      return found;
    });
  let crd: k8s.helm.v3.Release | undefined;
  if (crdChartVersion(c.version) !== undefined) {
    const crdChart = chartOf("rke2-multus-crd");
    crd = new k8s.helm.v3.Release(
      `${prefix}-crd`,
      {
        ...common,
        chart: "rke2-multus-crd",
        name: crdChart.releaseName,
        version: crdChart.version,
        values: crdChart.values,
        takeOwnership: true,
      },
      { ...opts, dependsOn: [...after] },
    );
  }
  const main = chartOf("rke2-multus");
  const values = secretLike(
    main.values,
    pulumi.output(chartArgs).apply((c) => c?.values),
  );
  const multus = new k8s.helm.v3.Release(
    `${prefix}-release`,
    {
      ...common,
      chart: "rke2-multus",
      name: main.releaseName,
      version: main.version,
      values,
      // Before v4.3.009 the Whereabouts subchart's crds/ (rke2-multus-crd has them, kept).
      skipCrds: !usesCrdChart(c.version),
    },
    { ...opts, dependsOn: crd ? [crd] : [...after] },
  );
  return { crd, multus, values };
}

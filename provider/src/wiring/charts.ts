/**
 * The Helm releases, registered at once from the topology (rke2-multus-crd first where the chart
 * version has one, then rke2-multus); their settings and values follow the chart inputs and the
 * layout as they become known, gated on the check.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartArgs } from "../args";
import { ChartInstall, ChartPlan } from "../plan/chart";
import { ChartInputs } from "../plan/inputs";
import { ReleaseChild } from "../plan/topology";
import { hold } from "./gate";
import { secretLike } from "./inputs";

/** The Helm releases of one Multus: the CRD chart's (where the version has one) and rke2-multus's. */
export interface Releases {
  /** In install order. */
  readonly all: readonly k8s.helm.v3.Release[];
  readonly multus: k8s.helm.v3.Release;
  /** The rke2-multus values as applied: secret when the user's `chart.values` carry a secret. */
  readonly values: pulumi.Output<Record<string, unknown>>;
}

/** Repository options; credentials, when given, are wrapped as secrets (Release does not do it). */
function repositoryOpts(repository: pulumi.Output<string>, chart: pulumi.Input<ChartArgs> | undefined) {
  return pulumi.all([repository, pulumi.output(chart)]).apply(([repo, c]) => ({
    repo,
    username: c?.repositoryUsername === undefined ? undefined : pulumi.secret(c.repositoryUsername),
    password: c?.repositoryPassword === undefined ? undefined : pulumi.secret(c.repositoryPassword),
  }));
}

/** What {@link installCharts} takes. */
export interface ChartWiring {
  readonly releases: readonly ReleaseChild[];
  readonly inputs: pulumi.Output<ChartInputs>;
  readonly plan: pulumi.Output<ChartPlan>;
  readonly chartArgs: pulumi.Input<ChartArgs> | undefined;
  readonly check: pulumi.Output<unknown>;
  /** True from rke2-multus v4.3.009: its Whereabouts CRDs come from rke2-multus-crd. */
  readonly skipCrds: boolean;
}

/**
 * Installs the chart(s) of the plan in order. The first release depends on `after` (the node
 * clean-up Commands), so that on destroy the releases go first.
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
  w: ChartWiring,
  opts: pulumi.CustomResourceOptions,
  after: readonly pulumi.Resource[],
): Releases {
  const settings = hold(w.inputs, w.check).apply((i) => i.chart);
  const common = {
    repositoryOpts: repositoryOpts(settings.repository, w.chartArgs),
    namespace: settings.namespace,
    timeout: settings.timeout,
    skipAwait: settings.skipAwait,
    cleanupOnFail: true,
    createNamespace: settings.namespace.apply((ns) => ns !== "kube-system"),
  };
  const chartOf = (name: string): pulumi.Output<ChartInstall> =>
    w.plan.apply((p) => {
      const found = p.charts.find((ch) => ch.chart === name);
      if (!found) throw new Error(`the plan has no ${name} chart`);
      return found;
    });
  const all: k8s.helm.v3.Release[] = [];
  let values: pulumi.Output<Record<string, unknown>> = pulumi.output({}) as unknown as pulumi.Output<
    Record<string, unknown>
  >;
  for (const r of w.releases) {
    const install = chartOf(r.chart);
    const dependsOn = all.length ? [all[all.length - 1]] : [...after];
    if (r.chart === "rke2-multus-crd") {
      all.push(
        new k8s.helm.v3.Release(
          r.child,
          {
            ...common,
            chart: r.chart,
            name: install.releaseName,
            version: install.version,
            values: hold(install.values, w.check),
            takeOwnership: true,
          },
          { ...opts, dependsOn },
        ),
      );
      continue;
    }
    values = hold(
      secretLike(
        install.values,
        pulumi.output(w.chartArgs).apply((c) => c?.values),
      ),
      w.check,
    ) as unknown as pulumi.Output<Record<string, unknown>>;
    all.push(
      new k8s.helm.v3.Release(
        r.child,
        {
          ...common,
          chart: r.chart,
          name: install.releaseName,
          version: install.version,
          values,
          // Before v4.3.009 the Whereabouts subchart's crds/ (rke2-multus-crd has them, kept).
          skipCrds: w.skipCrds,
        },
        { ...opts, dependsOn },
      ),
    );
  }
  return { all, multus: all[all.length - 1], values };
}

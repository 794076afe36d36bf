/**
 * The `status` output: Helm's status of the rke2-multus release as an object, the shape users of
 * Helm-based Pulumi components know from `helm.v3.Release.status` (and `helm status`).
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Helm's status of a release (a subset of `helm.v3.Release.status`). */
export interface ReleaseStatus {
  /** Name of the release, e.g. `multus`. */
  name?: string;
  /** Namespace of the release, e.g. `kube-system`. */
  namespace?: string;
  /** Helm's revision number of the release: 1 after the install, +1 on every upgrade. */
  revision?: number;
  /** Version of the chart installed, e.g. `v4.3.017`. */
  version?: string;
  /** Status of the release, e.g. `deployed` or `failed`. */
  status: string;
}

type HelmStatus = k8s.types.output.helm.v3.ReleaseStatus;
type ReportedStatus = Partial<HelmStatus> & Pick<HelmStatus, "status">;

/**
 * The release's status, reduced to {@link ReleaseStatus}; fields Helm did not report are left out.
 * A release whose provider reported no status at all gives no status either (as `releaseStatus`
 * then has no value), rather than failing the component's outputs.
 */
export function releaseStatusOf(release: k8s.helm.v3.Release): pulumi.Output<ReleaseStatus> {
  // The provider leaves out what Helm did not report, though the output type marks every field as set.
  return release.status.apply((s: ReportedStatus | undefined) => {
    if (s === undefined) return undefined as unknown as ReleaseStatus;
    const out: ReleaseStatus = { status: s.status };
    if (s.name !== undefined) out.name = s.name;
    if (s.namespace !== undefined) out.namespace = s.namespace;
    if (s.revision !== undefined) out.revision = s.revision;
    if (s.version !== undefined) out.version = s.version;
    return out;
  });
}

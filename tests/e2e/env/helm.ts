/** The real Helm CLI against the loopback API server: releases and their user-supplied values. */
import { tool, TOOLS } from "./cache";
import { Cluster } from "./cluster";
import { runOk } from "./proc";

export interface HelmRelease {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
  app_version: string;
}

/** `helm ARGS` with the cluster's kubeconfig; rejects unless it exits 0. */
export const helm = (cluster: Cluster, args: string[]) =>
  runOk([tool(TOOLS.helm), "--kubeconfig", cluster.kubeconfigFile, ...args], { timeoutMs: 60000 });

/** `helm list -a` in `namespace`. */
export async function helmList(cluster: Cluster, namespace: string): Promise<HelmRelease[]> {
  const r = await helm(cluster, ["list", "-a", "-n", namespace, "-o", "json"]);
  return JSON.parse(r.stdout) as HelmRelease[];
}

/** `helm get values` of a release: exactly the values it was installed with. */
export async function helmValues(cluster: Cluster, namespace: string, name: string): Promise<unknown> {
  const r = await helm(cluster, ["get", "values", name, "-n", namespace, "-o", "json"]);
  return JSON.parse(r.stdout) as unknown;
}

/** `helm history` of a release, as status lines. */
export async function helmHistory(cluster: Cluster, namespace: string, name: string): Promise<string[]> {
  const r = await helm(cluster, ["history", name, "-n", namespace, "-o", "json"]);
  return (JSON.parse(r.stdout) as { revision: number; status: string; chart: string }[]).map(
    (h) => `${h.revision} ${h.status} ${h.chart}`,
  );
}

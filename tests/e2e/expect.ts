/**
 * What the scenarios expect, computed by the planning core (provider/src/plan, pure) from the same
 * inputs the stack config holds: the values each release must have been installed with and the
 * NADs the API server must hold. The scenarios also check literal paths, so a planning bug cannot
 * hide behind this.
 */
import { fromConfDir } from "../../provider/src/plan/layout";
import { MultusPlan, planFor, validateInputs } from "../../provider/src/plan/plan";
import { E2eEnv } from "./env";
import { CONF_DIR, Release } from "./env/fixtures";

/** The networks of the root program's stack in the scenarios: the seed's whereabouts macvlan and a host-local bridge. */
export const NETWORKS = [
  {
    name: "macvlan-whereabouts",
    interface: "eth1",
    type: "macvlan",
    master: "eth0",
    mode: "bridge",
    ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
  },
  {
    name: "bridge-hostlocal",
    namespace: "default",
    interface: "net2",
    type: "bridge",
    bridge: "br-e2e",
    ipam: { type: "host-local", range: "10.77.0.0/24", gateway: "10.77.0.1" },
  },
];

/** The plan for the environment's nodes on `release`, with `networks` and `chart` as in the stack. */
export function expectedPlan(
  env: E2eEnv,
  release: Release,
  networks: unknown[] = NETWORKS,
  chart: Record<string, unknown> = {},
): MultusPlan {
  const inputs = validateInputs({
    ...(env.withNodes
      ? { nodes: env.nodes.map((n) => ({ host: n.host, port: n.port, user: "root", hostKey: n.hostKey })) }
      : { k3sVersion: release.tag }),
    networks,
    chart: { repository: env.charts.url, skipAwait: true, ...chart },
  });
  return planFor(inputs, fromConfDir(release.binDir, CONF_DIR));
}

/** The child resource name of node `i` (its `name` derived from the host, as the component does). */
export function nodeName(env: E2eEnv, i: number): string {
  return validateInputs({ nodes: env.nodes.map((n) => ({ host: n.host })), k3sVersion: "v1.30.5+k3s1" })
    .nodes[i].name;
}

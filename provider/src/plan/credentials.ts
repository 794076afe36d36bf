/**
 * Removing credentials before planning. The component and `k3s-multus render` both plan from the
 * inputs without credentials, so that nothing derived from them (outputs, errors, rendered YAML)
 * can carry one. Each credential is type-checked first, and reported as "(secret)" when wrong.
 */
import { MultusError } from "../errors";
import { stripSecrets } from "./nodes";
import { SECRET } from "./placeholders";

/** The node list without each node's (and its proxy's) credentials; anything not a list as is. */
export function stripNodeCredentials(nodes: unknown): unknown {
  return Array.isArray(nodes) ? nodes.map((n, i) => stripSecrets(`nodes[${i}]`, n)) : nodes;
}

/** The chart settings without the repository credentials; anything not an object as is. */
export function stripChartCredentials(chart: unknown): unknown {
  if (typeof chart !== "object" || chart === null || Array.isArray(chart)) return chart;
  const { repositoryUsername, repositoryPassword, ...rest } = chart as Record<string, unknown>;
  for (const [key, value] of Object.entries({ repositoryUsername, repositoryPassword })) {
    if (value !== undefined && typeof value !== "string") {
      throw new MultusError(`chart.${key}`, SECRET, "expected a string", "has the wrong type");
    }
  }
  return rest;
}

/** True when the chart settings carry repository credentials (checked before they are removed). */
export function hasChartCredentials(chart: unknown): boolean {
  if (typeof chart !== "object" || chart === null || Array.isArray(chart)) return false;
  const c = chart as Record<string, unknown>;
  return c.repositoryUsername !== undefined || c.repositoryPassword !== undefined;
}

/**
 * Reads the engine's event log (`pulumi up --event-log FILE`): which step the engine took for each
 * resource (create, update, replace, delete, same, ...), and the diagnostics it printed.
 */
import * as fs from "node:fs";

interface EngineEvent {
  resourcePreEvent?: { metadata: { op: string; urn: string; type: string; diffs?: string[] } };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
}

export interface Step {
  readonly op: string;
  readonly type: string;
  readonly urn: string;
  readonly diffs: readonly string[];
}

/** The resource name at the end of a URN (`...::multus-detect-127-0-0-1` → `multus-detect-127-0-0-1`). */
export const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

function events(file: string): EngineEvent[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as EngineEvent);
}

/** The steps of a run by resource name; a replacement shows as `replace` (its create/delete halves folded in). */
export function steps(file: string): Map<string, Step> {
  const out = new Map<string, Step>();
  for (const e of events(file)) {
    const m = e.resourcePreEvent?.metadata;
    if (!m) continue;
    const name = urnName(m.urn);
    const op = ["create-replacement", "delete-replaced", "replace"].includes(m.op) ? "replace" : m.op;
    const prev = out.get(name);
    if (prev?.op === "replace" && op !== "replace") continue;
    out.set(name, { op, type: m.type, urn: m.urn, diffs: m.diffs ?? prev?.diffs ?? [] });
  }
  return out;
}

/** The steps as `name op` lines, sorted: a readable, comparable summary. */
export function stepLines(file: string, skip: (s: Step) => boolean = () => false): string[] {
  return [...steps(file).entries()]
    .filter(([, s]) => !skip(s))
    .map(([n, s]) => `${n} ${s.op}`)
    .sort();
}

/** Error diagnostics of the run. */
export function errors(file: string): string[] {
  return events(file)
    .map((e) => e.diagnosticEvent)
    .filter((d): d is NonNullable<typeof d> => d !== undefined && d.severity === "error")
    .map((d) => `${d.urn ? `${urnName(d.urn)}: ` : ""}${d.message}`);
}

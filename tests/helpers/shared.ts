/**
 * Access to the read-only shared material beside the repository (`../shared` from the repo root):
 * the K3s documentation seeds and the real rke2 chart values files. These are read at test time and
 * never copied into the repository.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** `<repo>/../shared`: this file is `<repo>/tests/helpers/shared.ts`. */
export const SHARED_DIR = path.resolve(__dirname, "../../../shared");
export const SEEDS_DIR = path.join(SHARED_DIR, "seeds");
export const CHART_VALUES_DIR = path.join(SHARED_DIR, "chart-values");

/**
 * Returns the shared dir, or stops the current test: on CI (process.env.CI set) a missing shared dir
 * is a failure; elsewhere the test is skipped with a message. Call it with the mocha context
 * (`function () { ... }`, not an arrow function).
 */
export function requireShared(ctx: Mocha.Context): string {
  if (fs.existsSync(SEEDS_DIR) && fs.existsSync(CHART_VALUES_DIR)) return SHARED_DIR;
  const message = `shared material not found at ${SHARED_DIR} (expected seeds/ and chart-values/ beside the repository)`;
  if (process.env.CI) throw new Error(`${message}; on CI it must be present`);
  console.warn(`      skipped: ${message}`);
  ctx.skip();
  throw new Error("unreachable: ctx.skip() throws");
}

/** A file under chart-values/, as text. */
export function readChartFile(name: string): string {
  return fs.readFileSync(path.join(CHART_VALUES_DIR, name), "utf8");
}

/** One documentation seed: its front-matter title and the fenced code blocks of each `<TabItem>`. */
export interface Seed {
  readonly file: string;
  readonly title: string;
  readonly text: string;
  /** TabItem value (`host-local`, `Whereabouts`, `Multus DHCP daemon`) → its fenced blocks, in order. */
  readonly tabs: ReadonlyMap<string, readonly string[]>;
}

const FENCE = /^```[A-Za-z]*\n([\s\S]*?)^```$/gm;
const TAB = /<TabItem value\s*=\s*"([^"]+)"[^>]*>([\s\S]*?)<\/TabItem>/g;

/** The contents of every fenced code block in `markdown`, in order. */
export function fencedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(FENCE)].map((m) => m[1]);
}

/** Reads and splits one seed file. */
export function readSeed(file: string): Seed {
  const text = fs.readFileSync(file, "utf8");
  const title = /^title:\s*"?(.*?)"?\s*$/m.exec(text)?.[1] ?? "";
  const tabs = new Map<string, string[]>();
  for (const m of text.matchAll(TAB)) tabs.set(m[1], fencedBlocks(m[2]));
  return { file, title, text, tabs };
}

/** The seed whose front-matter title is `title`; fails loudly when there is not exactly one. */
export function seedByTitle(title: string): Seed {
  const seeds = fs
    .readdirSync(SEEDS_DIR)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => readSeed(path.join(SEEDS_DIR, f)))
    .filter((s) => s.title === title);
  if (seeds.length !== 1)
    throw new Error(`expected one seed titled ${JSON.stringify(title)}, found ${seeds.length}`);
  return seeds[0];
}

/** The English seed (pre-October-2024 K3s: bin dir `data/current/bin`), plain `multus-values.yaml` blocks. */
export const OLD_SEED_TITLE = "Multus and IPAM plugins";
/** The Portuguese seed (newer K3s: bin dir `data/cni`), HelmChart manifests with `valuesContent`. */
export const NEW_SEED_TITLE = "Plugins Multus e IPAM";

/** The seed tabs and the IPAM plugins each one stands for. */
export const SEED_TABS: readonly { tab: string; ipam: ("host-local" | "whereabouts" | "dhcp")[] }[] = [
  { tab: "host-local", ipam: ["host-local"] },
  { tab: "Whereabouts", ipam: ["whereabouts"] },
  { tab: "Multus DHCP daemon", ipam: ["dhcp"] },
];

/** The values document of a tab of the old (English) seed: the tab's first block, a plain values file. */
export function oldSeedValues(seed: Seed, tab: string): Record<string, unknown> {
  const block = seed.tabs.get(tab)?.[0];
  if (block === undefined) throw new Error(`${seed.file}: no code block in tab ${tab}`);
  return parse(block) as Record<string, unknown>;
}

/** The values of a tab of the new (Portuguese) seed: `spec.valuesContent` of its HelmChart block. */
export function newSeedValues(seed: Seed, tab: string): Record<string, unknown> {
  const chart = (seed.tabs.get(tab) ?? [])
    .map((b) => parse(b) as { kind?: string; spec?: { valuesContent?: string } } | null)
    .find((d) => d?.kind === "HelmChart");
  const content = chart?.spec?.valuesContent;
  if (typeof content !== "string") throw new Error(`${seed.file}: no HelmChart valuesContent in tab ${tab}`);
  return parse(content) as Record<string, unknown>;
}

/** The NetworkAttachmentDefinitions shown in a seed, by name: `spec.config` parsed as JSON. */
export function seedNads(seed: Seed): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const block of fencedBlocks(seed.text)) {
    let doc: { kind?: string; metadata?: { name?: string }; spec?: { config?: string } } | null;
    try {
      doc = parse(block) as typeof doc; // null for an empty block
    } catch {
      continue; // shell snippets and the like
    }
    if (doc?.kind === "NetworkAttachmentDefinition" && doc.metadata?.name && doc.spec?.config)
      out.set(doc.metadata.name, JSON.parse(doc.spec.config));
  }
  return out;
}

/** A values file parsed twice: as is, and with commented-out keys (`#key: value`, `  #key:`) uncommented. */
export interface ChartKeys {
  readonly real: unknown;
  readonly withCommented: unknown;
}

/**
 * Parses a chart values file. Commented-out keys are lines whose `#` is directly followed by a key
 * (`#logToStderr: true`, `    #cniVersion: 1.0.0`); prose comments have a space after `#`.
 */
export function chartKeys(text: string): ChartKeys {
  const uncommented = text
    .split("\n")
    .map((line) => line.replace(/^(\s*)#([A-Za-z_][\w.-]*:(?:\s.*)?)$/, "$1$2"))
    .join("\n");
  return { real: parse(text), withCommented: parse(uncommented) };
}

/** True when `doc` has the key path (each step an own key of a mapping). */
export function hasPath(doc: unknown, path: readonly string[]): boolean {
  let cur = doc;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, key))
      return false;
    cur = (cur as Record<string, unknown>)[key];
  }
  return true;
}

/** The key paths of every leaf (non-object value, array or empty object) of a values tree. */
export function leafPaths(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).length === 0)
    return [[...prefix]];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

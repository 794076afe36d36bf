/**
 * Real Helm for the chart tests: finds the binary the e2e tool cache holds
 * (`$K3S_MULTUS_E2E_CACHE/bin/helm`, default `~/.cache/k3s-multus/e2e/bin/helm`) and runs many
 * `helm template` calls at once, one per CPU, each reading its values from stdin. A missing Helm
 * fails the test under CI=true and skips it elsewhere.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The e2e tool cache. */
export function e2eCache(): string {
  return process.env.K3S_MULTUS_E2E_CACHE ?? path.join(os.homedir(), ".cache/k3s-multus/e2e");
}

/** The Helm binary in the cache, or undefined when there is none. */
export function findHelm(): string | undefined {
  const helm = path.join(e2eCache(), "bin/helm");
  try {
    fs.accessSync(helm, fs.constants.X_OK);
    return helm;
  } catch {
    return undefined;
  }
}

/** The Helm binary, or stops the test: a failure under CI=true, a skip elsewhere. */
export function requireHelm(ctx: Mocha.Context): string {
  const helm = findHelm();
  if (helm) return helm;
  const message = `helm not found at ${path.join(e2eCache(), "bin/helm")} (built by scripts/e2e/tools.sh; K3S_MULTUS_E2E_CACHE moves the cache)`;
  if (process.env.CI === "true") throw new Error(`${message}; under CI=true the chart render test must run`);
  console.warn(`      skipped: ${message}`);
  ctx.skip();
  throw new Error("unreachable: ctx.skip() throws");
}

/** One `helm template` call. */
export interface TemplateJob {
  /** Path of the chart package (.tgz). */
  readonly chart: string;
  readonly release: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
  /** Also render the chart's (and subcharts') `crds/`. */
  readonly includeCrds?: boolean;
}

/** What Helm printed: the manifests, or the error. */
export type TemplateResult =
  | { readonly ok: true; readonly yaml: string }
  | { readonly ok: false; readonly error: string };

function template(helm: string, job: TemplateJob): Promise<TemplateResult> {
  const args = ["template", job.release, job.chart, "--namespace", job.namespace, "--values", "-"];
  if (job.includeCrds) args.push("--include-crds");
  return new Promise((resolve, reject) => {
    const child = spawn(helm, args, {
      stdio: ["pipe", "pipe", "pipe"], // GOGC=off: a short-lived render needs no garbage collection (a fifth less CPU).
      env: { ...process.env, HELM_CACHE_HOME: os.tmpdir(), GOGC: "off" },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (code === 0) resolve({ ok: true, yaml: Buffer.concat(out).toString("utf8") });
      else resolve({ ok: false, error: stderr || `helm exited with ${code}` });
    });
    child.stdin.end(JSON.stringify(job.values));
  });
}

/** Runs every job, `concurrency` at a time (default: one per CPU), results in job order. */
export async function templateAll(
  helm: string,
  jobs: readonly TemplateJob[],
  concurrency = Math.max(1, os.cpus().length),
): Promise<TemplateResult[]> {
  const results: TemplateResult[] = new Array<TemplateResult>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await template(helm, jobs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}

/**
 * Helpers of the pack-and-install tests: `npm pack` the provider, make fresh consumer projects in
 * temporary directories outside the repository, run commands there, and resolve the @pulumi/*
 * versions to test (the lowest of each supported range, and the newest published in it).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as semver from "semver";

export const REPO = path.resolve(__dirname, "../..");
export const PROVIDER_DIR = path.join(REPO, "provider");
export const CONSUMER_DIR = path.join(__dirname, "consumer");

/** The @pulumi packages a consumer shares with k3s-multus (its dependency ranges). */
export const SHARED_PACKAGES = ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/command"] as const;
export type SharedPackage = (typeof SHARED_PACKAGES)[number];
export type Versions = Record<SharedPackage, string>;

/** The consumer's own toolchain: the repository's pins. */
const ROOT_DEV = (
  JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  }
).devDependencies;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; fails with its output when it exits non-zero (unless `allowFailure`). */
export function run(cmd: string, args: string[], cwd: string, allowFailure = false): Run {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
    },
  });
  const out: Run = { status: r.status, stdout: r.stdout, stderr: r.stderr || (r.error?.message ?? "") };
  if (!allowFailure && out.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${cwd}) exited ${out.status}:\n${out.stdout}\n${out.stderr}`,
    );
  return out;
}

/** A fresh temporary directory outside the repository (removed by {@link cleanup} unless KEEP_TMP is set). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `k3s-multus-${prefix}-`));
  if (path.resolve(dir).startsWith(REPO + path.sep)) throw new Error(`${dir} is inside the repository`);
  return dir;
}

export function cleanup(dir: string | undefined): void {
  if (dir && !process.env.KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
}

/** `npm pack`s provider/ into `dir` and returns the tarball's path and its file list. */
export function packProvider(dir: string): { tarball: string; files: string[] } {
  const r = run("npm", ["pack", "--json", "--pack-destination", dir], PROVIDER_DIR);
  // `prepare` (the build) prints before the JSON.
  const json = r.stdout.slice(r.stdout.indexOf("["));
  const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(dir, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** provider/package.json's range of each shared package. */
export function supportedRanges(): Versions {
  const deps = (
    JSON.parse(fs.readFileSync(path.join(PROVIDER_DIR, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    }
  ).dependencies;
  return Object.fromEntries(SHARED_PACKAGES.map((p) => [p, deps[p]])) as Versions;
}

/** The lowest version each range admits (the floor k3s-multus claims to support). */
export function lowestVersions(): Versions {
  const ranges = supportedRanges();
  return Object.fromEntries(
    SHARED_PACKAGES.map((p) => {
      const min = semver.minVersion(ranges[p]);
      if (!min) throw new Error(`${p}: range ${ranges[p]} has no lowest version`);
      return [p, min.version];
    }),
  ) as Versions;
}

/**
 * The newest published version in each range, asked of the npm registry (`npm view`): not the
 * `latest` tag, which for @pulumi/command has pointed at a stale 4.x.
 */
export function newestVersions(): Versions {
  const ranges = supportedRanges();
  return Object.fromEntries(
    SHARED_PACKAGES.map((p) => {
      const r = run("npm", ["view", `${p}@${ranges[p]}`, "version", "--json"], os.tmpdir());
      const found = JSON.parse(r.stdout) as string | string[];
      const list = (Array.isArray(found) ? found : [found]).filter(
        (v) => semver.valid(v) && !semver.prerelease(v),
      );
      const newest = semver.maxSatisfying(list, ranges[p]);
      if (!newest) throw new Error(`${p}: no published version satisfies ${ranges[p]}`);
      return [p, newest];
    }),
  ) as Versions;
}

/**
 * A consumer project in a new temporary directory: the tarball, the @pulumi/* versions given
 * (exact), the repository's TypeScript and @types/node, and the consumer program of
 * tests/pack/consumer. Installed with `npm install` (no lock file, as a new user would).
 */
export function makeConsumer(tarball: string, versions: Versions): string {
  const dir = tempDir("consumer");
  const pkg = {
    name: "k3s-multus-consumer",
    private: true,
    dependencies: { "k3s-multus": `file:${tarball}`, ...versions },
    devDependencies: { typescript: ROOT_DEV.typescript, "@types/node": ROOT_DEV["@types/node"] },
  };
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const f of ["index.ts", "tsconfig.json"])
    fs.copyFileSync(path.join(CONSUMER_DIR, f), path.join(dir, f));
  // Install scripts of @pulumi/kubernetes and @pulumi/command only try to fetch provider binaries.
  run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund"], dir);
  return dir;
}

/** Every installed copy of `name` under `dir`'s node_modules: path → version. */
export function installedCopies(dir: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      const scoped = entry.startsWith("@");
      const names = scoped ? fs.readdirSync(path.join(nm, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const n of names) {
        const pkgDir = path.join(nm, n);
        const manifest = path.join(pkgDir, "package.json");
        if (n === name && fs.existsSync(manifest))
          out[path.relative(dir, pkgDir)] = (
            JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }
          ).version;
        walk(path.join(pkgDir, "node_modules"));
      }
    }
  };
  walk(path.join(dir, "node_modules"));
  return out;
}

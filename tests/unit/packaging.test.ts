/**
 * Packaging facts that must hold in every commit: one published location (provider/package.json
 * `repository`) that the docs, the schema and the SDKs repeat, no placeholder in the docs, the
 * licence files, shared dependency ranges, and the CHANGELOG in Keep a Changelog form.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as semver from "semver";

const REPO = path.resolve(__dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(REPO, f), "utf8");
const PKG = JSON.parse(read("provider/package.json")) as {
  version: string;
  license: string;
  homepage: string;
  repository: { type: string; url: string; directory: string };
  bugs: { url: string };
  dependencies: Record<string, string>;
};
/** https://github.com/<owner>/<name>, from `repository.url` (git+https://….git). */
const REPO_URL = PKG.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");

/** The files users read: README, SECURITY, CHANGELOG, docs/, examples/, the release workflow. */
function docFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(path.join(REPO, dir), { withFileTypes: true })
      .filter((e) => e.name !== "node_modules" && e.name !== "sdks")
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return [
    "README.md",
    "SECURITY.md",
    "CHANGELOG.md",
    "Pulumi.yaml",
    ...walk("docs"),
    ...walk("examples"),
    ...walk(".github"),
  ].filter((f) => /\.(md|ya?ml|ts|py|go|mod)$/.test(f));
}

describe("packaging: published location, licence, ranges, changelog", () => {
  it("provider/package.json names the repository, homepage and issue tracker consistently", () => {
    expect(REPO_URL).to.match(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(PKG.repository).to.deep.equal({ type: "git", url: `git+${REPO_URL}.git`, directory: "provider" });
    expect(PKG.homepage).to.equal(`${REPO_URL}#readme`);
    expect(PKG.bugs).to.deep.equal({ url: `${REPO_URL}/issues` });
  });

  it("the schema repeats it (the Go SDK's module path follows it)", () => {
    const schema = JSON.parse(read("sdk/schema.json")) as Record<string, unknown>;
    expect(schema).to.include({ repository: REPO_URL, homepage: PKG.homepage, license: PKG.license });
  });

  it("no document keeps a placeholder or names another location for k3s-multus", () => {
    const problems: string[] = [];
    for (const f of docFiles()) {
      const text = read(f);
      for (const m of text.matchAll(/<(owner|org|user|your[-_ ]?\w*)>/gi))
        problems.push(`${f}: placeholder ${m[0]}`);
      for (const m of text.matchAll(/github\.com\/([\w.-]+)\/k3s-multus\b/g))
        if (`https://${m[0]}` !== REPO_URL) problems.push(`${f}: ${m[0]} (expected ${REPO_URL})`);
    }
    expect(problems).to.deep.equal([]);
  });

  it("LICENSE is the Apache License 2.0, and the package ships the same file", () => {
    const text = read("LICENSE");
    expect(PKG.license).to.equal("Apache-2.0");
    expect(text).to.match(/^\s*Apache License\n\s*Version 2\.0, January 2004\n/);
    expect(text).to.include("END OF TERMS AND CONDITIONS");
    expect(read("provider/LICENSE")).to.equal(text);
  });

  it("@pulumi packages are caret ranges a consumer shares; the lock pins the repository's install", () => {
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Partial<Record<string, { version?: string }>>;
    };
    for (const name of ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/command"]) {
      const range = PKG.dependencies[name];
      expect(range, name).to.match(/^\^\d+\.\d+\.\d+$/);
      const locked = lock.packages[`node_modules/${name}`]?.version;
      expect(locked && semver.satisfies(locked, range), `${name} ${locked} in ${range}`).to.equal(true);
    }
  });

  it("CHANGELOG follows Keep a Changelog: [Unreleased] first, dated versions, links for each", () => {
    const text = read("CHANGELOG.md");
    const headings = [...text.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings[0]).to.equal("[Unreleased]");
    const versions = headings.slice(1).map((h) => {
      const m = /^\[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$/.exec(h);
      if (!m) throw new Error(`CHANGELOG heading "## ${h}": expected "## [X.Y.Z] - YYYY-MM-DD"`);
      return m[1];
    });
    expect([...versions].sort(semver.rcompare)).to.deep.equal(versions);
    for (const v of versions.length ? versions : []) expect(semver.lte(v, PKG.version), v).to.equal(true);
    for (const label of ["Unreleased", ...versions]) {
      const link = new RegExp(
        `^\\[${label.replace(/\./g, "\\.")}\\]: ${REPO_URL.replace(/\./g, "\\.")}/`,
        "mi",
      );
      expect(text, `link reference for [${label}]`).to.match(link);
    }
    for (const m of text.matchAll(/^### (.*)$/gm))
      expect(["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"]).to.include(m[1]);
  });
});

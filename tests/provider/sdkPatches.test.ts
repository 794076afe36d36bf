/**
 * The plugin's SDK patches (provider/src/sdkPatches.ts), each checked twice in a fresh Node process
 * (they act on module caches and globals): that the SDK still *needs* it (it still does what the
 * patch takes off the path; when this fails, the SDK changed and the patch can go) and that the
 * SDK still *allows* it (with the patch, the SDK does what it should; when this fails, the thing
 * patched moved or changed and the patch is broken).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";

const BIN = path.resolve(__dirname, "..", "..", "provider", "bin");
const RESULT = "sdk-patch-result:";

/** Runs `body` (an async function body) in a fresh node process in provider/bin; returns what it returns. */
function inFreshProcess(body: string): unknown {
  const script = `(async () => { ${body} })().then((r) => { process.stdout.write("\\n${RESULT}" + JSON.stringify(r) + "\\n"); process.exit(0); }, (e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: BIN, encoding: "utf8", timeout: 60_000 });
  const line = out.split("\n").find((l) => l.startsWith(RESULT));
  if (line === undefined) throw new Error(`no result in: ${out}`);
  return JSON.parse(line.slice(RESULT.length)) as unknown;
}

/** JS: how many files of the package folder `dir` (e.g. "/node_modules/execa/") are loaded. */
const FILES = `const files = (dir) => Object.keys(require.cache).filter((k) => k.includes(dir)).length;`;

interface Check {
  readonly what: string;
  readonly body: string;
  readonly expected: unknown;
}

interface PatchRow {
  readonly patch: string;
  readonly needed: Check;
  readonly allowed: Check;
}

const ROWS: readonly PatchRow[] = [
  {
    patch: "renderResourceErrorsPlainly",
    needed: {
      what: "run-plugin renders every uncaught error with util.inspect, which walks a ResourceError's resource",
      body: `
        const fs = require("fs");
        const { defaultErrorMessage } = require("@pulumi/pulumi/cmd/run/error");
        const { ResourceError } = require("@pulumi/pulumi/errors");
        const resource = { marker: "walked-into-the-resource" };
        const runPlugin = fs.readFileSync(require.resolve("@pulumi/pulumi/cmd/run-plugin/run.js"), "utf8");
        const handler = runPlugin.slice(runPlugin.indexOf("const uncaughtHandler"));
        return {
          walks: defaultErrorMessage(new ResourceError("bad input", resource, true)).includes("walked-into-the-resource"),
          // The handler computes it for every error, before it looks at the error's kind.
          everyError: /defaultErrorMessage\\(err\\);[\\s\\S]*ResourceError\\.isInstance/.test(handler),
        };
      `,
      expected: { walks: true, everyError: true },
    },
    allowed: {
      what: "with the patch, a ResourceError renders as its message (hideStack) or its stack, never its resource",
      body: `
        require("./sdkPatches").renderResourceErrorsPlainly();
        const { defaultErrorMessage } = require("@pulumi/pulumi/cmd/run/error");
        const { ResourceError } = require("@pulumi/pulumi/errors");
        const resource = { marker: "walked-into-the-resource" };
        const hidden = new ResourceError("bad input", resource, true);
        const shown = new ResourceError("bad input", resource, false);
        return { hidden: defaultErrorMessage(hidden), shownIsStack: defaultErrorMessage(shown) === shown.stack };
      `,
      expected: { hidden: "bad input", shownIsStack: true },
    },
  },
  {
    patch: "deferClosureDependencies",
    needed: {
      what: "@pulumi/pulumi loads @npmcli/arborist, normalize-package-data and fdir at once",
      body: `
        ${FILES}
        const deps = require("./sdkPatches").closureDependencies();
        require("@pulumi/pulumi");
        return {
          deps: deps.length,
          arborist: files("/node_modules/@npmcli/") > 1,
          normalize: files("/node_modules/normalize-package-data/") > 1,
          fdir: Object.keys(require.cache).some((k) => k.includes("/node_modules/fdir/") && require.cache[k].exports.fdir !== undefined && require.cache[k].loaded),
        };
      `,
      expected: { deps: 3, arborist: true, normalize: true, fdir: true },
    },
    allowed: {
      what: "with the patch, @pulumi/pulumi loads none of them, and closure serialization still finds its code paths",
      body: `
        ${FILES}
        const deferred = require("./sdkPatches").deferClosureDependencies();
        require("@pulumi/pulumi");
        const before = { arborist: files("/node_modules/@npmcli/"), normalize: files("/node_modules/normalize-package-data/") };
        const { computeCodePaths } = require("@pulumi/pulumi/runtime/closure/codePaths");
        const paths = await computeCodePaths({});
        return {
          deferred: deferred.length,
          before,
          codePaths: [...paths.keys()].some((p) => p.endsWith("/node_modules/semver")),
          arboristAfter: files("/node_modules/@npmcli/") > 1,
        };
      `,
      expected: { deferred: 3, before: { arborist: 1, normalize: 1 }, codePaths: true, arboristAfter: true },
    },
  },
  {
    patch: "deferAutomation",
    needed: {
      what: "@pulumi/pulumi loads the Automation API (and execa) at once",
      body: `
        ${FILES}
        require("@pulumi/pulumi");
        return { automation: files("/@pulumi/pulumi/automation/") > 1, execa: files("/node_modules/execa/") > 0 };
      `,
      expected: { automation: true, execa: true },
    },
    allowed: {
      what: "with the patch, @pulumi/pulumi loads neither, and pulumi.automation still works when read",
      body: `
        ${FILES}
        const deferred = require("./sdkPatches").deferAutomation();
        const pulumi = require("@pulumi/pulumi");
        const before = { automation: files("/@pulumi/pulumi/automation/"), execa: files("/node_modules/execa/") };
        return { deferred, before, localWorkspace: typeof pulumi.automation.LocalWorkspace.create };
      `,
      expected: { deferred: true, before: { automation: 1, execa: 0 }, localWorkspace: "function" },
    },
  },
  {
    patch: "dropSourceMapStackTraces",
    needed: {
      what: "provider.main installs source-map-support, and the SDK captures a stack for every tracked promise",
      body: `
        const before = Error.prepareStackTrace;
        require("@pulumi/pulumi/provider").main({ version: "0.0.0", getSchema: async () => "{}" }, ["127.0.0.1:1"]);
        const installed = Error.prepareStackTrace;
        const p = Promise.resolve(1);
        require("@pulumi/pulumi/runtime/debuggable").debuggablePromise(p, "check");
        return {
          replaced: installed !== before,
          sourceMapSupport: String(installed).includes("sourceMapCache"),
          capturesStack: typeof p._debugStackTrace === "string" && p._debugStackTrace.includes("    at "),
        };
      `,
      expected: { replaced: true, sourceMapSupport: true, capturesStack: true },
    },
    allowed: {
      what: "with the patch after provider.main, stacks are V8's own again",
      body: `
        require("@pulumi/pulumi/provider").main({ version: "0.0.0", getSchema: async () => "{}" }, ["127.0.0.1:1"]);
        require("./sdkPatches").dropSourceMapStackTraces();
        const stack = new Error("x").stack;
        return { hook: typeof Error.prepareStackTrace, stack: stack.startsWith("Error: x\\n    at ") };
      `,
      expected: { hook: "undefined", stack: true },
    },
  },
];

describe("SDK patches (sdkPatches.ts)", function () {
  this.timeout(60_000);

  it("cover every patch the module exports", () => {
    const source = fs.readFileSync(path.join(BIN, "..", "src", "sdkPatches.ts"), "utf8");
    // The patches: the functions that change the SDK's behaviour (the others only locate modules).
    const exported = [...source.matchAll(/^export function ((?:defer|render|drop)\w+)\(/gm)].map((m) => m[1]);
    expect(exported.sort()).to.deep.equal(ROWS.map((r) => r.patch).sort());
  });

  it("note the SDK version they were written against", () => {
    const source = fs.readFileSync(path.join(BIN, "..", "src", "sdkPatches.ts"), "utf8");
    const version = /PATCHED_SDK_VERSION = "([^"]+)"/.exec(source)?.[1];
    for (const row of ROWS) {
      const doc = source.slice(0, source.indexOf(`export function ${row.patch}(`));
      const comment = doc.slice(doc.lastIndexOf("/**"));
      expect(comment, row.patch).to.include(`@pulumi/pulumi ${version?.replace(/\.0$/, "")}`);
    }
  });

  for (const row of ROWS) {
    describe(row.patch, () => {
      it(`is needed: ${row.needed.what}`, () => {
        expect(inFreshProcess(row.needed.body)).to.deep.equal(row.needed.expected);
      });
      it(`is allowed: ${row.allowed.what}`, () => {
        expect(inFreshProcess(row.allowed.body)).to.deep.equal(row.allowed.expected);
      });
    });
  }
});

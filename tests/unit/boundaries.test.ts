/**
 * The planning core's boundary holds by itself: eslint.config.mjs must apply its import rules to
 * every file under provider/src/plan, and those rules must refuse Pulumi, the file system, child
 * processes, dynamic loading and the component's own modules, while the plain-data modules the
 * core does use stay allowed. A synthetic plan file is linted through ESLint's API with the rules
 * exactly as the repository's config resolves them for that path, so a rule dropped, narrowed or
 * moved to other files fails here.
 */
import * as path from "node:path";
import { expect } from "chai";
import { ESLint, Linter } from "eslint";
import tseslint from "typescript-eslint";

const REPO = path.resolve(__dirname, "../..");
const PROBE = "provider/src/plan/boundaryProbe.ts";
const BOUNDARY_RULES = ["@typescript-eslint/no-restricted-imports", "no-restricted-syntax"] as const;

/** The boundary rules as eslint.config.mjs resolves them for `file`. */
async function boundaryRules(file: string): Promise<Partial<Linter.RulesRecord>> {
  const config = (await new ESLint({ cwd: REPO }).calculateConfigForFile(file)) as Linter.Config;
  const rules = config.rules ?? {};
  return Object.fromEntries(BOUNDARY_RULES.filter((r) => r in rules).map((r) => [r, rules[r]]));
}

/** The messages the boundary rules give for `code` as the file `file` (no type information needed). */
async function lint(code: string, file = PROBE): Promise<{ ruleId: string | null; line: number }[]> {
  const eslint = new ESLint({
    cwd: REPO,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tseslint.parser },
        plugins: { "@typescript-eslint": tseslint.plugin },
        rules: await boundaryRules(file),
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return result.messages.map((m) => ({ ruleId: m.ruleId, line: m.line }));
}

describe("the planning core's import boundary (eslint.config.mjs)", () => {
  it("applies to provider/src/plan, and only there", async () => {
    const plan = await boundaryRules(PROBE);
    expect(Object.keys(plan).sort()).to.deep.equal([...BOUNDARY_RULES].sort());
    expect(Object.keys(await boundaryRules("provider/src/plan/deeper/nested.ts")).sort()).to.deep.equal(
      [...BOUNDARY_RULES].sort(),
    );
    // The component is where Pulumi belongs.
    expect(await boundaryRules("provider/src/multus.ts")).to.deep.equal({});
  });

  const refused = [
    { what: "the Pulumi SDK", code: 'import * as pulumi from "@pulumi/pulumi";' },
    { what: "a type from the Pulumi SDK", code: 'import type { Output } from "@pulumi/pulumi";' },
    { what: "another Pulumi package", code: 'import * as k8s from "@pulumi/kubernetes";' },
    { what: "fs", code: 'import * as fs from "fs";' },
    { what: "node:fs", code: 'import { readFileSync } from "node:fs";' },
    { what: "fs/promises", code: 'import { readFile } from "node:fs/promises";' },
    { what: "child_process", code: 'import { execFileSync } from "child_process";' },
    { what: "node:child_process", code: 'import * as cp from "node:child_process";' },
    { what: "the component", code: 'import { Multus } from "../multus";' },
    { what: "the component's args", code: 'import type { MultusArgs } from "../args";' },
    { what: "the wiring", code: 'import { validatedInputs } from "../wiring/inputs";' },
    { what: "the CLI", code: 'import { run } from "../cli";' },
    { what: "the node scripts (read from disk)", code: 'import { readNodeScript } from "../node/scripts";' },
    { what: "a re-export of the component", code: 'export { Multus } from "../multus";' },
    { what: "a path around the boundary", code: 'import { Multus } from "../../provider/src/multus";' },
    { what: "require()", code: 'export const fs = require("fs") as unknown;' },
    { what: "a dynamic import()", code: 'export const later = import("@pulumi/pulumi");' },
  ];
  for (const row of refused) {
    it(`refuses ${row.what}`, async () => {
      const messages = await lint(`// probe\n${row.code}\n`);
      expect(messages, row.code).to.have.length(1);
      expect(BOUNDARY_RULES).to.include(messages[0].ruleId);
      expect(messages[0].line).to.equal(2);
    });
  }

  it("allows what the core uses: its own modules, the plain-data provider modules, pure libraries", async () => {
    const code = [
      'import { MultusError } from "../errors";',
      'import { IpamPlugin } from "../networkArgs";',
      'import { nodeLayout } from "./layout";',
      'import * as semver from "semver";',
      'import { stringify } from "yaml";',
      "export const used = [MultusError, IpamPlugin, nodeLayout, semver, stringify];",
    ].join("\n");
    expect(await lint(code)).to.deep.equal([]);
  });

  it("lets the component import what the core may not", async () => {
    const code =
      'import * as pulumi from "@pulumi/pulumi";\nimport * as fs from "node:fs";\nexport const x = [pulumi, fs];\n';
    expect(await lint(code, "provider/src/wiring/probe.ts")).to.deep.equal([]);
  });
});

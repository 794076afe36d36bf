/**
 * sdk/schema.json is what every language's SDK is generated from: it must be exactly the schema the
 * build generates from the provider's TypeScript (provider/bin/schema.json, which the plugin serves).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { PROVIDER_DIR, REPO } from "./plugin";

const SDK_SCHEMA = path.join(REPO, "sdk", "schema.json");
const BUILT_SCHEMA = path.join(PROVIDER_DIR, "bin", "schema.json");

interface Property {
  secret?: boolean;
  type?: string;
  $ref?: string;
}
interface Schema {
  name: string;
  version: string;
  resources: Partial<Record<string, { isComponent?: boolean; inputProperties: Record<string, Property> }>>;
  types: Partial<Record<string, { properties?: Record<string, Property> }>>;
}

/** The first line where two texts differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i])
      return `line ${i + 1}: sdk has ${JSON.stringify(la[i])}, build has ${JSON.stringify(lb[i])}`;
  }
  return "no difference";
}

describe("package schema", () => {
  it("sdk/schema.json is the schema built from the provider source (no drift)", () => {
    assert.ok(fs.existsSync(BUILT_SCHEMA), "provider/bin/schema.json is missing: run npm run build");
    const sdk = fs.readFileSync(SDK_SCHEMA, "utf8");
    const built = fs.readFileSync(BUILT_SCHEMA, "utf8");
    assert.ok(
      sdk === built,
      `sdk/schema.json is out of date with the provider source (${firstDifference(sdk, built)}): ` +
        "run npm run gen:schema and commit sdk/schema.json",
    );
  });

  const schema = JSON.parse(fs.readFileSync(SDK_SCHEMA, "utf8")) as Schema;

  it("names the package and version of provider/package.json", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROVIDER_DIR, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    expect(schema.name).to.equal(pkg.name);
    expect(schema.version).to.equal(pkg.version);
    expect(schema.resources["k3s-multus:index:Multus"]?.isComponent).to.equal(true);
  });

  it("marks every credential secret, so that each language's SDK sends it as a secret", () => {
    const secretsOf = (props: Record<string, Property> | undefined) =>
      Object.entries(props ?? {})
        .filter(([, p]) => p.secret === true)
        .map(([name]) => name)
        .sort();
    expect(secretsOf(schema.resources["k3s-multus:index:Multus"]?.inputProperties)).to.deep.equal([
      "kubeconfig",
    ]);
    for (const t of ["Node", "Proxy"]) {
      expect(secretsOf(schema.types[`k3s-multus:index:${t}`]?.properties), t).to.deep.equal([
        "password",
        "privateKey",
        "privateKeyPassword",
      ]);
    }
    expect(secretsOf(schema.types["k3s-multus:index:Chart"]?.properties)).to.deep.equal([
      "repositoryPassword",
      "repositoryUsername",
    ]);
  });
});

#!/usr/bin/env node
// Generates the Pulumi package schema of k3s-multus from the TypeScript source, once, at build time.
//
// The stock source-plugin path infers the schema with the TypeScript compiler on every plugin start
// (seconds, paid on each preview by every non-TypeScript user). We run the same inference here and
// the plugin serves the result. Additions the inference cannot know:
//   - credentials are marked `secret: true`, so every SDK wraps them as secrets;
//   - each property's `@default` doc tag is appended to its description;
//   - `repository`, `homepage` and `license` from package.json (the Go SDK's module path follows
//     `repository`).
//
//   node tools/gen-schema.js --out bin/schema.json     write the schema
//   node tools/gen-schema.js --check ../sdk/schema.json fail when the file differs (drift)
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");
const { ComponentProvider } = require("@pulumi/pulumi/provider/experimental");

const root = path.resolve(__dirname, "..");
const pkg = require(path.join(root, "package.json"));
const { Multus } = require(path.join(root, "bin", "multus.js"));
const { SECRET_PROPERTIES } = require(path.join(root, "bin", "secrets.js"));

/** Collects `@default` tags: { TypeName: { property: text } } from the source files. */
function defaultTags() {
  const out = {};
  const dir = path.join(root, "src");
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const source = ts.createSourceFile(
      file,
      fs.readFileSync(path.join(dir, file), "utf8"),
      ts.ScriptTarget.Latest,
      true,
    );
    source.forEachChild((node) => {
      if (!(ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) || !node.name) return;
      const typeName = node.name.text === "MultusArgs" ? "Multus" : node.name.text;
      for (const member of node.members) {
        if (!member.name || !ts.isIdentifier(member.name)) continue;
        for (const tag of ts.getJSDocTags(member)) {
          if (tag.tagName.text !== "default") continue;
          const text = typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment);
          (out[typeName] ??= {})[member.name.text] = (text ?? "").trim();
        }
      }
    });
  }
  return out;
}

function enrich(schema) {
  const defaults = defaultTags();
  const visit = (typeName, properties) => {
    for (const [name, prop] of Object.entries(properties ?? {})) {
      const d = defaults[typeName]?.[name];
      if (d) prop.description = `${prop.description ?? ""}\n\nDefault: ${d}`.trim();
      if ((SECRET_PROPERTIES[typeName] ?? []).includes(name)) prop.secret = true;
    }
  };
  for (const [token, res] of Object.entries(schema.resources)) {
    const typeName = token.split(":")[2];
    visit(typeName, res.inputProperties);
  }
  for (const [token, type] of Object.entries(schema.types ?? {})) visit(token.split(":")[2], type.properties);
  return schema;
}

/**
 * Names object types after the concept, not the TypeScript interface: `NodeArgs` becomes `Node`, so
 * that the generated SDKs get `NodeArgs` (Python, Go, .NET) rather than `NodeArgsArgs`.
 */
function renameArgsTypes(schema) {
  const renames = {};
  for (const token of Object.keys(schema.types ?? {})) {
    const [pkgName, mod, name] = token.split(":");
    if (name.endsWith("Args") && name !== "Args") renames[token] = `${pkgName}:${mod}:${name.slice(0, -4)}`;
  }
  for (const [from, to] of Object.entries(renames)) {
    if (schema.types[to] !== undefined) throw new Error(`cannot rename ${from} to ${to}: the name is taken`);
  }
  const types = {};
  for (const [token, type] of Object.entries(schema.types)) types[renames[token] ?? token] = type;
  schema.types = types;
  const text = JSON.stringify(schema).replace(/"#\/types\/([^"]+)"/g, (m, token) =>
    renames[token] ? `"#/types/${renames[token]}"` : m,
  );
  return JSON.parse(text);
}

/** `git+https://host/path.git` (package.json `repository.url`) as the plain https URL SDKs link to. */
function repositoryUrl() {
  const url = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  if (!url) throw new Error("provider/package.json has no repository.url: the schema and the SDKs name it");
  return url.replace(/^git\+/, "").replace(/\.git$/, "");
}

/**
 * Adds where the package lives (package.json is the one place that names it): `repository` also
 * decides the Go module path of a generated SDK (<host/path>/sdk/go); `homepage` and `license` go
 * into the Python and Node.js package metadata.
 */
function withPublishedLocation(schema) {
  const { name, version, description, ...rest } = schema;
  return {
    name,
    version,
    description,
    homepage: pkg.homepage,
    license: pkg.license,
    repository: repositoryUrl(),
    ...rest,
    // The layout `pulumi package add` always uses (a Go SDK with its own go.mod at
    // <repository>/sdk/go): `gen-sdk` and the release then produce the same SDKs as a consumer's
    // local `package add`.
    meta: { supportPack: true },
  };
}

async function generate() {
  const provider = new ComponentProvider({
    name: pkg.name,
    version: pkg.version,
    dirname: root,
    components: [Multus],
  });
  const schema = withPublishedLocation(renameArgsTypes(enrich(JSON.parse(await provider.getSchema()))));
  return `${JSON.stringify(schema, null, 2)}\n`;
}

async function main(argv) {
  const [flag, file] = argv;
  if (!["--out", "--check"].includes(flag) || !file) {
    console.error("usage: gen-schema.js --out FILE | --check FILE");
    process.exit(2);
  }
  const text = await generate();
  if (flag === "--out") {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
    return;
  }
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (current !== text) {
    console.error(
      `${file} is out of date with the provider source: run \`npm run gen:schema\` and commit the result`,
    );
    process.exit(1);
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * The example programs use only what the package schema offers. TypeScript is checked by the
 * compiler (examples/typescript is in the root tsconfig); YAML, Python and Go are read here: every
 * input they give the Multus component (nested types included), every enum literal and every output
 * they read must exist in sdk/schema.json, under the language's spelling of the name.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { parse } from "yaml";
import {
  checkObject,
  checkOutputs,
  checkValue,
  goLiterals,
  goName,
  MULTUS,
  pythonCalls,
  pythonName,
  refName,
  Schema,
  yamlName,
} from "./exampleCheck";
import { REPO } from "./plugin";

const schema = JSON.parse(fs.readFileSync(path.join(REPO, "sdk", "schema.json"), "utf8")) as Schema;
const inputs = schema.resources[MULTUS].inputProperties;
const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), "utf8");

// ----- YAML -------------------------------------------------------------------------------------

interface YamlProgram {
  name: string;
  packages?: Record<string, unknown>;
  config?: Record<string, unknown>;
  resources?: Record<string, { type: string; properties?: Record<string, unknown> }>;
  outputs?: Record<string, unknown>;
}

/** Problems in a YAML program and its stack configs (Pulumi.<stack>.yaml beside it). */
function checkYamlProgram(file: string): { problems: string[]; multusCount: number } {
  const dir = path.dirname(path.join(REPO, file));
  const program = parse(read(file)) as YamlProgram;
  const problems: string[] = [];
  const multus = Object.entries(program.resources ?? {}).filter(([, r]) =>
    /^k3s-multus:(index:)?Multus$/.test(r.type),
  );
  const stackConfigs = fs
    .readdirSync(dir)
    .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
    .map((f) => ({
      file: f,
      config: (parse(fs.readFileSync(path.join(dir, f), "utf8")) ?? {}) as {
        config?: Record<string, unknown>;
      },
    }));
  for (const [resName, res] of multus) {
    const props = res.properties ?? {};
    problems.push(
      ...checkObject(schema, inputs, props, `${file}: resources.${resName}.properties`, yamlName, "Multus"),
    );
    // A property fed from config (`nodes: ${nodes}`): check the example stack configs' values.
    for (const [prop, value] of Object.entries(props)) {
      const ref = typeof value === "string" ? /^\$\{(\w+)\}$/.exec(value.trim()) : null;
      if (!ref || !Object.hasOwn(inputs, prop)) continue;
      for (const { file: stackFile, config } of stackConfigs) {
        const v = config.config?.[`${program.name}:${ref[1]}`];
        if (v !== undefined) {
          problems.push(
            ...checkValue(schema, inputs[prop], v, `${stackFile}: ${program.name}:${ref[1]}`, yamlName),
          );
        }
      }
    }
    // Outputs read anywhere in the program: ${multus.podAnnotations}.
    const text = read(file);
    const read_ = [...text.matchAll(new RegExp(`\\$\\{${resName}\\.(\\w+)`, "g"))].map((m) => m[1]);
    problems.push(...checkOutputs(schema, read_, yamlName, `${file}: ${resName}`));
  }
  return { problems, multusCount: multus.length };
}

// ----- Python -----------------------------------------------------------------------------------

function checkPythonProgram(file: string): { problems: string[]; multusCount: number } {
  const src = read(file);
  const problems: string[] = [];
  const calls = pythonCalls(src).filter((c) => /(^|\.)Multus$/.test(c.callee));
  for (const call of calls) {
    problems.push(...checkObject(schema, inputs, call.kwargs, `${file}: Multus(...)`, pythonName, "Multus"));
  }
  for (const m of src.matchAll(/\b(\w+)\s*=\s*[\w.]*\bMultus\(/g)) {
    const names = [...src.matchAll(new RegExp(`\\b${m[1]}\\.(\\w+)`, "g"))].map((a) => a[1]);
    problems.push(...checkOutputs(schema, names, pythonName, `${file}: ${m[1]}`));
  }
  return { problems, multusCount: calls.length };
}

// ----- Go ---------------------------------------------------------------------------------------

function checkGoProgram(file: string): { problems: string[]; multusCount: number } {
  const src = read(file);
  // The generated module's package (github.com/k3s-multus/k3s-multus/sdk/go/k3smultus), aliased or not.
  const imported = /(?:(\w+)\s+)?"[^"]*\/sdk\/go\/(k3smultus)"/.exec(src);
  const alias = imported ? (imported.at(1) ?? imported.at(2)) : undefined;
  if (!alias) return { problems: [`${file}: does not import the k3s-multus SDK`], multusCount: 0 };
  const problems: string[] = [];
  const types = Object.keys(schema.types).map(refName);
  let multusCount = 0;
  for (const lit of goLiterals(src, alias)) {
    const where = `${file}: ${alias}.${lit.type}{}`;
    if (lit.type === "MultusArgs") {
      multusCount++;
      problems.push(
        ...lit.fields
          .filter((f) => !Object.keys(inputs).some((n) => goName(n) === f))
          .map((f) => `${where}.${f}: Multus has no such input`),
      );
      continue;
    }
    const array = /^(\w+)Array$/.exec(lit.type);
    // Input object types are `<Type>Args`; their arrays `<Type>Array`.
    const base = array ? array[1] : lit.type.replace(/Args$/, "");
    if (!types.includes(base)) {
      problems.push(`${where}: the schema has no type ${base}`);
      continue;
    }
    if (array) continue;
    const props = schema.types[`k3s-multus:index:${base}`].properties ?? {};
    problems.push(
      ...lit.fields
        .filter((f) => !Object.keys(props).some((n) => goName(n) === f))
        .map((f) => `${where}.${f}: ${base} has no such property`),
    );
  }
  // Enum constants: <Enum><Name>, e.g. NetworkTypeMacvlan.
  for (const m of src.matchAll(new RegExp(`\\b${alias}\\.(\\w+)\\b(?!\\s*[{(])`, "g"))) {
    const enumType = Object.entries(schema.types).find(
      ([token, t]) => t.enum && m[1].startsWith(refName(token)),
    );
    if (!enumType) continue;
    const member = m[1].slice(refName(enumType[0]).length);
    if (!enumType[1].enum?.some((e) => e.name === member))
      problems.push(`${file}: ${alias}.${m[1]}: no enum value ${member}`);
  }
  const instance = new RegExp(`(\\w+),\\s*err\\s*:?=\\s*${alias}\\.NewMultus\\(`).exec(src)?.[1];
  if (instance) {
    const names = [...src.matchAll(new RegExp(`\\b${instance}\\.(\\w+)`, "g"))].map((m) => m[1]);
    problems.push(...checkOutputs(schema, names, goName, `${file}: ${instance}`));
  }
  return { problems, multusCount };
}

describe("example programs use only what the schema offers", () => {
  const cases: { file: string; check: (file: string) => { problems: string[]; multusCount: number } }[] = [
    { file: "Pulumi.yaml", check: checkYamlProgram },
    { file: "examples/yaml/Pulumi.yaml", check: checkYamlProgram },
    { file: "examples/python/__main__.py", check: checkPythonProgram },
    { file: "examples/go/main.go", check: checkGoProgram },
  ];
  for (const { file, check } of cases) {
    it(file, () => {
      const { problems, multusCount } = check(file);
      expect(multusCount, `${file} creates no Multus`).to.equal(1);
      expect(problems).to.deep.equal([]);
    });
  }

  it("YAML programs point their packages entry at the plugin folder", () => {
    for (const file of [
      "Pulumi.yaml",
      "examples/yaml/Pulumi.yaml",
      "examples/python/Pulumi.yaml",
      "examples/go/Pulumi.yaml",
    ]) {
      const program = parse(read(file)) as YamlProgram;
      const source = program.packages?.["k3s-multus"];
      expect(source, file).to.be.a("string");
      const dir = path.resolve(path.dirname(path.join(REPO, file)), source as string);
      expect(
        fs.existsSync(path.join(dir, "PulumiPlugin.yaml")),
        `${file}: ${dir} has no PulumiPlugin.yaml`,
      ).to.equal(true);
    }
  });

  describe("the checker itself finds mistakes", () => {
    it("in YAML-shaped values", () => {
      const problems = checkObject(
        schema,
        inputs,
        {
          nodes: [{ host: "a", privateKeys: "x" }],
          networks: [{ name: "n", type: "vxlan", ipam: { type: "whereabouts", ranges: "x" } }],
        },
        "$",
        yamlName,
        "Multus",
      );
      expect(problems).to.deep.equal([
        "$.nodes[0].privateKeys: Node has no such property",
        '$.networks[0].type: "vxlan" is not one of macvlan, ipvlan, bridge, host-device',
        "$.networks[0].ipam.ranges: Ipam has no such property",
      ]);
    });

    it("in Python", () => {
      const calls = pythonCalls(
        'm = k3s_multus.Multus("m", nodes=[{"host": h, "privatekey": k} for h in hosts], network=[], cni_bin_dir="/x")\nprint(m.pod_annotation)',
      );
      const multus = calls.find((c) => c.callee === "k3s_multus.Multus");
      expect(checkObject(schema, inputs, multus?.kwargs ?? {}, "$", pythonName, "Multus")).to.deep.equal([
        "$.nodes[0].privatekey: Node has no such property",
        "$.network: Multus has no such property",
      ]);
      expect(checkOutputs(schema, ["pod_annotation", "pod_annotations"], pythonName, "m")).to.deep.equal([
        "m.pod_annotation: Multus has no such output",
      ]);
    });

    it("in Go", () => {
      const lits = goLiterals(
        'x := &k3smultus.MultusArgs{Nodes: k3smultus.NodeArray{k3smultus.NodeArgs{Host: pulumi.String("a"), PrivKey: k}}, Netwroks: nil}',
        "k3smultus",
      );
      expect(lits.map((l) => `${l.type}: ${l.fields.join(",")}`)).to.deep.equal([
        "MultusArgs: Nodes,Netwroks",
        "NodeArray: ",
        "NodeArgs: Host,PrivKey",
      ]);
    });
  });
});

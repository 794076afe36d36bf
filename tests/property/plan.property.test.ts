/**
 * Properties of the pure planning core over generated inputs, valid-shaped and hostile alike:
 * every call returns or throws MultusError naming the field (never another exception), and what it
 * returns is well-formed: NAD configs are JSON, values survive YAML (1.2 and 1.1) and JSON, every
 * path that can reach a node command is strictly shell-safe.
 */
import { expect } from "chai";
import fc from "fast-check";
import { MultusError } from "../../provider/src/errors";
import { cleanupCommand } from "../../provider/src/node/scripts";
import { parseDetection } from "../../provider/src/plan/detection";
import { clusterLayout, CniLayout, NodeFacts, pinnedLayout } from "../../provider/src/plan/layout";
import { parseNetworks } from "../../provider/src/plan/networks";
import { parseSafePath } from "../../provider/src/plan/paths";
import { MultusPlan, PlanArgs, planFor, validateInputs, ValidatedInputs } from "../../provider/src/plan/plan";
import { stableJson, stableYaml } from "../../provider/src/plan/stable";
import { parseK3sVersion } from "../../provider/src/plan/version";
import * as arb from "./arbitraries";
import {
  asJson,
  componentView,
  expectYamlRoundTrip,
  fieldRoot,
  isStrictSafePath,
  outcome,
  RUNS,
} from "./check";
import { OWNER } from "../helpers/k3sfixtures";

/** The inputs a MultusError from validateInputs or planFor may name. */
const INPUT_ROOTS = [
  "inputs",
  "nodes",
  "k3sVersion",
  "k3sDataDir",
  "cniBinDir",
  "cniConfDir",
  "ipam",
  "networks",
  "allowOverlappingRanges",
  "chart",
  "cleanupOnDestroy",
];

/** Checks across fields: a node list made empty makes cleanupOnDestroy (or the missing pin) the error. */
const CROSS_FIELD = ["nodes", "cleanupOnDestroy"];

/** JSON text of a generated value ("" when it has none: BigInt, undefined). */
function jsonText(value: unknown): string {
  try {
    return (JSON.stringify as (v: unknown) => string | undefined)(value) ?? "";
  } catch {
    return "";
  }
}

/** The layouts a validated input can meet: its pinned one, or one from generated node facts. */
function layoutFor(v: ValidatedInputs, facts: readonly NodeFacts[]): CniLayout {
  if (v.pinned) return pinnedLayout({ version: v.k3sVersion, dataDir: v.k3sDataDir }, v.overrides);
  return clusterLayout(facts, v.overrides);
}

function toFacts(f: arb.GeneratedFacts): NodeFacts {
  return {
    host: f.host,
    version: parseK3sVersion(f.tag),
    dataDir: f.dataDir.replace(/\/+$/, ""),
    flannel: f.flannel,
    binDir: f.binDir?.replace(/\/+$/, ""),
    confDir: f.confDir?.replace(/\/+$/, ""),
  };
}

/** Everything a plan must satisfy, whatever the input was. */
function checkPlan(v: ValidatedInputs, plan: MultusPlan, specs: readonly Record<string, unknown>[]): void {
  const { layout } = plan;
  for (const p of [layout.binDir, layout.confDir, layout.multusKubeconfig, layout.whereaboutsConfig])
    expect(isStrictSafePath(p), `layout path ${JSON.stringify(p)}`).to.equal(true);

  // The clean-up command is built from the layout: it must be buildable whenever cleanup is on.
  if (v.cleanupOnDestroy) {
    cleanupCommand({
      sudo: false,
      binDir: layout.binDir,
      confDir: layout.confDir,
      whereabouts: true,
      owner: OWNER,
    });
  }

  // NADs: JSON objects; typed ones carry exactly the validated fields.
  expect(plan.networks).to.have.lengthOf(v.networks.length);
  plan.networks.forEach((n, i) => {
    const config: unknown = JSON.parse(n.config);
    expect(typeof config === "object" && config !== null && !Array.isArray(config), n.config).to.equal(true);
    const c = config as Record<string, unknown>;
    const given = specs[i];
    if (given.config === undefined) {
      expect(c.type).to.equal(given.type);
      for (const key of ["master", "bridge", "device", "mode", "mtu", "vlan"])
        if (given[key] !== undefined) expect(c[key], key).to.equal(given[key]);
      const ipam = c.ipam as Record<string, unknown> | undefined;
      if (ipam?.type === "whereabouts") expect(ipam.configuration_path).to.equal(layout.whereaboutsConfig);
    } else if (n.config !== given.config) {
      // Only whereabouts' configuration_path may have been added.
      expect(n.config).to.include(JSON.stringify(layout.whereaboutsConfig));
    }
    expect(n.annotation).to.match(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9][-a-z0-9.]*(@[A-Za-z0-9][A-Za-z0-9_.-]*)?$/,
    );
  });
  const annotation = Object.values(plan.podAnnotations);
  expect(annotation.join()).to.equal(plan.networks.map((n) => n.annotation).join(","));

  // Values: YAML and JSON renderings read back to the same data, for every chart.
  for (const values of [plan.values, ...plan.charts.map((c) => c.values)]) {
    expectYamlRoundTrip(stableYaml(values), values);
    expect(JSON.parse(stableJson(values))).to.deep.equal(asJson(values));
  }
  const cniConf = (plan.values.config as Record<string, Record<string, unknown>>).cni_conf;
  expect(cniConf.binDir, "binDir stays a string").to.be.a("string");
  expect(cniConf.confDir, "confDir stays a string").to.be.a("string");
}

describe("property: planning core", function () {
  this.timeout(60000);

  it("validateInputs on anything at all returns or refuses with a MultusError naming an input", () => {
    fc.assert(
      fc.property(fc.oneof(arb.garbage, arb.multusArgs), (args) => {
        const r = outcome(() => validateInputs(args as PlanArgs));
        if (!r.ok) expect(INPUT_ROOTS, r.error.message).to.include(fieldRoot(r.error.field));
      }),
      { ...RUNS, numRuns: RUNS.numRuns * 2 },
    );
  });

  it("validateInputs + planFor: a valid plan, or a MultusError naming a field that was made hostile", () => {
    let planned = 0;
    fc.assert(
      fc.property(
        arb.hostileArgs,
        fc.array(arb.nodeFacts, { minLength: 1, maxLength: 2 }),
        ({ args, mutated }, facts) => {
          const named = (e: MultusError) =>
            mutated.some((m) => e.field.startsWith(m) || m.startsWith(e.field)) ||
            CROSS_FIELD.includes(fieldRoot(e.field));
          const v = outcome(() => validateInputs(componentView(args)));
          if (!v.ok) {
            expect(named(v.error), `${v.error.message}\nmutated: ${mutated.join(", ")}`).to.equal(true);
            return;
          }
          const layout = outcome(() => layoutFor(v.value, facts.map(toFacts)));
          if (!layout.ok) return;
          const plan = outcome(() => planFor(v.value, layout.value));
          if (!plan.ok) {
            expect(INPUT_ROOTS, plan.error.message).to.include(fieldRoot(plan.error.field));
            return;
          }
          planned++;
          const specs = (args.networks as Record<string, unknown>[] | undefined) ?? [];
          checkPlan(v.value, plan.value, specs);
          // Deterministic: the same input plans to the same bytes.
          const again = planFor(validateInputs(componentView(args)), layout.value);
          expect(stableJson(again)).to.equal(stableJson(plan.value));
        },
      ),
      RUNS,
    );
    // The generators must reach planning often enough for this property to mean something.
    expect(planned, "plans reached").to.be.above(RUNS.numRuns / 5);
  });

  it("a hole in a sparse list is refused like a missing item (found by the component property)", () => {
    // eslint-disable-next-line no-sparse-arrays -- the point of the test
    const holes: unknown[] = [, { host: "10.0.0.1" }];
    for (const [args, field] of [
      [{ nodes: holes }, "nodes[0]"],
      [{ k3sVersion: "v1.32.2+k3s1", networks: holes }, "networks[0]"],
      [{ k3sVersion: "v1.32.2+k3s1", ipam: holes }, "ipam[0]"],
    ] as const) {
      const r = outcome(() => validateInputs(args));
      expect(r.ok, field).to.equal(false);
      if (!r.ok) expect(r.error.field).to.equal(field);
    }
  });

  it("hostile interface and bridge names are refused naming the field, or land verbatim in valid JSON", () => {
    const field = fc.constantFrom("master", "interface", "bridge", "device");
    fc.assert(
      fc.property(
        field,
        fc.oneof(
          arb.nasty,
          arb.injections,
          fc.string({ unit: "binary", maxLength: 20 }),
          fc.constantFrom("eth1", "br1", "a.b-c_d"),
        ),
        (key, value) => {
          const base: Record<string, unknown> =
            key === "bridge"
              ? { name: "n", type: "bridge", bridge: "br-x", ipam: { type: "dhcp" } }
              : key === "device"
                ? { name: "n", type: "host-device" }
                : { name: "n", type: "macvlan", ipam: { type: "dhcp" } };
          const r = outcome(() => parseNetworks([{ ...base, [key]: value }]));
          if (!r.ok) {
            expect(r.error.field).to.equal(`networks[0].${key}`);
            return;
          }
          expect(value).to.match(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/);
          const layout = pinnedLayout({ version: parseK3sVersion("v1.32.2+k3s1") }, {});
          const v = validateInputs({ k3sVersion: "v1.32.2+k3s1", networks: [{ ...base, [key]: value }] });
          const n = planFor(v, layout).networks[0];
          const config = JSON.parse(n.config) as Record<string, unknown>;
          if (key === "interface") expect(n.annotation).to.equal(`default/n@${value}`);
          else expect(config[key]).to.equal(value);
        },
      ),
      RUNS,
    );
  });

  it("a raw CNI config is refused at networks[0].config, or passed on as valid JSON", () => {
    const text = fc.oneof(
      arb.nasty,
      fc.json({ maxDepth: 3 }),
      fc.string({ unit: "binary", maxLength: 40 }),
      arb.network.map(jsonText),
    );
    fc.assert(
      fc.property(text, (config) => {
        const args = { k3sVersion: "v1.32.2+k3s1", networks: [{ name: "raw", config }] };
        const v = outcome(() => validateInputs(args));
        if (!v.ok) {
          expect(v.error.field).to.match(/^networks\[0\]\.config([.[]|$)|^networks\[0\]\.ipam|^chart|^ipam/);
          return;
        }
        const plan = outcome(() => planFor(v.value, pinnedLayout({ version: v.value.k3sVersion }, {})));
        if (!plan.ok) return;
        const out: unknown = JSON.parse(plan.value.networks[0].config);
        expect(typeof out, plan.value.networks[0].config).to.equal("object");
      }),
      RUNS,
    );
  });

  it("input nested thousands of levels deep, anywhere, gives a plan or a MultusError, never a RangeError", () => {
    /** `leaf` wrapped `depth` times in lists or objects, built without recursion. */
    const nest = (depth: number, leaf: unknown, list: boolean): unknown => {
      let v = leaf;
      for (let i = 0; i < depth; i++) v = list ? [v] : { a: v };
      return v;
    };
    const where = fc.constantFrom(
      "networks",
      "network",
      "ipam",
      "routes",
      "raw",
      "rawIpam",
      "values",
      "nodes",
      "proxy",
      "chart",
    );
    fc.assert(
      fc.property(where, fc.integer({ min: 1000, max: 20000 }), fc.boolean(), (at, depth, list) => {
        const deep = nest(depth, "x", list);
        const deepText = list
          ? `${"[".repeat(depth)}"x"${"]".repeat(depth)}`
          : `${'{"a":'.repeat(depth)}"x"${"}".repeat(depth)}`;
        const net: Record<string, unknown> = { name: "n", type: "macvlan", ipam: { type: "dhcp" } };
        const args: Record<string, unknown> = { k3sVersion: "v1.32.2+k3s1", networks: [net] };
        if (at === "networks") args.networks = deep;
        if (at === "network") args.networks = [deep];
        if (at === "ipam") net.ipam = deep;
        if (at === "routes") net.ipam = { type: "host-local", range: "10.0.0.0/24", routes: deep };
        if (at === "raw") args.networks = [{ name: "r", config: `{"type":"macvlan","x":${deepText}}` }];
        if (at === "rawIpam")
          args.networks = [{ name: "r", config: `{"type":"macvlan","ipam":${deepText}}` }];
        if (at === "values") args.chart = { values: { a: deep } };
        if (at === "nodes") args.nodes = [{ host: "n1", proxy: deep }];
        if (at === "proxy") args.nodes = [{ host: "n1", proxy: { host: deep } }];
        if (at === "chart") args.chart = deep;
        const v = outcome(() => validateInputs(args));
        if (!v.ok) {
          expect(INPUT_ROOTS, v.error.message).to.include(fieldRoot(v.error.field));
          expect(v.error.message.length, "the message stays short").to.be.below(2000);
          return;
        }
        const plan = planFor(v.value, pinnedLayout({ version: v.value.k3sVersion }, {}));
        expect(() => JSON.parse(stableJson(plan)) as unknown).to.not.throw();
      }),
      { ...RUNS, numRuns: 40 },
    );
  });

  it("parseSafePath: a strictly safe path, unchanged when parsed again, or a MultusError naming the field", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          arb.pathLike,
          arb.safePath.map((p) => p + "/"),
          arb.fuzz(arb.safePath, 2),
        ),
        (value) => {
          const r = outcome(() => parseSafePath("cniBinDir", value));
          if (!r.ok) {
            expect(r.error.field).to.equal("cniBinDir");
            return;
          }
          expect(isStrictSafePath(r.value), r.value).to.equal(true);
          expect(parseSafePath("cniBinDir", r.value)).to.equal(r.value);
          expect(r.value).to.equal((value as string).replace(/\/+$/, ""));
        },
      ),
      RUNS,
    );
  });

  it("parseSafePath accepts every path made of the allowed characters", () => {
    fc.assert(
      fc.property(arb.safePath, (p) => {
        expect(parseSafePath("p", p)).to.equal(p.replace(/\/+$/, ""));
      }),
      RUNS,
    );
  });

  it("parseK3sVersion: a tag of the strict form, or a MultusError naming the field", () => {
    const line = arb.k3sTag.map((t) => `k3s version ${t} (381620ef)\ngo version go1.23.6\n`);
    fc.assert(
      fc.property(fc.oneof(arb.k3sTag, line, arb.fuzz(arb.k3sTag, 2), arb.fuzz(line, 2)), (value) => {
        const r = outcome(() => parseK3sVersion(value as string, "k3sVersion"));
        if (!r.ok) {
          expect(r.error.field).to.equal("k3sVersion");
          return;
        }
        expect(r.value.tag).to.match(/^v1\.\d+\.\d+(-[0-9A-Za-z.]+)?\+k3s\d+$/);
        expect(typeof value === "string" && value.includes(r.value.tag)).to.equal(true);
      }),
      RUNS,
    );
  });

  it("parseK3sVersion round-trips every generated tag and `k3s --version` output", () => {
    fc.assert(
      fc.property(arb.k3sTag, (tag) => {
        expect(parseK3sVersion(tag).tag).to.equal(tag);
        expect(parseK3sVersion(`k3s version ${tag} (381620ef)\ngo version go1.23.6\n`).tag).to.equal(tag);
      }),
      RUNS,
    );
  });

  describe("parseDetection", () => {
    const render = (f: {
      tag: string;
      dataDir: string;
      flannel: boolean;
      binDir?: string;
      confDir?: string;
    }): string =>
      [
        "k3s-multus-detect 1",
        `version=k3s version ${f.tag} (381620ef)`,
        `data_dir=${f.dataDir}`,
        `flannel=${f.flannel ? "on" : "off"}`,
        `bin_dir=${f.binDir ?? ""}`,
        `conf_dir=${f.confDir ?? ""}`,
        `containerd_config=${f.binDir || f.confDir ? `${f.dataDir.replace(/\/+$/, "")}/agent/etc/containerd/config.toml` : ""}`,
        "",
      ].join("\n");

    /** Lines as the script prints them, with hostile values and deviations mixed in. */
    const output = fc
      .tuple(
        arb.nodeFacts,
        fc.boolean(),
        fc.array(
          fc.tuple(
            fc.nat(8),
            fc.oneof(
              fc.constantFrom(
                "bin_dir=/x",
                "bin_dir=/x;reboot",
                "data_dir=$(reboot)",
                "flannel=on",
                "flannel=maybe",
                "error=no-k3s k3s not found",
                "k3s-multus-detect 2",
                "banner",
                "version=k3s version v1.32.2+k3s1; id (381620ef)",
              ),
              arb.nasty,
              arb.injections,
            ),
          ),
          { maxLength: 2 },
        ),
      )
      .map(([f, crlf, edits]) => {
        const lines = render(f).split("\n");
        for (const [at, text] of edits) lines.splice(at % (lines.length + 1), at % 2, text);
        return lines.join(crlf ? "\r\n" : "\n");
      });

    it("returns facts with strictly safe paths, or a MultusError naming nodes[host]", () => {
      fc.assert(
        fc.property(fc.oneof(output, arb.nasty, arb.garbage), (stdout) => {
          const r = outcome(() => parseDetection("10.0.0.1", stdout as string));
          if (!r.ok) {
            expect(r.error.field).to.equal("nodes[10.0.0.1]");
            return;
          }
          for (const p of [r.value.dataDir, r.value.binDir, r.value.confDir, r.value.containerdConfig])
            if (p !== undefined) expect(isStrictSafePath(p), p).to.equal(true);
        }),
        RUNS,
      );
    });

    it("reads back exactly what the script reports", () => {
      fc.assert(
        fc.property(arb.nodeFacts, (f) => {
          const d = parseDetection(f.host, render(f));
          expect(d.version.tag).to.equal(f.tag);
          expect(d.dataDir).to.equal(f.dataDir.replace(/\/+$/, ""));
          expect(d.flannel).to.equal(f.flannel);
          expect(d.binDir).to.equal(f.binDir?.replace(/\/+$/, ""));
          expect(d.confDir).to.equal(f.confDir?.replace(/\/+$/, ""));
        }),
        RUNS,
      );
    });
  });

  it("stableYaml and stableJson read back to the same data (YAML 1.2 and 1.1), for any JSON value", () => {
    const key = fc.oneof(
      arb.nasty,
      fc.constantFrom(
        "on",
        "yes",
        "n",
        "y",
        "<<",
        "~",
        "1:20",
        "010",
        "0x1F",
        "2001-12-14",
        "null",
        "true",
        "-",
        "? x",
        "__proto__",
      ),
    );
    const scalar = fc.oneof(
      key,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const tree = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        scalar,
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(key, tie("v"), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 4 }), (value) => {
        expectYamlRoundTrip(stableYaml(value), value);
        expect(JSON.parse(stableJson(value))).to.deep.equal(asJson(value));
        expect(stableYaml(JSON.parse(stableJson(value)))).to.equal(stableYaml(value));
      }),
      RUNS,
    );
  });
});

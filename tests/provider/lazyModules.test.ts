/**
 * The plugin's start-up stand-ins (provider/src/lazyModules.ts), each checked in a fresh Node
 * process (they act on the module cache): `yaml` and `@pulumi/kubernetes` are not loaded until
 * used, the component still gets the real classes, and a Kubernetes provider passed as a resource
 * reference (as Construct receives it) still deserializes into a `Provider` that the component's
 * releases use.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { expect } from "chai";

const BIN = path.resolve(__dirname, "..", "..", "provider", "bin");

/** Runs `body` (an async function body) in a fresh node process in provider/bin; returns what it returns. */
function inFreshProcess(body: string): Record<string, unknown> {
  const script = `(async () => { ${body} })().then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: BIN, encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out) as Record<string, unknown>;
}

/** JS: whether a module whose path ends with `suffix` is in the module cache. */
const LOADED = `const has = (suffix) => Object.keys(require.cache).some((k) => k.endsWith(suffix));`;

describe("plugin start-up stand-ins (lazyModules)", function () {
  this.timeout(60_000);

  it("load neither yaml nor the @pulumi/kubernetes index with the component, and give it the real classes", () => {
    const r = inFreshProcess(`
      ${LOADED}
      require("./sdkPatches").deferClosureDependencies();
      const installed = require("./lazyModules").installLazyModules();
      require("./multus");
      const k8s = require("@pulumi/kubernetes");
      const result = {
        installed,
        yamlLoaded: has("/yaml/dist/compose/composer.js"),
        coreLoaded: has("/@pulumi/kubernetes/core/v1/index.js"),
        release: k8s.helm.v3.Release === require("@pulumi/kubernetes/helm/v3/release").Release,
        customResource: k8s.apiextensions.CustomResource === require("@pulumi/kubernetes/apiextensions/customResource").CustomResource,
        provider: k8s.Provider === require("@pulumi/kubernetes/provider").Provider,
      };
      // Anything else comes from the real index, loaded then.
      result.namespace = typeof k8s.core.v1.Namespace;
      result.coreLoadedAfter = has("/@pulumi/kubernetes/core/v1/index.js");
      result.yaml = require("./plan/stable").stableYaml({ b: "on", a: 1 });
      result.yamlLoadedAfter = has("/yaml/dist/compose/composer.js");
      return result;
    `);
    expect(r).to.deep.equal({
      installed: { yaml: true, kubernetes: true },
      yamlLoaded: false,
      coreLoaded: false,
      release: true,
      customResource: true,
      provider: true,
      namespace: "function",
      coreLoadedAfter: true,
      yaml: 'a: 1\nb: "on"\n',
      yamlLoadedAfter: true,
    });
  });

  it("deserialize a Kubernetes provider resource reference, and the component's releases use it", () => {
    const r = inFreshProcess(`
      ${LOADED}
      require("./sdkPatches").deferClosureDependencies();
      require("./lazyModules").installLazyModules();
      const pulumi = require("@pulumi/pulumi");
      const rpc = require("@pulumi/pulumi/runtime/rpc");
      const registrations = [];
      await pulumi.runtime.setMocks({
        newResource: (a) => {
          registrations.push({ type: a.type, name: a.name, provider: a.provider ?? "" });
          const state = { ...a.inputs };
          if (a.type === "kubernetes:helm.sh/v3:Release") state.status = { status: "deployed" };
          return { id: a.name + "-id", state };
        },
        call: () => ({}),
      }, "proj", "stack", false);
      // The provider a program made; Construct receives it as a reference: its URN and id.
      const made = new (require("@pulumi/kubernetes").Provider)("cluster", {});
      const urn = await new Promise((resolve) => made.urn.apply(resolve));
      const ref = { [rpc.specialSigKey]: rpc.specialResourceSig, urn, id: "cluster-id", packageVersion: "" };
      const provider = rpc.deserializeProperty(ref, true);
      // What provider/server.js does with Construct's providers map (createProviderResource).
      const fromPackage = rpc.getResourcePackage("kubernetes", "").constructProvider("cluster", "pulumi:providers:kubernetes", urn);
      const { Multus } = require("./multus");
      const m = new Multus("m", {
        k3sVersion: "v1.32.2+k3s1",
        networks: [{ name: "lan", type: "macvlan", master: "eth1", ipam: { type: "whereabouts", range: "10.1.0.0/24" } }],
      }, { providers: { kubernetes: provider } });
      await new Promise((resolve) => m.podAnnotations.apply(resolve));
      // Let the SDK finish the outputs' registration (it reports pending promises at exit).
      await new Promise((resolve) => setTimeout(resolve, 500));
      return {
        isProvider: provider instanceof require("@pulumi/kubernetes/provider").Provider,
        fromPackage: fromPackage instanceof require("@pulumi/kubernetes/provider").Provider,
        indexLoaded: has("/@pulumi/kubernetes/core/v1/index.js"),
        k8sChildren: registrations
          .filter((x) => x.type.startsWith("kubernetes:"))
          .map((x) => x.type + " " + x.provider)
          .sort(),
        urn,
      };
    `);
    const urn = String(r.urn);
    expect(urn).to.equal("urn:pulumi:stack::proj::pulumi:providers:kubernetes::cluster");
    expect(r).to.deep.include({ isProvider: true, fromPackage: true, indexLoaded: false });
    expect(r.k8sChildren).to.deep.equal([
      `kubernetes:helm.sh/v3:Release ${urn}::cluster-id`,
      `kubernetes:helm.sh/v3:Release ${urn}::cluster-id`,
      `kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition ${urn}::cluster-id`,
    ]);
  });
});

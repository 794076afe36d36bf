/**
 * Stand-ins that keep the provider plugin's start-up short: a module the plugin needs only in part,
 * or only later, is replaced in Node's module cache by an object that loads the real module on
 * first use. Installed by the plugin's entry point (plugin.ts) only; the component, the CLI and
 * TypeScript users load the real modules as usual.
 *
 * - `yaml` (the planning core's YAML writer, which a Construct never calls): loaded on first use.
 * - `@pulumi/kubernetes`: its index loads every API group (~120 files). The component uses three
 *   classes: `helm.v3.Release`, `apiextensions.CustomResource` and `Provider`; the stand-in loads
 *   each from its own file, and anything else from the real index. Because the real index is what
 *   registers the `kubernetes` resource package (which the SDK looks up to turn a Kubernetes
 *   provider passed to Construct as a resource reference back into a `Provider`), the stand-in
 *   registers that package itself, the way the index does.
 */
import Module from "module";
import type * as pulumi from "@pulumi/pulumi";
// The SDK module that holds the registrations: already loaded by @pulumi/pulumi/provider (the
// package index would load the whole runtime, closure serialization and all).
import { registerResourcePackage } from "@pulumi/pulumi/runtime/rpc";

type Exports = Record<string | symbol, unknown>;

/**
 * Puts `exports` in the module cache as module `file` (an absolute path), unless the real module is
 * already loaded. `__esModule` makes TypeScript's import helpers keep the object as it is instead
 * of copying its properties (which would load everything at once). Returns whether it did.
 */
export function standIn(file: string, exports: object): boolean {
  if (require.cache[file]) return false;
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = exports;
  require.cache[file] = stand;
  return true;
}

/**
 * A stand-in for module `file` that loads the real module on the first read of any property, then
 * answers from it (`default` of a CommonJS module is the module, as `__importDefault` and
 * `__importStar` would have made it). Returns whether it was installed (not when the module was already loaded).
 */
export function deferModule(file: string): boolean {
  let real: Exports | undefined;
  const load = (): Exports => {
    if (!real) {
      Reflect.deleteProperty(require.cache, file);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(file) as Exports;
    }
    return real;
  };
  return standIn(
    file,
    new Proxy(
      {},
      {
        get: (_t, key) => {
          if (key === "__esModule") return true;
          const m = load();
          // What TypeScript's import helpers give for `default` of a CommonJS module: the module.
          return key === "default" && !m.__esModule ? m : m[key];
        },
        has: (_t, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_t, key) => {
          const d = Object.getOwnPropertyDescriptor(load(), key);
          return d && { ...d, configurable: true };
        },
      },
    ),
  );
}

/** The `@pulumi/kubernetes` members loaded from their own file: path in the index → file → export. */
const KUBERNETES_PARTS: Readonly<Partial<Record<string, readonly [string, string]>>> = {
  "helm.v3.Release": ["helm/v3/release", "Release"],
  "apiextensions.CustomResource": ["apiextensions/customResource", "CustomResource"],
  Provider: ["provider", "Provider"],
};

/** The `@pulumi/kubernetes` stand-in: see the file comment. */
function kubernetesStandIn(index: string): object {
  const dir = index.slice(0, index.lastIndexOf("/"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fromFile = (file: string): Exports => require(`${dir}/${file}`) as Exports;
  let real: Exports | undefined;
  const full = (): Exports => {
    if (!real) {
      Reflect.deleteProperty(require.cache, index);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(index) as Exports;
    }
    return real;
  };
  const paths = Object.keys(KUBERNETES_PARTS);
  const level = (prefix: string): object =>
    new Proxy(
      {},
      {
        get: (_t, key) => {
          if (key === "__esModule") return true;
          if (typeof key === "string") {
            const at = `${prefix}${key}`;
            const part = KUBERNETES_PARTS[at];
            if (part) return fromFile(part[0])[part[1]];
            if (paths.some((p) => p.startsWith(`${at}.`))) return level(`${at}.`);
          }
          // Anything else: the real index, walked down the same path.
          let node: unknown = full();
          for (const step of prefix.split(".").filter(Boolean)) node = (node as Exports)[step];
          return (node as Exports)[key];
        },
      },
    );
  return level("");
}

/** Whether {@link installLazyModules} installed each stand-in. */
export interface LazyModules {
  readonly yaml: boolean;
  readonly kubernetes: boolean;
}

/** Installs the stand-ins for `yaml` and `@pulumi/kubernetes` (see the file comment). */
export function installLazyModules(): LazyModules {
  const yaml = deferModule(require.resolve("yaml"));
  const index = require.resolve("@pulumi/kubernetes");
  const dir = index.slice(0, index.lastIndexOf("/"));
  const kubernetes = standIn(index, kubernetesStandIn(index));
  if (kubernetes) {
    // What the real index registers (@pulumi/kubernetes/index.js), with the provider from its file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require(`${dir}/package.json`) as { version: string };
    registerResourcePackage("kubernetes", {
      // As utilities.getVersion() gives it (that module would load the whole SDK runtime).
      version: pkg.version.replace(/^v/, ""),
      constructProvider: (name: string, type: string, urn: string): pulumi.ProviderResource => {
        if (type !== "pulumi:providers:kubernetes") throw new Error(`unknown provider type ${type}`);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { Provider } = require(`${dir}/provider`) as {
          Provider: new (n: string, a: undefined, o: pulumi.CustomResourceOptions) => pulumi.ProviderResource;
        };
        return new Provider(name, undefined, { urn });
      },
    });
  }
  return { yaml, kubernetes };
}

/**
 * The provider plugin's adjustments to @pulumi/pulumi, in one place: each takes off the plugin's
 * path something the SDK does for programs, not providers. Written against @pulumi/pulumi 3.248.0;
 * tests/provider/sdkPatches.test.ts fails when the SDK no longer needs one (it changed the
 * behaviour) or no longer allows it (the thing patched is gone or moved). Only the plugin's entry
 * point (plugin.ts) applies them; the component and the CLI run with the SDK as it is.
 *
 * The start-up stand-ins for `yaml` and `@pulumi/kubernetes` are not SDK patches: lazyModules.ts.
 */
import * as path from "path";
import { inspect } from "util";
import { ResourceError } from "@pulumi/pulumi/errors";
import { deferModule } from "./lazyModules";

/** The @pulumi/pulumi version these patches were written for and checked against. */
export const PATCHED_SDK_VERSION = "3.248.0";

/**
 * @pulumi/pulumi 3.248: run-plugin's uncaught-error handler renders every error with
 * `util.inspect` (`defaultErrorMessage` in cmd/run/error.js, called by cmd/run-plugin/run.js for
 * every error, even a ResourceError whose stack it then hides). A ResourceError holds its
 * resource, and inspecting a component walks its whole graph of Outputs: ~15 s of garbage
 * collection per rejected input (the component rejects each derived Output). Renders a
 * ResourceError as its message (`hideStack`) or its stack: what the user needs.
 */
export function renderResourceErrorsPlainly(): void {
  Object.defineProperty(ResourceError.prototype, inspect.custom, {
    value(this: ResourceError) {
      return this.hideStack ? this.message : (this.stack ?? this.message);
    },
    configurable: true,
  });
}

/**
 * The modules the SDK's closure serialization (runtime/closure/codePaths.js) loads at once and uses
 * only when it serializes a closure: @npmcli/arborist (npm's dependency-tree library, with pacote,
 * sigstore and more: ~0.4 s), normalize-package-data and fdir. Paths as codePaths.js resolves them;
 * empty for another SDK layout.
 */
export function closureDependencies(): string[] {
  let closure: string;
  try {
    closure = path.dirname(require.resolve("@pulumi/pulumi/runtime/closure/codePaths"));
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of ["@npmcli/arborist", "normalize-package-data", "fdir"]) {
    try {
      found.push(require.resolve(name, { paths: [closure] }));
    } catch {
      // not a dependency of this SDK version: nothing to defer
    }
  }
  return found;
}

/**
 * @pulumi/pulumi 3.248: the runtime's index loads closure serialization, and with it
 * {@link closureDependencies}, at once; a provider never serializes a closure. Until something
 * reads them, those modules are stand-ins that load the real ones on first use. Returns the ones
 * deferred (not those already loaded).
 */
export function deferClosureDependencies(): string[] {
  return closureDependencies().filter((file) => deferModule(file));
}

/** The SDK's Automation API module (`pulumi.automation`), or undefined (another layout). */
export function automationPath(): string | undefined {
  try {
    return require.resolve("@pulumi/pulumi/automation");
  } catch {
    return undefined;
  }
}

/**
 * @pulumi/pulumi 3.248: the package index (`@pulumi/pulumi`, which the component imports) loads the
 * Automation API at once (execa, js-yaml, tmp, its gRPC server: ~50 ms in the plugin); a provider
 * never drives the CLI. Until something reads `pulumi.automation`, it is a stand-in that loads the
 * real module on first use. Returns whether it was installed.
 */
export function deferAutomation(): boolean {
  const file = automationPath();
  return file !== undefined && deferModule(file);
}

/**
 * @pulumi/pulumi 3.248: the SDK captures a stack trace for every promise it tracks
 * (`debuggablePromise` in runtime/debuggable.js), and `provider.main` installs source-map-support
 * (provider/server.js), whose `Error.prepareStackTrace` reads and maps source maps on every
 * capture: ~0.3 s per Construct. Resets it, so that stack traces show compiled positions
 * (bin/*.js); NODE_OPTIONS=--enable-source-maps maps them while debugging. Call it after
 * `provider.main` has started (it installs the hook synchronously).
 */
export function dropSourceMapStackTraces(): void {
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
}

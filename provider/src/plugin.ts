/**
 * The provider plugin's entry point (package.json `main`). The engine runs it through
 * `@pulumi/pulumi/cmd/run-plugin`, which passes the engine address as the only argument.
 *
 * This module exports nothing on purpose: run-plugin hosts the stock ComponentProvider (which infers
 * the schema with the TypeScript compiler on every start) only for modules that export components.
 * Here the schema generated at build time is served instead.
 *
 * Every preview of every non-TypeScript user starts this process, so its start-up is kept short
 * (docs/provider.md and BENCHMARKS.md have the numbers): the component is loaded on demand (see
 * MultusProvider), `yaml` and `@pulumi/kubernetes` load only the parts a Construct uses
 * (lazyModules.ts), and the SDK patches (sdkPatches.ts) take what the SDK does for programs, not
 * providers, off the path. The order matters: the patches and stand-ins go in before anything
 * loads the SDK's runtime (MultusProvider loads it with the component).
 */
import * as provider from "@pulumi/pulumi/provider";
import { installLazyModules } from "./lazyModules";
import { MultusProvider } from "./provider";
import {
  deferAutomation,
  deferClosureDependencies,
  dropSourceMapStackTraces,
  renderResourceErrorsPlainly,
} from "./sdkPatches";

renderResourceErrorsPlainly();
deferClosureDependencies();
deferAutomation();
installLazyModules();

provider.main(MultusProvider.fromBuild(), process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

// After provider.main: it installs source-map-support synchronously when called.
dropSourceMapStackTraces();

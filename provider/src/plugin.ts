/**
 * The provider plugin's entry point (package.json `main`). The engine runs it through
 * `@pulumi/pulumi/cmd/run-plugin`, which passes the engine address as the only argument.
 *
 * This module exports nothing on purpose: run-plugin hosts the stock ComponentProvider (which infers
 * the schema with the TypeScript compiler on every start) only for modules that export components.
 * Here the schema generated at build time is served instead.
 */
import { inspect } from "util";
import { ResourceError } from "@pulumi/pulumi/errors";
import * as provider from "@pulumi/pulumi/provider";
import { MultusProvider } from "./provider";

// run-plugin's unhandled-error handler renders every error with util.inspect before logging it
// (pulumi/pulumi#20567). A ResourceError holds its resource, and inspecting a component walks its
// whole graph of Outputs: ~15 s of garbage collection per rejected input (the component rejects
// each derived Output). The message and stack are what the user needs.
Object.defineProperty(ResourceError.prototype, inspect.custom, {
  value(this: ResourceError) {
    return this.hideStack ? this.message : (this.stack ?? this.message);
  },
  configurable: true,
});

provider.main(MultusProvider.fromBuild(), process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * The provider plugin's entry point (package.json `main`). The engine runs it through
 * `@pulumi/pulumi/cmd/run-plugin`, which passes the engine address as the only argument.
 *
 * This module exports nothing on purpose: run-plugin hosts the stock ComponentProvider (which infers
 * the schema with the TypeScript compiler on every start) only for modules that export components.
 * Here the schema generated at build time is served instead.
 */
import * as provider from "@pulumi/pulumi/provider";
import { MultusProvider } from "./provider";

provider.main(MultusProvider.fromBuild(), process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * The provider plugin's entry point (package.json `main`). The engine runs it through
 * `@pulumi/pulumi/cmd/run-plugin`, which passes the engine address as the only argument.
 *
 * This module exports nothing on purpose: run-plugin hosts the stock ComponentProvider (which infers
 * the schema with the TypeScript compiler on every start) only for modules that export components.
 * Here the schema generated at build time is served instead.
 *
 * Every preview of every non-TypeScript user starts this process, so its start-up is kept short
 * (docs/provider.md has the numbers): the component is loaded on demand (see MultusProvider), and
 * the two adjustments below take what the SDK does for programs, not providers, off the path.
 */
import Module from "module";
import * as path from "path";
import { inspect } from "util";
import { ResourceError } from "@pulumi/pulumi/errors";
import * as provider from "@pulumi/pulumi/provider";
import { MultusProvider } from "./provider";

// run-plugin's unhandled-error handler renders every error with util.inspect before logging it
// (cmd/run-plugin/run.js in @pulumi/pulumi 3.248). A ResourceError holds its resource, and
// inspecting a component walks its whole graph of Outputs: ~15 s of garbage collection per
// rejected input (the component rejects each derived Output). The message and stack are what the
// user needs.
Object.defineProperty(ResourceError.prototype, inspect.custom, {
  value(this: ResourceError) {
    return this.hideStack ? this.message : (this.stack ?? this.message);
  },
  configurable: true,
});

/**
 * @pulumi/pulumi's runtime loads @npmcli/arborist (npm's dependency-tree library, with pacote,
 * sigstore and more: ~0.4 s) when it starts, for closure serialization, which a provider never
 * does. Until something reads it, the module is a stand-in that loads the real one on first use.
 */
function deferArborist(): void {
  let file: string;
  try {
    const closure = path.dirname(require.resolve("@pulumi/pulumi/runtime/closure/codePaths"));
    file = require.resolve("@npmcli/arborist", { paths: [closure] });
  } catch {
    return; // another SDK layout: nothing to defer
  }
  if (require.cache[file]) return;
  let real: Record<string | symbol, unknown> | undefined;
  const load = (): Record<string | symbol, unknown> => {
    if (!real) {
      Reflect.deleteProperty(require.cache, file);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(file) as Record<string | symbol, unknown>;
    }
    return real;
  };
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  // `__esModule` makes the SDK's import helper keep the stand-in instead of copying its properties.
  stand.exports = new Proxy(
    {},
    {
      get: (_t, key) => (key === "__esModule" ? true : load()[key]),
      has: (_t, key) => key in load(),
    },
  );
  require.cache[file] = stand;
}

deferArborist();

provider.main(MultusProvider.fromBuild(), process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

// The SDK captures a stack trace for every promise it tracks (runtime/debuggable.ts); with the
// source-map-support hooks that run-plugin and provider.main install, each capture reads and maps
// source maps: ~0.3 s per Construct. Stack traces show compiled positions (bin/*.js) instead; set
// NODE_OPTIONS=--enable-source-maps to map them while debugging.
(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;

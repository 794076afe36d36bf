/**
 * The provider behind the plugin: GetSchema from the schema generated at build time, and Construct
 * of the Multus component (loaded lazily).
 */
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";

/** The part of the package schema this provider reads. */
interface Schema {
  version: string;
  resources: Record<string, { properties?: Record<string, unknown> }>;
}

type ComponentModule = typeof import("./multus");

/** How long after answering GetSchema the component is loaded in the background. */
const WARM_UP_DELAY_MS = 25;

/**
 * The k3s-multus provider: serves the schema generated at build time and constructs {@link Multus}.
 *
 * The component's module (and with it @pulumi/pulumi's full runtime, @pulumi/kubernetes and
 * @pulumi/command) is loaded on the first Construct, or in the background once GetSchema has been
 * answered: a plugin started only for its schema (`pulumi package add`, YAML's type check) answers
 * without loading it.
 */
export class MultusProvider implements provider.Provider {
  readonly version: string;
  private readonly schemaText: string;
  private readonly outputNames: ReadonlyMap<string, readonly string[]>;
  private component?: ComponentModule;
  private warmUpTimer?: NodeJS.Timeout;

  constructor(schemaText: string) {
    const schema = JSON.parse(schemaText) as Schema;
    this.schemaText = schemaText;
    this.version = schema.version;
    this.outputNames = new Map(
      Object.entries(schema.resources).map(([token, r]) => [token, Object.keys(r.properties ?? {})]),
    );
  }

  /** The provider with the schema that `npm run build` wrote beside the compiled code. */
  static fromBuild(dir: string = __dirname): MultusProvider {
    return new MultusProvider(fs.readFileSync(path.join(dir, "schema.json"), "utf8"));
  }

  /** Loads the component's module (once). */
  load(): ComponentModule {
    if (this.warmUpTimer) clearTimeout(this.warmUpTimer);
    // A lazy require on purpose: see the class comment.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.component ??= require("./multus") as ComponentModule;
    return this.component;
  }

  getSchema(): Promise<string> {
    // A Construct often follows (YAML asks for the schema first): load the component meanwhile,
    // once this answer has been sent. A Construct that comes sooner loads it itself.
    if (!this.component && !this.warmUpTimer) {
      this.warmUpTimer = setTimeout(() => this.load(), WARM_UP_DELAY_MS);
      this.warmUpTimer.unref();
    }
    return Promise.resolve(this.schemaText);
  }

  // async: a throw below must reach the SDK as a rejected promise, not a synchronous throw.
  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    const outputNames = this.outputNames.get(type);
    if (!outputNames) {
      throw new Error(
        `unknown resource type ${type}: this provider offers ${[...this.outputNames.keys()].join(", ")}`,
      );
    }
    const { Multus, MULTUS_TYPE, multusOutputs, plainShapeInputs } = this.load();
    if (type !== MULTUS_TYPE) throw new Error(`the schema's ${type} has no implementation`);
    // A list made one secret Output by the SDK is taken apart where it can be, so that the
    // component registers its children at once (a complete preview): see constructInputs.ts.
    const component = new Multus(name, await plainShapeInputs(inputs), options);
    const outputs = multusOutputs(component);
    const state: pulumi.Inputs = {};
    for (const key of outputNames) state[key] = outputs[key];
    return { urn: component.urn, state };
  }
}

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { Multus, MULTUS_TYPE, multusOutputs } from "./multus";

/** The part of the package schema this provider reads. */
interface Schema {
  version: string;
  resources: Record<string, { properties?: Record<string, unknown> }>;
}

/**
 * The k3s-multus provider: serves the schema generated at build time and constructs {@link Multus}.
 */
export class MultusProvider implements provider.Provider {
  readonly version: string;
  private readonly schemaText: string;
  private readonly outputNames: readonly string[];

  constructor(schemaText: string) {
    const schema = JSON.parse(schemaText) as Schema;
    this.schemaText = schemaText;
    this.version = schema.version;
    this.outputNames = Object.keys(schema.resources[MULTUS_TYPE]?.properties ?? {});
  }

  /** The provider with the schema that `npm run build` wrote beside the compiled code. */
  static fromBuild(dir: string = __dirname): MultusProvider {
    return new MultusProvider(fs.readFileSync(path.join(dir, "schema.json"), "utf8"));
  }

  async getSchema(): Promise<string> {
    return this.schemaText;
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    if (type !== MULTUS_TYPE)
      throw new Error(`unknown resource type ${type}: this provider offers ${MULTUS_TYPE}`);
    const component = new Multus(name, inputs, options);
    const outputs = multusOutputs(component);
    const state: pulumi.Inputs = {};
    for (const key of this.outputNames) state[key] = outputs[key];
    return { urn: component.urn, state };
  }
}

/**
 * Starts a source-based component plugin exactly as the Pulumi engine's Node.js language host does
 * (`RunPlugin` in pulumi-language-nodejs):
 *
 *   cwd = the consumer's project dir
 *   node <@pulumi/pulumi resolved from the plugin dir>/cmd/run-plugin <plugin dir> <engine address>
 *
 * then reads the port the plugin prints as its first stdout line and connects a ResourceProvider
 * client to it.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { PROJECT, STACK, STACK_URN } from "./engine";

/** The repository root and the plugin folder (what `pulumi package add …/provider` points at). */
export const REPO = path.resolve(__dirname, "..", "..");
export const PROVIDER_DIR = path.join(REPO, "provider");

/** How long the plugin may take to print its port. */
const START_TIMEOUT_MS = 30_000;

export interface StartOptions {
  /** The plugin folder. Default: provider/. */
  pluginDir?: string;
  /** The working directory (the consumer's project). Default: the repository root. */
  cwd?: string;
  /** The engine's address, passed as the plugin's argument. */
  engineAddress: string;
}

/** Calls a unary gRPC method and returns its response as a promise. */
function unary<Req, Res>(
  method: (req: Req, callback: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** What a Construct call sends besides the inputs. */
export interface ConstructOptions {
  type?: string;
  monitorAddress: string;
  dryRun?: boolean;
}

/** A running plugin process and a client connected to it. */
export class PluginProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly client: provrpc.ResourceProviderClient,
    private readonly stderrChunks: string[],
  ) {}

  /** Spawns run-plugin and resolves once the plugin has printed its port. */
  static async start(options: StartOptions): Promise<PluginProcess> {
    const pluginDir = path.resolve(options.pluginDir ?? PROVIDER_DIR);
    const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [pluginDir] });
    const child = spawn(process.execPath, [runPlugin, pluginDir, options.engineAddress], {
      cwd: options.cwd ?? REPO,
      // The language host adds this when the plugin's `typescript` option is on (the default).
      env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stderr: string[] = [];
    child.stderr.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => fail(new Error("timed out waiting for the plugin's port")),
        START_TIMEOUT_MS,
      );
      const fail = (e: Error) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`${e.message}\nstdout: ${out}\nstderr: ${stderr.join("")}`));
      };
      child.on("exit", (code) => fail(new Error(`the plugin exited with ${code} before printing its port`)));
      child.on("error", fail);
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const nl = out.indexOf("\n");
        if (nl < 0) return;
        clearTimeout(timer);
        child.removeAllListeners("exit");
        const port = Number(out.slice(0, nl).trim());
        if (!Number.isInteger(port) || port <= 0) fail(new Error(`the plugin's first line is not a port`));
        else resolve(port);
      });
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new PluginProcess(child, port, client, stderr);
  }

  /** What the plugin wrote to stderr so far. */
  get stderr(): string {
    return this.stderrChunks.join("");
  }

  async getPluginInfo(): Promise<string> {
    const res = await unary<emptyproto.Empty, pluginproto.PluginInfo>(
      this.client.getPluginInfo.bind(this.client),
      new emptyproto.Empty(),
    );
    return res.getVersion();
  }

  async getSchema(): Promise<string> {
    const res = await unary<provproto.GetSchemaRequest, provproto.GetSchemaResponse>(
      this.client.getSchema.bind(this.client),
      new provproto.GetSchemaRequest(),
    );
    return res.getSchema();
  }

  /**
   * Calls Construct for a component named `name` under the test stack. `inputs` are sent as they are
   * given: wrap a value with {@link secretValue} to send it as a secret.
   */
  async construct(
    name: string,
    inputs: Record<string, unknown>,
    options: ConstructOptions,
  ): Promise<{ urn: string; state: Record<string, unknown> }> {
    const req = new provproto.ConstructRequest()
      .setProject(PROJECT)
      .setStack(STACK)
      .setDryrun(options.dryRun ?? false)
      .setParallel(4)
      .setMonitorendpoint(options.monitorAddress)
      .setType(options.type ?? "k3s-multus:index:Multus")
      .setName(name)
      .setParent(STACK_URN)
      .setAcceptsOutputValues(true)
      .setInputs(structproto.Struct.fromJavaScript(inputs as Record<string, never>));
    const res = await unary<provproto.ConstructRequest, provproto.ConstructResponse>(
      this.client.construct.bind(this.client),
      req,
    );
    return { urn: res.getUrn(), state: res.getState()?.toJavaScript() ?? {} };
  }

  /** Closes the client and ends the process (SIGTERM, then SIGKILL after 3 s). */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      this.child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill("SIGTERM");
    });
  }
}

/** The signature keys of the Pulumi wire format. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** A secret on the wire, as the engine sends it to Construct. */
export function secretValue(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** A secret output value on the wire (the form an SDK uses when the provider accepts output values). */
export function secretOutputValue(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: OUTPUT_VALUE_SIG, value, secret: true, dependencies: [] };
}

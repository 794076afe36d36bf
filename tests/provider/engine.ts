/**
 * A fake Pulumi engine for the provider tests: the Engine service (logs, root resource) and the
 * ResourceMonitor service a provider talks to while it runs Construct, served over gRPC on
 * 127.0.0.1 with the stubs shipped in `@pulumi/pulumi/proto`.
 *
 * The monitor records every RegisterResource (type, name, parent, dependencies, provider, object
 * with secrets still wrapped as secrets) and answers like a deployment that is not a preview: it
 * echoes the inputs as outputs, gives custom resources an id, and gives `command:remote:Command`
 * a `stdout` chosen by the test (the node detection output).
 */
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";

/** The project and stack every fake deployment runs in. */
export const PROJECT = "provider-test";
export const STACK = "dev";
/** The stack resource the component is constructed under (what the engine passes as `parent`). */
export const STACK_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${STACK}`;

/** One RegisterResource call, as the monitor received it. */
export interface Registration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  readonly custom: boolean;
  readonly provider: string;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** The inputs, as sent: secrets are still `{"4dabf…": "1b47…", value}` objects. */
  readonly object: Record<string, unknown>;
}

/** One engine log line. */
export interface LogEntry {
  readonly severity: "debug" | "info" | "warning" | "error";
  readonly message: string;
  readonly urn: string;
}

/** The answer the fake monitor gives for one registration: extra outputs merged over the echoed inputs. */
export type OutputsFor = (r: Registration) => Record<string, unknown> | undefined;

/**
 * The URN the engine gives a resource: the parent's qualified type, `$`, the type (the stack as
 * parent adds nothing), as in the engine's `resource.NewURN`.
 */
export function urnFor(parent: string, type: string, name: string, stack = STACK, project = PROJECT): string {
  const parentType = parent ? parent.split("::")[2] : "";
  const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** Reads a RegisterResourceRequest into a plain {@link Registration}. */
export function registrationOf(req: resproto.RegisterResourceRequest, urn: string): Registration {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    custom: req.getCustom(),
    provider: req.getProvider(),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    object: req.getObject()?.toJavaScript() ?? {},
  };
}

const SEVERITIES = ["debug", "info", "warning", "error"] as const;

/** Features the monitor claims: those the real engine has and these tests need. */
const FEATURES: Readonly<Record<string, boolean>> = {
  secrets: true,
  resourceReferences: true,
  outputValues: true,
  deletedWith: true,
  aliasSpecs: true,
  // Not needed here; claiming them would make the SDK call RPCs this fake does not serve.
  transforms: false,
  invokeTransforms: false,
  parameterization: false,
  resourceHooks: false,
  errorHooks: false,
};

function bind(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

/** The fake engine: start it, hand {@link engineAddress} to the plugin and {@link monitorAddress} to Construct. */
export class FakeEngine {
  readonly registrations: Registration[] = [];
  /** RegisterResourceOutputs by URN (components' outputs), secrets still wrapped. */
  readonly outputs = new Map<string, Record<string, unknown>>();
  readonly logs: LogEntry[] = [];
  /** Extra outputs per registration (e.g. a Command's stdout); replace it between tests. */
  outputsFor: OutputsFor = () => undefined;

  private constructor(
    private readonly servers: readonly grpc.Server[],
    readonly engineAddress: string,
    readonly monitorAddress: string,
  ) {}

  static async start(): Promise<FakeEngine> {
    const engineServer = new grpc.Server();
    const monitorServer = new grpc.Server();
    // One server would do; two keep the addresses distinct, as with the real engine.
    const [enginePort, monitorPort] = await Promise.all([bind(engineServer), bind(monitorServer)]);
    const fake = new FakeEngine(
      [engineServer, monitorServer],
      `127.0.0.1:${enginePort}`,
      `127.0.0.1:${monitorPort}`,
    );
    engineServer.addService(
      enginerpc.EngineService,
      fake.engineService() as grpc.UntypedServiceImplementation,
    );
    monitorServer.addService(
      resrpc.ResourceMonitorService,
      fake.monitorService() as grpc.UntypedServiceImplementation,
    );
    return fake;
  }

  /** Forgets what earlier Construct calls registered and logged. */
  reset(): void {
    this.registrations.length = 0;
    this.outputs.clear();
    this.logs.length = 0;
    this.outputsFor = () => undefined;
  }

  stop(): Promise<void> {
    for (const s of this.servers) s.forceShutdown();
    return Promise.resolve();
  }

  /** The object the monitor answers a registration with: the inputs echoed, plus the test's extras. */
  respond(r: Registration): Record<string, unknown> {
    return { ...r.object, ...(this.outputsFor(r) ?? {}) };
  }

  private engineService(): Partial<enginerpc.IEngineServer> {
    return {
      log: (call, callback) => {
        const req = call.request;
        this.logs.push({
          severity: SEVERITIES[req.getSeverity()] ?? "info",
          message: req.getMessage(),
          urn: req.getUrn(),
        });
        callback(null, new emptyproto.Empty());
      },
      getRootResource: (_call, callback) => {
        callback(null, new engineproto.GetRootResourceResponse().setUrn(STACK_URN));
      },
      setRootResource: (_call, callback) => {
        callback(null, new engineproto.SetRootResourceResponse());
      },
    };
  }

  private monitorService(): Partial<resrpc.IResourceMonitorServer> {
    return {
      supportsFeature: (call, callback) => {
        callback(
          null,
          new resproto.SupportsFeatureResponse().setHassupport(FEATURES[call.request.getId()] ?? false),
        );
      },
      registerResource: (call, callback) => {
        const req = call.request;
        const r = registrationOf(req, urnFor(req.getParent(), req.getType(), req.getName()));
        this.registrations.push(r);
        const resp = new resproto.RegisterResourceResponse().setUrn(r.urn);
        if (r.custom) resp.setId(`${r.name}_id`);
        resp.setObject(structproto.Struct.fromJavaScript(this.respond(r) as Record<string, never>));
        callback(null, resp);
      },
      registerResourceOutputs: (call, callback) => {
        const req = call.request;
        this.outputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
        callback(null, new emptyproto.Empty());
      },
    };
  }
}

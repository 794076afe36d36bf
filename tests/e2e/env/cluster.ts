/**
 * A real Kubernetes control plane on loopback: kine (K3s's datastore shim, pure-Go sqlite) or
 * etcd, and kube-apiserver on 127.0.0.1 with random free ports, its own PKI and an admin
 * kubeconfig. No controller-manager, scheduler or kubelet runs: objects are stored and served,
 * CRDs become Established (the API server does that itself), but no pod ever starts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { datastore, tool, TOOLS } from "./cache";
import { Kube, paths } from "./kube";
import { Daemon, freePort, GiveUp, startDaemon, waitFor } from "./proc";
import { kubeconfig, makePki, Pki } from "./tls";

interface Deleting {
  metadata: {
    name: string;
    namespace: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    uid: string;
  };
}

/**
 * The one part of kube-controller-manager the scenarios need, which no controller runs here: the
 * garbage collector's foreground deletion. The Kubernetes provider deletes with
 * `propagationPolicy: Foreground`, which puts the `foregroundDeletion` finalizer on the object; the
 * garbage collector removes it once the object has no dependents left. NetworkAttachmentDefinitions
 * own nothing, so every NAD marked for deletion with only that finalizer is finished at once, as the
 * collector would. Other finalizers are left alone. Polls every 200 ms until stopped.
 */
function foregroundDeletion(kube: Kube): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the function returned below
    while (!stopped) {
      try {
        for (const nad of await kube.list<Deleting>(paths.allNads)) {
          const m = nad.metadata;
          if (m.deletionTimestamp && (m.finalizers ?? []).every((f) => f === "foregroundDeletion")) {
            await kube.mergePatch(paths.nad(m.namespace, m.name), {
              metadata: { finalizers: null, uid: m.uid },
            });
          }
        }
      } catch {
        // No CRD yet (404), or the server is going away: try again.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

export interface Cluster {
  readonly server: string;
  readonly pki: Pki;
  /** The admin kubeconfig (credentials embedded), and a file holding it. */
  readonly kubeconfig: string;
  readonly kubeconfigFile: string;
  readonly kube: Kube;
  /** `kine` or `etcd`, and the API server's reported gitVersion. */
  readonly datastore: string;
  readonly version: string;
  stop(): Promise<void>;
}

async function startDatastore(dir: string): Promise<{ daemon: Daemon; endpoint: string }> {
  const ds = datastore();
  if (!ds) throw new Error("no datastore (kine or etcd) in the e2e tool cache");
  const port = await freePort();
  if (ds.kind === "kine") {
    const daemon = startDaemon("kine", [
      ds.bin,
      "--endpoint",
      `sqlite://${path.join(dir, "state.db")}?_journal=WAL&cache=shared&_busy_timeout=30000`,
      "--listen-address",
      `127.0.0.1:${port}`,
      "--metrics-bind-address",
      "0",
    ]);
    return { daemon, endpoint: `http://127.0.0.1:${port}` };
  }
  const peer = await freePort();
  const daemon = startDaemon("etcd", [
    ds.bin,
    "--data-dir",
    path.join(dir, "etcd"),
    "--listen-client-urls",
    `http://127.0.0.1:${port}`,
    "--advertise-client-urls",
    `http://127.0.0.1:${port}`,
    "--listen-peer-urls",
    `http://127.0.0.1:${peer}`,
    "--initial-advertise-peer-urls",
    `http://127.0.0.1:${peer}`,
    "--initial-cluster",
    `default=http://127.0.0.1:${peer}`,
    "--listen-metrics-urls",
    "",
    "--log-level",
    "warn",
  ]);
  return { daemon, endpoint: `http://127.0.0.1:${port}` };
}

/** Starts the control plane in `dir` and waits for /readyz. */
export async function startCluster(dir: string): Promise<Cluster> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki = await makePki(fs.mkdtempSync(path.join(dir, "pki-")));
  /** What to stop, in start order (stopped in reverse). */
  const daemons: Pick<Daemon, "stop">[] = [];
  const stop = async (): Promise<void> => {
    for (const d of daemons.reverse()) await d.stop();
  };
  try {
    const store = await startDatastore(dir);
    daemons.push(store.daemon);
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const issuer = "https://kubernetes.default.svc.cluster.local";
    const api = startDaemon("kube-apiserver", [
      tool(TOOLS.apiserver),
      `--etcd-servers=${store.endpoint}`,
      "--storage-backend=etcd3",
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${issuer}`,
      `--api-audiences=${issuer}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      "--service-cluster-ip-range=10.43.0.0/16",
      "--authorization-mode=RBAC",
      // As K3s runs it: the Multus and whereabouts DaemonSets are privileged.
      "--allow-privileged=true",
      "--anonymous-auth=false",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      "--endpoint-reconciler-type=none",
      "--v=0",
    ]);
    daemons.push(api);
    const kube = new Kube(server, pki);
    await waitFor(
      "kube-apiserver /readyz",
      async () => {
        if (!store.daemon.alive()) throw new GiveUp(`${store.daemon.name} exited: ${store.daemon.log()}`);
        if (!api.alive()) throw new GiveUp(`kube-apiserver exited: ${api.log()}`);
        const r = await kube.request("GET", "/readyz");
        return r.status === 200 && r.body.trim() === "ok" ? true : undefined;
      },
      120000,
      250,
    );
    // kube-system comes from the API server's own bootstrap; wait for it as well.
    await waitFor("namespace kube-system", () => kube.get("/api/v1/namespaces/kube-system"), 60000, 250);
    const version = ((await kube.get<{ gitVersion: string }>("/version")) ?? { gitVersion: "?" }).gitVersion;
    daemons.push({ stop: foregroundDeletion(kube) });
    const config = kubeconfig(pki, server);
    const kubeconfigFile = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfigFile, config, { mode: 0o600 });
    return {
      server,
      pki,
      kubeconfig: config,
      kubeconfigFile,
      kube,
      datastore: store.daemon.name,
      version,
      async stop() {
        kube.close();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

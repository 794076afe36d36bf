/**
 * Runs a DaemonSet's containers, as read back from the API server, as processes on a simulated
 * node, the way the kubelet and containerd would: each container in a mount namespace of its own
 * whose root is its image's files (tests/dataplane/images.ts), with every `hostPath` volume bound
 * (node path at the container's mountPath; a missing host dir is created, as containerd does),
 * every `configMap` volume written from the API server's ConfigMap (`subPath` bound as a file),
 * the service-account token from a TokenRequest for the pod's own service account plus the CA at
 * /var/run/secrets/kubernetes.io/serviceaccount, the environment the spec gives (`fieldRef`s
 * resolved) plus the service variables the kubelet adds (the API server as the node sees it,
 * API_INSIDE), `command`/`args` exactly as rendered (the image's entrypoint when `command` is
 * absent). hostNetwork pods: the node's network namespace. Init containers run to completion first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { shellQuote as q } from "../../provider/src/node/scripts";
import { Kube } from "../e2e/env/kube";
import { Daemon, startDaemon, waitFor } from "../e2e/env/proc";
import { imageFor, stageImage } from "./images";
import { API_INSIDE, childPid, DataplaneNode } from "./node";
import { ensureDefaultServiceAccount } from "./sandbox";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: {
    name: string;
    mountPath: string;
    subPath?: string;
    readOnly?: boolean;
    mountPropagation?: "None" | "HostToContainer" | "Bidirectional";
  }[];
}
export interface Volume {
  name: string;
  hostPath?: { path: string };
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number };
}
export interface PodSpec {
  serviceAccountName?: string;
  hostNetwork?: boolean;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}
export interface DaemonSet {
  metadata: { name: string; namespace: string; generation?: number };
  spec: { template: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec } };
}

/** A container process of a pod on the node. */
export interface RunningContainer {
  readonly name: string;
  readonly daemon: Daemon;
  /** Its pid on the host; undefined when it had already exited when looked for. */
  readonly pid: number | undefined;
  /** SIGTERM (the kubelet's stop), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** One pod of a DaemonSet on the node: its containers, stopped together. */
export interface DaemonPod {
  readonly name: string;
  readonly containers: RunningContainer[];
  /** Output of each init container (they have exited 0). */
  readonly initLogs: Record<string, string>;
  stop(): Promise<void>;
}

let podCounter = 0;

/** Asks the API server for a token of service account `ns/sa` (TokenRequest), as the kubelet does for a projected volume. */
export async function serviceAccountToken(kube: Kube, ns: string, sa: string): Promise<string> {
  const r = await kube.request("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`TokenRequest ${ns}/${sa}: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { status: { token: string } }).status.token;
}

/**
 * Starts the pod `ds` would run on `node`: writes its service-account files and configMaps, runs
 * the init containers to completion (rejecting with their output if one fails), then starts the
 * containers. `ready(name, log)` says when a container has started (default: at once).
 */
export async function runDaemonPod(
  node: DataplaneNode,
  kube: Kube,
  caCert: string,
  ds: DaemonSet,
  opts: { ready?: (container: string, log: string) => boolean; timeoutMs?: number } = {},
): Promise<DaemonPod> {
  const ns = ds.metadata.namespace;
  const spec = ds.spec.template.spec;
  const pod = `${ds.metadata.name}-${node.name}-${++podCounter}`;
  const podDir = `/srv/pods/${pod}`;
  const fields: Record<string, string> = {
    "spec.nodeName": node.name,
    "metadata.namespace": ns,
    "metadata.name": pod,
    "spec.serviceAccountName": spec.serviceAccountName ?? "default",
  };
  // The service account volume.
  const saDir = `${podDir}/serviceaccount`;
  if ((spec.serviceAccountName ?? "default") === "default") await ensureDefaultServiceAccount(kube, ns);
  fs.mkdirSync(node.path(saDir), { recursive: true });
  fs.writeFileSync(
    node.path(`${saDir}/token`),
    await serviceAccountToken(kube, ns, spec.serviceAccountName ?? "default"),
  );
  fs.copyFileSync(caCert, node.path(`${saDir}/ca.crt`));
  fs.writeFileSync(node.path(`${saDir}/namespace`), ns);
  // configMap volumes.
  const volumeSource = new Map<string, string>();
  for (const v of spec.volumes ?? []) {
    if (v.hostPath) volumeSource.set(v.name, v.hostPath.path);
    if (v.configMap) {
      const cm = await kube.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${ns}/configmaps/${v.configMap.name}`,
      );
      if (!cm) throw new Error(`configMap ${ns}/${v.configMap.name} of volume ${v.name} not found`);
      const dir = `${podDir}/volumes/${v.name}`;
      fs.mkdirSync(node.path(dir), { recursive: true });
      const items = v.configMap.items ?? Object.keys(cm.data ?? {}).map((key) => ({ key, path: key }));
      for (const it of items) {
        const file = node.path(`${dir}/${it.path}`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, cm.data?.[it.key] ?? "", { mode: v.configMap.defaultMode ?? 0o644 });
      }
      volumeSource.set(v.name, dir);
    }
  }
  const startOne = (c: Container): Daemon => {
    const image = imageFor(c.image);
    const root = `${podDir}/${c.name}/rootfs`;
    stageImage(image, node.path(root));
    // Every mount a slave of the node's (shared ones propagate in, none out), then each volume
    // private unless its mountPropagation says HostToContainer, as runc sets them up.
    const lines = ["set -e", `R=${q(root)}`, "mount --make-rslave /"];
    for (const m of c.volumeMounts ?? []) {
      const src0 = volumeSource.get(m.name);
      if (src0 === undefined)
        throw new Error(`${ds.metadata.name}/${c.name}: volume ${m.name} has no source`);
      const src = m.subPath ? `${src0}/${m.subPath}` : src0;
      const isFile =
        m.subPath !== undefined && fs.statSync(node.path(src), { throwIfNoEntry: false })?.isFile();
      lines.push(
        isFile ? "" : `mkdir -p ${q(src)}`,
        isFile
          ? `mkdir -p "$R"${q(path.posix.dirname(m.mountPath))} && : > "$R"${q(m.mountPath)}`
          : `mkdir -p "$R"${q(m.mountPath)}`,
        `mount --rbind ${q(src)} "$R"${q(m.mountPath)}`,
        m.mountPropagation === "HostToContainer" || m.mountPropagation === "Bidirectional"
          ? `mount --make-rslave "$R"${q(m.mountPath)}`
          : `mount --make-rprivate "$R"${q(m.mountPath)}`,
        ...(m.readOnly ? [`mount -o remount,bind,ro "$R"${q(m.mountPath)}`] : []),
      );
    }
    const sa = "/var/run/secrets/kubernetes.io/serviceaccount";
    lines.push(
      `mkdir -p "$R${sa}" "$R/proc" "$R/dev" "$R/tmp"`,
      `mount --bind ${q(saDir)} "$R${sa}" && mount -o remount,bind,ro "$R${sa}"`,
      'mount -t proc proc "$R/proc"',
      'mount --rbind /dev "$R/dev"',
    );
    const env: Record<string, string> = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOSTNAME: node.name,
      HOME: "/root",
      KUBERNETES_SERVICE_HOST: API_INSIDE.host,
      KUBERNETES_SERVICE_PORT: String(API_INSIDE.port),
      KUBERNETES_SERVICE_PORT_HTTPS: String(API_INSIDE.port),
    };
    for (const e of c.env ?? []) {
      const fp = e.valueFrom?.fieldRef?.fieldPath;
      if (fp !== undefined) {
        if (!(fp in fields)) throw new Error(`${c.name}: fieldRef ${fp} is not supported here`);
        env[e.name] = fields[fp];
      } else env[e.name] = e.value ?? "";
    }
    const argv = [...(c.command ?? image.entrypoint), ...(c.args ?? (c.command ? [] : image.cmd))];
    lines.push(
      `exec env -i ${Object.entries(env)
        .map(([k, v]) => q(`${k}=${v}`))
        .join(" ")} chroot "$R" ${argv.map(q).join(" ")}`,
    );
    const daemon = startDaemon(
      `${pod}/${c.name}`,
      node.enter(["unshare", "--mount", "--propagation", "unchanged", "sh", "-c", lines.join("\n")]),
      {
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      },
    );
    return daemon;
  };

  const running: RunningContainer[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of running.reverse()) await c.stop();
    running.length = 0;
  };
  const initLogs: Record<string, string> = {};
  try {
    for (const c of spec.initContainers ?? []) {
      const daemon = startOne(c);
      await waitFor(
        `init container ${c.name}`,
        () => Promise.resolve(daemon.alive() ? undefined : true),
        opts.timeoutMs ?? 30000,
      );
      initLogs[c.name] = daemon.log();
      if (daemon.child.exitCode !== 0) {
        throw new Error(`init container ${c.name} exited ${daemon.child.exitCode}: ${daemon.log()}`);
      }
    }
    for (const c of spec.containers) {
      const daemon = startOne(c);
      const pid = await childPid(daemon);
      running.push({
        name: c.name,
        daemon,
        pid,
        async stop(graceMs = 10000) {
          if (!daemon.alive() || pid === undefined) return;
          try {
            process.kill(pid, "SIGTERM");
          } catch {
            /* gone already */
          }
          const until = Date.now() + graceMs;
          while (daemon.alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
          if (daemon.alive()) {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              /* gone already */
            }
          }
          await daemon.stop(1000);
        },
      });
      const ready = opts.ready;
      if (ready) {
        await waitFor(
          `container ${c.name} to start`,
          () => Promise.resolve(ready(c.name, daemon.log()) || !daemon.alive() ? true : undefined),
          opts.timeoutMs ?? 30000,
          50,
        );
      }
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  return {
    name: pod,
    containers: running,
    initLogs,
    async stop() {
      await stopAll();
      fs.rmSync(node.path(podDir), { recursive: true, force: true });
    },
  };
}

/** The DaemonSet `ns/name` as the API server holds it. */
export async function readDaemonSet(kube: Kube, ns: string, name: string): Promise<DaemonSet> {
  const ds = await kube.get<DaemonSet>(`/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`);
  if (!ds) throw new Error(`DaemonSet ${ns}/${name} not found`);
  return ds;
}

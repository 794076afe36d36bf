/**
 * A simulated K3s node for the data-plane tests: the mount and PID namespace of
 * tests/helpers/simnode.ts plus a network namespace of its own, holding K3s's real layout (data
 * dir, `data/<hash>/bin` with K3s's own CNI plugins, `data/current`, `data/cni` from the gate on,
 * containerd's generated `config.toml`, `10-flannel.conflist` (the stand-in,
 * tests/helpers/k3sfixtures.ts) and `/run/flannel/subnet.env`), a macvlan master `eth0` (a veth
 * link whose peer is in a "LAN" namespace of the test) and the API server reachable at 127.0.0.1:6443 inside it (k3sm-netns-forward). Commands
 * run inside with `nsenter`; the node's files are read and written through `/proc/<init>/root`.
 * `stop` ends every process of the node (its PID namespace) and deletes the network namespace:
 * the pod namespaces, links and mounts made inside go with it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  containerdV2,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  FLANNEL_LEASE,
  FLANNEL_SUBNET_ENV,
  fakeK3s,
  flannelStandInConflist,
  flannelSubnetEnv,
  K3S_OWN_PLUGINS,
} from "../helpers/k3sfixtures";
import { RunningNode, startNode } from "../helpers/simnode";
import { shellQuote as q } from "../../provider/src/node/scripts";
import { Daemon, GiveUp, run, RunOpts, RunResult, runOk, startDaemon, waitFor } from "../e2e/env/proc";
import { tool } from "../e2e/env/cache";

export const CONF_DIR = `${DD}/agent/etc/cni/net.d`;
/** Where the API server answers inside the node (K3s's own port on a server node). */
export const API_INSIDE = { host: "127.0.0.1", port: 6443 };
const NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Which side of the October 2024 gate the node's K3s is on, and its asset dir's hash. */
export interface K3sLayout {
  readonly tag: string;
  readonly gated: boolean;
  readonly hash: string;
}

/** The bin dir containerd's config names for `l`, and the one the component must choose. */
export const containerdBinDir = (l: K3sLayout): string =>
  l.gated ? `${DD}/data/cni` : `${DD}/data/${l.hash}/bin`;
export const componentBinDir = (l: K3sLayout): string =>
  l.gated ? `${DD}/data/cni` : `${DD}/data/current/bin`;

/** The node's LAN (beyond eth0): the address a test's DHCP server there has. */
export const LAN = { server: "10.99.0.1", prefix: "10.99.0" };

let counter = 0;

export class DataplaneNode {
  private forwarder?: Daemon;

  private constructor(
    readonly name: string,
    readonly netns: string,
    /** The namespace at the other end of the node's eth0 (its LAN: a DHCP server can run there). */
    readonly lan: string,
    private readonly running: RunningNode,
    readonly pid: number,
    readonly log: string[],
    public layout: K3sLayout,
  ) {}

  /** Starts a node named `name` on `layout`, the API server at `apiServer` forwarded inside. */
  static async start(opts: {
    name: string;
    layout: K3sLayout;
    pluginsDir: string;
    apiServer: { host: string; port: number };
  }): Promise<DataplaneNode> {
    const netns = `k3sm-dp-${process.pid}-${++counter}`;
    const lan = `${netns}-lan`;
    await runOk(["ip", "netns", "add", netns]);
    await runOk(["ip", "netns", "add", lan]);
    const log: string[] = [];
    let running: RunningNode | undefined;
    try {
      for (const args of [
        ["link", "set", "lo", "up"],
        // The node's NIC: a veth pair whose other end (wire0) is the node's LAN, a namespace of its own.
        ["link", "add", "eth0", "type", "veth", "peer", "name", "wire0"],
        ["link", "set", "eth0", "up"],
        ["link", "set", "wire0", "netns", lan],
      ])
        await runOk(["ip", "-n", netns, ...args]);
      await runOk(["ip", "-n", lan, "link", "set", "wire0", "up"]);
      await runOk(["ip", "-n", lan, "addr", "add", `${LAN.server}/24`, "dev", "wire0"]);
      const l = opts.layout;
      running = startNode(
        {
          files: {
            "/usr/local/bin/k3s": fakeK3s(l.tag),
            [`${DD}/data/current`]: { symlink: `${DD}/data/${l.hash}` },
            [ctrdConfig(DD)]: {
              content: containerdV2({ binDir: containerdBinDir(l), confDir: CONF_DIR }),
              mode: 0o600,
            },
            [`${CONF_DIR}/10-flannel.conflist`]: flannelStandInConflist(FLANNEL_LEASE),
          },
          extraSetup: [
            // The node's network namespace, reachable after /run is replaced below.
            "mkdir -p /srv/.k3sm && : > /srv/.k3sm/netns",
            `mount --bind ${q(`/run/netns/${netns}`)} /srv/.k3sm/netns`,
            // A /run of the node's own: flannel's lease, containerd's pod namespaces, the DHCP socket.
            "mount -t tmpfs -o mode=0755 tmpfs /run",
            "mkdir -p /run/flannel /run/netns",
            // As `ip netns add` leaves it: a shared mount, so that pods' namespaces reach containers
            // that mount /run/netns with HostToContainer propagation (the DHCP daemon).
            "mount --bind /run/netns /run/netns && mount --make-shared /run/netns",
            `printf '%s' ${q(flannelSubnetEnv(FLANNEL_LEASE))} > ${FLANNEL_SUBNET_ENV}`,
            ...installK3sPlugins(l, opts.pluginsDir),
          ],
        },
        ["nsenter", "--net=/srv/.k3sm/netns", "sleep", "infinity"],
        log,
      );
      const unsharePid = running.child.pid;
      let exited = false;
      running.child.once("exit", () => (exited = true));
      const pid = await waitFor(
        `node ${opts.name} to start`,
        () => {
          if (exited) throw new GiveUp(`node setup failed: ${log.join("")}`);
          const kid = childrenOf(unsharePid ?? -1).at(0);
          return Promise.resolve(kid !== undefined && readComm(kid) === "sleep" ? kid : undefined);
        },
        30000,
        50,
      );
      const node = new DataplaneNode(opts.name, netns, lan, running, pid, log, l);
      await node.startForwarder(opts.apiServer);
      return node;
    } catch (e) {
      await running?.stop().catch(() => undefined);
      await run(["ip", "netns", "del", netns]);
      await run(["ip", "netns", "del", lan]);
      throw e;
    }
  }

  private async startForwarder(api: { host: string; port: number }): Promise<void> {
    const f = startDaemon("netns-forward", [
      tool("k3sm-netns-forward"),
      "-netns",
      `/run/netns/${this.netns}`,
      "-listen",
      `${API_INSIDE.host}:${API_INSIDE.port}`,
      "-to",
      `${api.host}:${api.port}`,
    ]);
    this.forwarder = f;
    await waitFor(
      "the API server forwarder",
      () => {
        if (!f.alive()) throw new GiveUp(`forwarder exited: ${f.log()}`);
        return Promise.resolve(f.log().includes("listening") ? true : undefined);
      },
      10000,
      50,
    );
  }

  /** argv that runs `argv` inside the node (its mount, network and PID namespaces). */
  enter(argv: readonly string[]): string[] {
    return ["nsenter", "-t", String(this.pid), "-m", "-n", "-p", "--wd=/", "--", ...argv];
  }

  /** Runs `argv` inside the node as root, with the node's PATH. */
  exec(argv: readonly string[], opts: RunOpts = {}): Promise<RunResult> {
    return run(this.enter(argv), { ...opts, env: { PATH: NODE_PATH, HOME: "/root", ...opts.env } });
  }

  /** Like {@link exec}, rejecting unless it exits 0. */
  execOk(argv: readonly string[], opts: RunOpts = {}): Promise<RunResult> {
    return runOk(this.enter(argv), { ...opts, env: { PATH: NODE_PATH, HOME: "/root", ...opts.env } });
  }

  /** A shell command run inside the node (`sh -c`). */
  sh(script: string, opts: RunOpts = {}): Promise<RunResult> {
    return this.execOk(["sh", "-c", script], opts);
  }

  /**
   * The host path of node path `p`, through the node's root, with the node's symlinks resolved
   * inside the node (the kernel would resolve an absolute link target against the caller's root);
   * the last component is followed unless `followLast` is false.
   */
  path(p: string, followLast = true): string {
    const root = `/proc/${this.pid}/root`;
    const parts = p.split("/").filter(Boolean);
    let cur = "";
    for (let i = 0, hops = 0; i < parts.length; i++) {
      const next = `${cur}/${parts[i]}`;
      const last = i === parts.length - 1;
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(root + next);
      } catch {
        st = undefined;
      }
      if (st?.isSymbolicLink() && (followLast || !last)) {
        if (++hops > 40) throw new Error(`symlink loop at ${p}`);
        const target = fs.readlinkSync(root + next);
        const rest = parts.slice(i + 1);
        const base = target.startsWith("/") ? target : `${cur}/${target}`;
        parts.splice(0, parts.length, ...base.split("/").filter(Boolean), ...rest);
        // Resolve ".." and "." of the substituted path from the start.
        const norm = path.posix
          .normalize(`/${parts.join("/")}`)
          .split("/")
          .filter(Boolean);
        parts.splice(0, parts.length, ...norm);
        cur = "";
        i = -1;
        continue;
      }
      cur = next;
    }
    return root + (cur || "/");
  }

  /** Whether node path `p` exists (a symlink counts as itself, not its target). */
  exists(p: string): boolean {
    try {
      fs.lstatSync(this.path(p, false));
      return true;
    } catch {
      return false;
    }
  }

  read(p: string): string {
    return fs.readFileSync(this.path(p), "utf8");
  }

  /** Files and symlinks (not dirs) under node dir `dir`, as node paths, sorted; [] when it does not exist. */
  files(dir: string): string[] {
    const root = this.path(dir);
    if (!fs.existsSync(root)) return [];
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.push(path.join(dir, path.relative(root, p)));
      }
    };
    walk(root);
    return out.sort();
  }

  /** Upgrades K3s in place as its installer does: a new `data/<hash>`, `current` moved, containerd's config rewritten. */
  async upgrade(to: K3sLayout, pluginsDir: string): Promise<void> {
    await this.sh(
      [
        "set -e",
        `printf '%s' ${q(fakeK3sText(to.tag))} > /usr/local/bin/k3s`,
        ...installK3sPlugins(to, pluginsDir),
        `ln -sfn ${q(`${DD}/data/${to.hash}`)} ${q(`${DD}/data/current`)}`,
        `printf '%s' ${q(containerdV2({ binDir: containerdBinDir(to), confDir: CONF_DIR }))} > ${q(ctrdConfig(DD))}`,
      ].join("\n"),
    );
    this.layout = to;
  }

  /** containerd's CNI dirs, read from its generated config as containerd reads them. */
  containerdDirs(): { binDir: string; confDir: string } {
    const toml = this.read(ctrdConfig(DD));
    const get = (key: string): string => {
      const m = new RegExp(`^\\s*${key} = "([^"]*)"`, "m").exec(toml);
      if (!m) throw new Error(`no ${key} in ${ctrdConfig(DD)}`);
      return m[1];
    };
    return { binDir: get("bin_dir"), confDir: get("conf_dir") };
  }

  async stop(): Promise<void> {
    await this.forwarder?.stop();
    await this.running.stop();
    await run(["ip", "netns", "del", this.netns]);
    await run(["ip", "netns", "del", this.lan]);
  }
}

function fakeK3sText(tag: string): string {
  const e = fakeK3s(tag);
  if (typeof e === "string") return e;
  if ("content" in e) return e.content;
  throw new Error("fakeK3s gives a file");
}

/** Shell lines placing K3s's own CNI plugins (copies of the reference plugins) in the asset dir and, gated, in `data/cni`. */
function installK3sPlugins(l: K3sLayout, pluginsDir: string): string[] {
  const dirs = [`${DD}/data/${l.hash}/bin`, ...(l.gated ? [`${DD}/data/cni`] : [])];
  return dirs.flatMap((d) => [
    `mkdir -p ${q(d)}`,
    ...K3S_OWN_PLUGINS.map((p) => `cp ${q(path.join(pluginsDir, p))} ${q(`${d}/${p}`)}`),
  ]);
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function readComm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * The first child of the daemon's process (nsenter forks the process that enters the PID
 * namespace); undefined when the daemon has already exited (a container may end at once).
 */
export async function childPid(d: Daemon): Promise<number | undefined> {
  const pid = d.child.pid ?? -1;
  const found = await waitFor(
    `a child of ${d.name} (pid ${String(pid)})`,
    () => {
      const child = childrenOf(pid).at(0);
      return Promise.resolve(child !== undefined ? { child } : d.alive() ? undefined : { child: undefined });
    },
    30000,
    20,
  );
  return found.child;
}

export const tmpdirPrefix = path.join(os.tmpdir(), "k3s-multus-dp-");

/**
 * The whole loopback environment of the end-to-end tests and the demo: the Kubernetes control
 * plane, the Helm repository, two simulated K3s nodes behind OpenSSH and an isolated Pulumi.
 * `upEnv` starts everything in one temp dir; `down` stops every process it started and removes
 * the dir, also after a failed start.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SHARED_DIR } from "../../helpers/shared";
import { serveCharts, ChartServer } from "./charts";
import { Cluster, startCluster } from "./cluster";
import { hasCommandProvider } from "./cache";
import { BEFORE_GATE, nodeFiles, Release } from "./fixtures";
import { SshNode, startSshNode } from "./nodes";
import { runOk } from "./proc";
import { Pulumi, setupPulumi } from "./pulumi";
import { makePki } from "./tls";

export const CHARTS_DIR = path.join(SHARED_DIR, "charts");

export interface E2eEnv {
  readonly dir: string;
  /** The basic auth the chart repository demands (a mirror behind credentials). */
  readonly chartAuth: { readonly username: string; readonly password: string };
  readonly cluster: Cluster;
  readonly charts: ChartServer;
  /**
   * The simulated nodes; empty when pulumi-resource-command is missing (`withNodes` false), since
   * then nothing could reach them.
   */
  readonly nodes: readonly SshNode[];
  readonly withNodes: boolean;
  readonly pulumi: Pulumi;
  /** One key pair that every node accepts (the examples take one key for all nodes). */
  readonly sharedKey: { readonly privateKey: string; readonly publicKey: string };
  /** Milliseconds each part took to start. */
  readonly timings: Readonly<Record<string, number>>;
  down(): Promise<void>;
}

/** Loopback addresses of the simulated nodes (all of 127.0.0.0/8 is loopback on Linux). */
export const NODE_HOSTS = ["127.0.0.1", "127.0.0.2"] as const;

export async function upEnv(opts: { release?: Release; log?: (line: string) => void } = {}): Promise<E2eEnv> {
  const log = opts.log ?? (() => undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-e2e-"));
  fs.chmodSync(dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const timings: Record<string, number> = {};
  const down = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (e) {
        errors.push(e);
      }
    }
    stops.length = 0;
    fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`teardown: ${errors.map(String).join("; ")}`);
  };
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const v = await f();
    timings[name] = Date.now() - t;
    log(`e2e: ${name} ready in ${timings[name]} ms`);
    return v;
  };
  try {
    if (!fs.existsSync(path.join(CHARTS_DIR, "index.yaml"))) {
      throw new Error(`no Helm repository at ${CHARTS_DIR} (../shared/charts beside the repository)`);
    }
    const release = opts.release ?? BEFORE_GATE;
    const withNodes = hasCommandProvider();
    const chartAuth = { username: "e2e-mirror", password: `pw-${randomBytes(12).toString("hex")}` };
    // The second node's key is encrypted: its passphrase is a secret that must reach the SSH client.
    const passphrases = [undefined, `kp-${randomBytes(12).toString("hex")}`];
    await runOk([
      "ssh-keygen",
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "e2e-shared",
      "-f",
      `${dir}/shared-key`,
    ]);
    const sharedKey = {
      privateKey: fs.readFileSync(`${dir}/shared-key`, "utf8"),
      publicKey: fs.readFileSync(`${dir}/shared-key.pub`, "utf8").trim(),
    };
    const [cluster, charts, nodes, pulumi] = await Promise.all([
      timed("kube-apiserver", async () => {
        const c = await startCluster(path.join(dir, "cluster"));
        stops.push(() => c.stop());
        return c;
      }),
      timed("chart repository", async () => {
        const pkiDir = path.join(dir, "charts-pki");
        fs.mkdirSync(pkiDir, { mode: 0o700 });
        const pki = await makePki(pkiDir);
        const s = await serveCharts(
          CHARTS_DIR,
          { cert: pki.serverCert, key: pki.serverKey, caFile: pki.caCert },
          chartAuth,
        );
        stops.push(() => s.stop());
        return s;
      }),
      timed("simulated nodes", () =>
        Promise.all(
          (withNodes ? NODE_HOSTS : []).map(async (host, i) => {
            const n = await startSshNode(path.join(dir, `node${i}`), host, nodeFiles(release), {
              passphrase: passphrases[i],
              extraAuthorizedKeys: [sharedKey.publicKey],
            });
            stops.push(() => n.stop());
            return n;
          }),
        ),
      ),
      timed("pulumi home", () => setupPulumi(path.join(dir, "pulumi"))),
    ]);
    // The engine's plugins (Helm in pulumi-resource-kubernetes) trust the mirror's CA.
    pulumi.env.SSL_CERT_FILE = charts.caFile;
    return { dir, chartAuth, sharedKey, cluster, charts, nodes, withNodes, pulumi, timings, down };
  } catch (e) {
    await down().catch(() => undefined);
    throw e;
  }
}

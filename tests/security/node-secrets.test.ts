/**
 * The node's own secrets stay on the node. Detection reads the running K3s's argv and environment
 * and its config files, where the cluster token and other credentials live (`--token`, K3S_TOKEN,
 * `token:` / `agent-token:` in config.yaml and its drop-ins, registry credentials); it prints only
 * the fixed detection lines, so none of them reaches the Command's stdout or stderr, which Pulumi
 * stores in plain text. Run for real on simulated nodes (tests/helpers/simnode.ts), in every shell,
 * with the exact command the component sends, on success and on each kind of failure.
 */
import { expect } from "chai";
import { detectCommand } from "../../provider/src/node/scripts";
import { containerdV3, ctrdConfig, DEFAULT_DATA_DIR as DD, k3sFiles } from "../helpers/k3sfixtures";
import { runOnNode, SHELLS, SimNode, viaSsh } from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

const TOKEN = "K10SENTINELtoken::server:5f1e9a2b";
const AGENT_TOKEN = "SENTINEL-agent-token-77c3";
const REGISTRY_PASSWORD = "SENTINEL-registry-password-0d4e";
const DATASTORE = "postgres://k3s:SENTINEL-db-password@db.lan:5432/k3s";
const SECRETS = [TOKEN, AGENT_TOKEN, REGISTRY_PASSWORD, "SENTINEL"];

/** A K3s node whose process, environment and config files hold credentials. */
function nodeWithSecrets(extra: Partial<SimNode> = {}, configDataDir?: string): SimNode {
  const config = [
    `token: ${TOKEN}`,
    `agent-token: ${AGENT_TOKEN}`,
    `datastore-endpoint: "${DATASTORE}"`,
    ...(configDataDir ? [`data-dir: ${configDataDir}`] : []),
    "",
  ].join("\n");
  return {
    files: {
      ...k3sFiles("v1.32.2+k3s1", DD),
      [ctrdConfig(DD)]: {
        content: containerdV3({
          dataDir: DD,
          binDir: `${DD}/data/cni`,
          confDir: `${DD}/agent/etc/cni/net.d`,
        }),
        mode: 0o600,
      },
      "/etc/rancher/k3s/config.yaml": { content: config, mode: 0o600 },
      "/etc/rancher/k3s/config.yaml.d/50-token.yaml": { content: `token: ${TOKEN}\n`, mode: 0o600 },
      "/etc/rancher/k3s/registries.yaml": {
        content: `configs:\n  registry.lan:\n    auth:\n      username: k3s\n      password: ${REGISTRY_PASSWORD}\n`,
        mode: 0o600,
      },
      [`${DD}/server/token`]: { content: `${TOKEN}\n`, mode: 0o600 },
      ...extra.files,
    },
    processes: extra.processes ?? [
      {
        comm: "k3s-server",
        argv: ["/usr/local/bin/k3s", "server", "--token", TOKEN, `--datastore-endpoint=${DATASTORE}`],
        env: { K3S_TOKEN: TOKEN, K3S_AGENT_TOKEN: AGENT_TOKEN, K3S_DATASTORE_ENDPOINT: DATASTORE },
      },
      {
        comm: "containerd",
        argv: ["containerd", "-c", ctrdConfig(DD), "-a", "/run/k3s/containerd/containerd.sock"],
      },
    ],
    users: extra.users,
  };
}

function expectNoSecret(text: string, where: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${s} in ${where}:\n${text}`).to.equal(false);
}

describe("security: the node's own secrets never leave it", function () {
  this.timeout(60000);

  before(function () {
    requireNamespaces(this);
    requireTools(this, "dash", "bash", "busybox");
  });

  it("detection succeeds and prints none of the K3s token, agent token, datastore or registry credentials", () => {
    for (const shell of SHELLS) {
      const r = runOnNode(nodeWithSecrets(), {
        command: viaSsh(detectCommand({ sudo: false }), shell),
      });
      expect(r.status, `${shell}: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.include("k3s-multus-detect 1");
      expectNoSecret(r.stdout, `${shell} stdout`);
      expectNoSecret(r.stderr, `${shell} stderr`);
    }
  });

  it("detection failures print none of them either", () => {
    const cases: [string, SimNode, string][] = [
      // The configured data dir is not a safe path: the error quotes the data dir, nothing else.
      ["bad-data-dir", nodeWithSecrets({}, "/var/lib/k3s data"), "bad-data-dir"],
      // No k3s binary anywhere.
      [
        "no-k3s",
        {
          ...nodeWithSecrets(),
          files: { ...nodeWithSecrets().files, "/usr/local/bin/k3s": "#!/bin/sh\nexit 1\n" },
        },
        "no-k3s",
      ],
    ];
    for (const [what, node, code] of cases) {
      for (const shell of SHELLS) {
        const r = runOnNode(node, { command: viaSsh(detectCommand({ sudo: false }), shell) });
        expect(r.status, `${what} in ${shell}`).to.not.equal(0);
        expect(r.stdout, `${what} in ${shell}`).to.include(`error=${code}`);
        expectNoSecret(r.stdout, `${what} ${shell} stdout`);
        expectNoSecret(r.stderr, `${what} ${shell} stderr`);
      }
    }
  });

  it("a non-root user without sudo gets no-permission, and no secret", () => {
    const node = nodeWithSecrets({ users: [{ name: "ubuntu", sudo: false }] });
    for (const sudo of [false, true]) {
      const r = runOnNode(node, { command: viaSsh(detectCommand({ sudo })), user: "ubuntu" });
      expect(r.status, r.stderr).to.not.equal(0);
      expect(r.stdout).to.include("error=no-permission");
      expectNoSecret(r.stdout + r.stderr, `sudo ${sudo}`);
    }
  });
});

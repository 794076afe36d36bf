/**
 * `npm run demo`: the main job without a cluster. Brings the loopback environment up (kine and
 * kube-apiserver, the chart mirror over ../shared/charts, two simulated K3s nodes behind OpenSSH,
 * an isolated Pulumi with the real plugins), runs `pulumi up` of the root program against it with
 * Pulumi.dev.yaml's network, prints the outputs and what Helm installed, and cleans up, also on
 * failure or Ctrl-C. Needs root (the nodes are namespaces) and the tools of scripts/e2e/tools.sh.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { upEnv, E2eEnv } from "../../tests/e2e/env";
import { missingTools } from "../../tests/e2e/env/cache";
import { helmList } from "../../tests/e2e/env/helm";
import { REPO_DIR, rootStack } from "../../tests/e2e/env/stack";

function devNetworks(): unknown[] {
  const dev = parse(fs.readFileSync(path.join(REPO_DIR, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  return (dev.config["k3s-multus-root:networks"] as unknown[] | undefined) ?? [];
}

async function main(): Promise<number> {
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(`demo: missing tools: ${missing.join(", ")}; build them with: sh scripts/e2e/tools.sh`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error("demo: needs root (the simulated nodes are mount and PID namespaces)");
    return 2;
  }
  let env: E2eEnv | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("demo: cleaning up");
    await env?.down();
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  const t0 = Date.now();
  try {
    env = await upEnv({ log: (l) => console.log(l) });
    console.log(
      `demo: environment up in ${Date.now() - t0} ms: kube-apiserver ${env.cluster.version} at ${env.cluster.server}`,
    );
    console.log(
      `demo: nodes ${env.nodes.map((n) => `${n.host}:${n.port}`).join(", ")}; charts at ${env.charts.url}`,
    );
    const stack = await rootStack(env, path.join(env.dir, "demo"), {
      stack: "demo",
      networks: devNetworks(),
    });
    const program = env.withNodes
      ? "the root program"
      : "the root program's pinned twin (pulumi-resource-command is not in the tool cache: no nodes)";
    console.log(`demo: pulumi up of ${program} (stack ${stack.name} in ${stack.dir})`);
    const up = await stack.run(["up", "--yes"], {
      onSpawn: (child) => {
        child.stdout?.on("data", (d: Buffer) => process.stdout.write(d));
        child.stderr?.on("data", (d: Buffer) => process.stderr.write(d));
      },
    });
    if (up.status !== 0) {
      console.error(`demo: pulumi up failed (exit ${up.status ?? up.signal})`);
      return 1;
    }
    console.log("demo: stack outputs:");
    console.log(JSON.stringify(await stack.outputs(), null, 2));
    console.log("demo: Helm releases in kube-system:");
    for (const r of await helmList(env.cluster, "kube-system"))
      console.log(`  ${r.name} ${r.chart} ${r.status}`);
    console.log(`demo: done in ${Math.round((Date.now() - t0) / 1000)} s`);
    return 0;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

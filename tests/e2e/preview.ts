/**
 * Issue 14 under the real engine: on an existing stack of the pinned-facts program, a preview in
 * which a data input turns unknown (a network's `master` from a ConfigMap the same update creates)
 * shows the component's children as updates and sames, never as deletes or replacements: the
 * children are registered from the shape, whatever their data.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { E2eEnv } from "./env";
import { errors, steps } from "./env/events";
import { copyProject, initStack, PINNED_PROGRAM, setNodeAndClusterSecrets, Stack } from "./env/stack";
import { NETWORKS } from "./expect";

/** The pinned program with one network's master unknown in a preview. */
const UNKNOWN_MASTER_PROGRAM = path.join(__dirname, "programs", "preview-unknown");

export function previewScenarios(getEnv: () => E2eEnv): void {
  let env: E2eEnv;
  let stack: Stack;
  let work: string;

  before(async function () {
    env = getEnv();
    work = fs.mkdtempSync(path.join(env.dir, "preview-"));
    const dir = path.join(work, "project");
    copyProject(PINNED_PROGRAM, dir, { links: { provider: env.pulumi.pluginDir } });
    stack = await initStack(env, dir, "preview");
    const p = stack.project;
    stack.setPlain({
      [`${p}:k3sVersion`]: "v1.32.2+k3s1",
      [`${p}:networks`]: NETWORKS,
      [`${p}:chart`]: { repository: env.charts.url, skipAwait: true },
    });
    await setNodeAndClusterSecrets(stack, env);
    await stack.setSecret("chart.repositoryUsername", env.chartAuth.username);
    await stack.setSecret("chart.repositoryPassword", env.chartAuth.password);
    const log = path.join(work, "up.events.jsonl");
    const r = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log]);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log).join("\n")}`).to.equal(0);
  });

  after(async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
  });

  it("a network's master unknown in a preview of an existing stack: updates and sames, never deletes", async () => {
    fs.copyFileSync(path.join(UNKNOWN_MASTER_PROGRAM, "Pulumi.yaml"), path.join(stack.dir, "Pulumi.yaml"));
    const log = path.join(work, "preview.events.jsonl");
    const r = await stack.run(["preview", "--event-log", log]);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log).join("\n")}`).to.equal(0);
    const ours = (name: string) => name === "multus" || name.startsWith("multus-");
    const created = [...steps(path.join(work, "up.events.jsonl")).entries()]
      .filter(([n, s]) => ours(n) && s.op === "create")
      .map(([n]) => n)
      .sort();
    expect(created, "the up created the releases, the NADs and the provider").to.include.members([
      "multus-crd",
      "multus-release",
      "multus-nad-macvlan-whereabouts",
      "multus-nad-bridge-hostlocal",
      "multus-k8s",
    ]);
    const previewed = steps(log);
    const ops = Object.fromEntries(created.map((n) => [n, previewed.get(n)?.op]));
    console.log(`      preview: ${JSON.stringify(ops)}`);
    // Every child the up created is in the preview, as a same or an update: none deleted or replaced.
    for (const [name, op] of Object.entries(ops)) expect(op, name).to.be.oneOf(["same", "update"]);
    for (const [name, s] of previewed) if (ours(name)) expect(s.op, name).to.be.oneOf(["same", "update"]);
    // The NAD whose master is unknown may change; the other network's stays as it is.
    expect(ops["multus-nad-macvlan-whereabouts"]).to.equal("update");
    expect(ops["multus-nad-bridge-hostlocal"]).to.equal("same");
  });
}

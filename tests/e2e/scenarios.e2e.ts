/**
 * The end-to-end suite (`npm run test:e2e`): the real Pulumi CLI and engine, the real provider
 * plugins, the published rke2-multus charts from a loopback mirror, a real kube-apiserver and two
 * simulated K3s nodes behind OpenSSH. One environment serves the scenarios, which run in the
 * issue's order: the root program (1–5), the other languages (6), the faults (7), the chart
 * versions and their CRDs (8). Everything is
 * torn down afterwards, also when a scenario fails. Missing tools fail on CI and skip elsewhere.
 */
import { E2eEnv, upEnv } from "./env";
import { requireE2eTools } from "./env/cache";
import { chartScenarios } from "./charts";
import { faultScenarios } from "./faults";
import { languageScenarios } from "./languages";
import { previewScenarios } from "./preview";
import { rootProgramScenarios } from "./rootProgram";
import { requireNamespaces, requireTools } from "../helpers/tools";
import { requireShared } from "../helpers/shared";

describe("end to end, on loopback", function () {
  this.timeout(15 * 60000);
  let env: E2eEnv | undefined;
  const getEnv = (): E2eEnv => {
    if (!env) throw new Error("the e2e environment is not up");
    return env;
  };

  before(async function () {
    requireShared(this);
    requireNamespaces(this);
    requireTools(this, "sshd", "ssh", "ssh-keygen", "openssl");
    requireE2eTools(this);
    const started = Date.now();
    env = await upEnv({ log: (l) => console.log(`      ${l}`) });
    console.log(
      `      e2e: environment up in ${Date.now() - started} ms (${env.cluster.datastore}, kube-apiserver ${env.cluster.version})`,
    );
  });

  after(async () => {
    await env?.down();
    env = undefined;
  });

  describe("the root program", () => rootProgramScenarios(getEnv));
  describe("6. other languages", () => languageScenarios(getEnv));
  describe("7. faults", () => faultScenarios(getEnv));
  describe("8. chart versions and CRDs", () => chartScenarios(getEnv));
  describe("9. a preview with an unknown data input", () => previewScenarios(getEnv));
});

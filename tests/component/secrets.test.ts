/**
 * Credentials: SSH keys and passwords (also the jump host's), the chart repository's credentials
 * and the kubeconfig never appear in plain text in a registered input outside a secret wrapper, nor
 * in a component output; and the component's outputs stay plain (not secret) so previews and stack
 * outputs are readable.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { MultusArgs } from "../../provider/src/args";
import {
  COMMAND_TYPE,
  K8S_PROVIDER_TYPE,
  MACVLAN_WHEREABOUTS,
  NEW_BIN,
  NEW_K3S,
  RELEASE_TYPE,
  SECRETS,
} from "./fixtures";
import {
  deploy,
  Harness,
  isSecretWrapper,
  loadMultus,
  outputValues,
  plainStrings,
  SECRET_SIG,
  stopMocks,
  unwrapSecret,
  wholeSecret,
} from "./harness";

const DETECT = { "10.10.0.1": NEW_K3S, "10.10.0.2": NEW_K3S };

/** Nodes and chart carrying every kind of credential, some wrapped in pulumi.secret, some plain. */
function argsWithSecrets(): MultusArgs {
  return {
    nodes: [
      {
        host: "10.10.0.1",
        privateKey: pulumi.secret(SECRETS.privateKey),
        privateKeyPassword: SECRETS.privateKeyPassword,
        proxy: {
          host: "bastion.lan",
          password: SECRETS.proxyPassword,
          privateKey: pulumi.secret(SECRETS.proxyKey),
          privateKeyPassword: SECRETS.proxyKeyPassword,
        },
      },
      { host: "10.10.0.2", user: "ops", sudo: true, password: SECRETS.password },
    ],
    networks: [MACVLAN_WHEREABOUTS],
    chart: { repositoryUsername: "robot", repositoryPassword: SECRETS.repositoryPassword },
    kubeconfig: SECRETS.kubeconfig,
  };
}

/** Every secret fixture carries a marker like SECRET-TOKEN-0008. */
const MARKER = /SECRET-[A-Z-]*\d{4}/;

/** Where a secret shows as a plain (not secret-wrapped) string in a registration or registered output. */
function leaks(h: Harness): string[] {
  const scan = (where: string, value: unknown) =>
    plainStrings(value)
      .filter(({ text }) => MARKER.test(text))
      .map(({ path, text }) => `${where} ${path}: ${MARKER.exec(text)?.[0]}`);
  return [
    ...h.registrations.flatMap((r) => [
      ...scan(`${r.name} (wire)`, r.wire),
      ...scan(`${r.name} (inputs)`, r.inputs),
    ]),
    ...h.outputs.flatMap((o) => scan(`outputs of ${o.urn}`, o.outputs)),
  ];
}

describe("Multus component: secrets", () => {
  afterEach(stopMocks);

  it("keeps every credential inside a secret wrapper in every registered input and output", async () => {
    const { h } = await deploy(argsWithSecrets(), { detect: DETECT });
    expect(h.registrations).to.have.lengthOf(11);
    expect(leaks(h)).to.deep.equal([]);
    for (const secret of Object.values(SECRETS)) expect(secret).to.match(MARKER);
  });

  it("makes every Command's connection secret, with the credentials inside", async () => {
    const { h } = await deploy(argsWithSecrets(), { detect: DETECT });
    const commands = h.ofType(COMMAND_TYPE);
    expect(commands).to.have.lengthOf(6);
    for (const c of commands) expect(isSecretWrapper(c.wire.connection), c.name).to.equal(true);
    const first = unwrapSecret(h.named("multus-detect-10-10-0-1").inputs.connection);
    expect(first).to.deep.include({
      host: "10.10.0.1",
      privateKey: SECRETS.privateKey,
      privateKeyPassword: SECRETS.privateKeyPassword,
    });
    expect((first as { proxy: object }).proxy).to.deep.include({
      host: "bastion.lan",
      password: SECRETS.proxyPassword,
      privateKey: SECRETS.proxyKey,
      privateKeyPassword: SECRETS.proxyKeyPassword,
    });
    const second = unwrapSecret(h.named("multus-cleanup-10-10-0-2").inputs.connection);
    expect(second).to.deep.include({ host: "10.10.0.2", user: "ops", password: SECRETS.password });
  });

  it("wraps the repository credentials and the kubeconfig as secrets", async () => {
    const { h } = await deploy(argsWithSecrets(), { detect: DETECT });
    for (const r of h.ofType(RELEASE_TYPE)) {
      const opts = unwrapSecret(r.inputs.repositoryOpts) as Record<string, unknown>;
      expect(opts, r.name).to.deep.equal({
        repo: "https://rke2-charts.rancher.io",
        username: "robot",
        password: SECRETS.repositoryPassword,
      });
      expect(JSON.stringify(r.wire.repositoryOpts), r.name).to.include(SECRET_SIG);
      expect(isSecretWrapper(r.wire.values), `${r.name} values stay plain`).to.equal(false);
    }
    const [provider] = h.ofType(K8S_PROVIDER_TYPE);
    expect(isSecretWrapper(provider.wire.kubeconfig)).to.equal(true);
    expect(unwrapSecret(provider.inputs.kubeconfig)).to.equal(SECRETS.kubeconfig);
  });

  it("keeps the component's outputs plain (not secret) although the inputs carry secrets", async () => {
    const { h, m } = await deploy(argsWithSecrets(), { detect: DETECT });
    for (const [k, o] of Object.entries(loadMultus().multusOutputs(m))) {
      expect(await pulumi.isSecret(o), k).to.equal(false);
    }
    const out = await outputValues(m);
    expect(out).to.deep.include({ cniBinDir: NEW_BIN, releaseStatus: "deployed" });
    expect(out.k3sVersions).to.deep.equal({ "10.10.0.1": "v1.30.6+k3s1", "10.10.0.2": "v1.30.6+k3s1" });
    const [registered] = h.outputs;
    expect(JSON.stringify(registered.outputs)).not.to.include(SECRET_SIG);
  });

  it("stays plain when the whole node list and chart arrive as secret Outputs (as through Construct), but for the values", async () => {
    const args = argsWithSecrets();
    const { h, m } = await deploy(
      { ...args, nodes: wholeSecret(args.nodes ?? []), chart: wholeSecret(args.chart ?? {}) },
      { detect: DETECT },
    );
    expect(
      h
        .ofType(COMMAND_TYPE)
        .map((c) => c.name)
        .sort(),
    ).to.deep.equal([
      "multus-claim-10-10-0-1",
      "multus-claim-10-10-0-2",
      "multus-cleanup-10-10-0-1",
      "multus-cleanup-10-10-0-2",
      "multus-detect-10-10-0-1",
      "multus-detect-10-10-0-2",
    ]);
    expect(leaks(h)).to.deep.equal([]);
    // A whole-secret chart may hold secrets in its values: they are kept secret, conservatively.
    for (const [k, o] of Object.entries(loadMultus().multusOutputs(m))) {
      expect(await pulumi.isSecret(o), k).to.equal(k === "chartValues");
    }
    const main = h.named("multus-release");
    expect(isSecretWrapper(main.wire.values)).to.equal(true);
    expect(isSecretWrapper(main.wire.namespace)).to.equal(false);
    expect((await outputValues(m)).cniBinDir).to.equal(NEW_BIN);
  });

  it("keeps a secret put in chart.values secret in the Release and in chartValues", async () => {
    const token = "SECRET-VALUES-0042";
    const { h, m } = await deploy(
      {
        ...argsWithSecrets(),
        chart: { values: { global: { systemDefaultRegistry: pulumi.secret(token) } } },
      },
      { detect: DETECT },
    );
    const main = h.named("multus-release");
    expect(isSecretWrapper(main.wire.values)).to.equal(true);
    expect(await pulumi.isSecret(m.chartValues)).to.equal(true);
    expect(await pulumi.isSecret(m.cniBinDir)).to.equal(false);
    expect(leaks(h)).to.deep.equal([]);
    const [registered] = h.outputs;
    expect(isSecretWrapper(registered.outputs.chartValues)).to.equal(true);
  });

  it("keeps every NAD config secret when a network field is a secret", async () => {
    const { h, m } = await deploy(
      {
        ...argsWithSecrets(),
        networks: [{ ...MACVLAN_WHEREABOUTS, master: pulumi.secret("eth0") }],
      },
      { detect: DETECT },
    );
    const nad = h.named("multus-nad-macvlan-whereabouts");
    expect(isSecretWrapper((nad.wire.spec as Record<string, unknown>).config)).to.equal(true);
    expect(await pulumi.isSecret(m.cniBinDir)).to.equal(false);
    expect(leaks(h)).to.deep.equal([]);
  });
});

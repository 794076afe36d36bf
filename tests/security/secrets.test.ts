/**
 * Credentials never leak: private keys, key passphrases, passwords (of nodes and jump hosts), the
 * chart repository's credentials and the kubeconfig appear only inside Pulumi secrets, never in a
 * registered input outside a secret, a component output, an error message or a log line. Each
 * credential is a distinctive sentinel; the runs record every registration on the wire, every
 * registered output, every error and everything written to stdout and stderr.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import fc from "fast-check";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { run as cli } from "../../provider/src/cli";
import { hostileArgs } from "../property/arbitraries";
import {
  COMMAND,
  detectOutput,
  isSecretWrapper,
  K8S_PROVIDER,
  plainStrings,
  RELEASE,
  Run,
  runMultus,
} from "./harness";

const S = {
  key: "SENTINEL-private-key-5f1e",
  passphrase: "SENTINEL-passphrase-9a2b",
  password: "SENTINEL-password-77c3",
  proxyKey: "SENTINEL-proxy-key-0d4e",
  proxyPassphrase: "SENTINEL-proxy-passphrase-3b9f",
  proxyPassword: "SENTINEL-proxy-password-c6a1",
  repoUser: "SENTINEL-repo-user-e2d8",
  repoPassword: "SENTINEL-repo-password-41f0",
  kubeconfig: "SENTINEL-kubeconfig-b7c5",
} as const;
const SENTINELS: readonly string[] = Object.values(S);
/** A bad-typed secret: a number nobody else prints. */
const BAD_NUMBER = 8675309123;

const V = "v1.32.2+k3s1";
const NET = {
  name: "lan",
  type: "macvlan",
  master: "eth1",
  ipam: { type: "whereabouts", range: "10.5.0.0/24" },
};

function node(host: string, wrap: (s: string) => pulumi.Input<string>) {
  return {
    host,
    privateKey: wrap(S.key),
    privateKeyPassword: wrap(S.passphrase),
    password: wrap(S.password),
    proxy: {
      host: "jump.lan",
      privateKey: wrap(S.proxyKey),
      privateKeyPassword: wrap(S.proxyPassphrase),
      password: wrap(S.proxyPassword),
    },
  };
}

function args(wrap: (s: string) => pulumi.Input<string>, extra: Record<string, unknown> = {}) {
  return {
    nodes: [node("10.0.0.1", wrap), node("10.0.0.2", wrap)],
    networks: [NET],
    chart: { repositoryUsername: wrap(S.repoUser), repositoryPassword: wrap(S.repoPassword) },
    kubeconfig: wrap(S.kubeconfig),
    ...extra,
  };
}

const plain = (s: string) => s;
const secret = (s: string) => pulumi.secret(s);

/** Everything a run exposed outside secrets: wire inputs, outputs, errors (message and stack), logs. */
function exposed(run: Run): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  for (const s of run.sent)
    for (const p of plainStrings(s.wire)) out.push({ where: `input ${s.name} ${p.path}`, text: p.text });
  run.outputs.forEach((o, i) =>
    plainStrings(o).forEach((p) => out.push({ where: `output ${i} ${p.path}`, text: p.text })),
  );
  for (const r of run.rejections) {
    out.push({ where: "error message", text: r instanceof Error ? r.message : String(r) });
    if (r instanceof Error && r.stack) out.push({ where: "error stack", text: r.stack });
  }
  run.logs.forEach((l) => out.push({ where: "log", text: l }));
  return out;
}

function expectNoLeak(run: Run, extra: readonly string[] = []): void {
  for (const { where, text } of exposed(run)) {
    for (const s of [...SENTINELS, ...extra])
      expect(text.includes(s), `${s} leaked in ${where}: ${text.slice(0, 300)}`).to.equal(false);
  }
}

/** The JSON of every secret-wrapped value sent, by resource. */
function secretsSent(run: Run): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (name: string, v: unknown): void => {
    if (isSecretWrapper(v)) found.set(name, `${found.get(name) ?? ""}${JSON.stringify(v)}`);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach((x) => walk(name, x));
  };
  for (const s of run.sent) walk(`${s.type} ${s.name}`, s.wire);
  return found;
}

describe("security: credentials never leak", function () {
  this.timeout(20000);

  for (const [how, wrap] of [
    ["as plain strings", plain],
    ["as pulumi.secret", secret],
  ] as const) {
    it(`a successful run with credentials ${how} sends them only as secrets`, async () => {
      const run = await runMultus(args(wrap), { detect: () => detectOutput(V) });
      expect(run.rejections.map(String)).to.deep.equal([]);
      expect(run.outputs.length, "the component registered its outputs").to.be.above(0);
      expectNoLeak(run);
      // And they did go where they are needed, wrapped: each node's Commands, the Releases, the provider.
      const secrets = secretsSent(run);
      for (const name of [
        "m-detect-10-0-0-1",
        "m-detect-10-0-0-2",
        "m-cleanup-10-0-0-1",
        "m-cleanup-10-0-0-2",
      ]) {
        const text = secrets.get(`${COMMAND} ${name}`) ?? "";
        for (const s of [S.key, S.passphrase, S.password, S.proxyKey, S.proxyPassphrase, S.proxyPassword])
          expect(text, `${s} in ${name}'s connection`).to.include(s);
      }
      const releases = run.created(RELEASE);
      expect(releases.length).to.be.above(0);
      for (const r of releases) {
        const text = secrets.get(`${RELEASE} ${r.name}`) ?? "";
        expect(text, r.name).to.include(S.repoUser);
        expect(text, r.name).to.include(S.repoPassword);
      }
      expect(secrets.get(`${K8S_PROVIDER} m-k8s`) ?? "").to.include(S.kubeconfig);
    });
  }

  it("the whole node list as one secret (as the provider receives it) leaks nothing", async () => {
    const run = await runMultus(
      { ...args(plain), nodes: pulumi.secret([node("10.0.0.1", plain)]) },
      { detect: () => detectOutput(V) },
    );
    expect(run.rejections.map(String)).to.deep.equal([]);
    expectNoLeak(run);
  });

  it("a validation error elsewhere leaks none of the credentials", async () => {
    for (const wrap of [plain, secret]) {
      const run = await runMultus(args(wrap, { networks: [{ ...NET, master: "eth1;reboot" }] }));
      expect(run.errors().join()).to.include("networks[0].master");
      expectNoLeak(run);
    }
  });

  it("a failing detection leaks none of the credentials", async () => {
    for (const detect of [
      () => "error=no-permission cannot read /var/lib/rancher/k3s as user ubuntu\n",
      () => {
        throw new Error("ssh: handshake failed: ssh: unable to authenticate");
      },
    ]) {
      const run = await runMultus(args(plain), { detect });
      expect(run.rejections.length).to.be.above(0);
      expectNoLeak(run);
    }
  });

  const badTyped: [string, (a: ReturnType<typeof args>) => void, string][] = [
    [
      "privateKey: a number",
      (a) => ((a.nodes[0] as Record<string, unknown>).privateKey = BAD_NUMBER),
      "nodes[0].privateKey",
    ],
    [
      "password: an object",
      (a) => ((a.nodes[0] as Record<string, unknown>).password = { value: S.password }),
      "nodes[0].password",
    ],
    [
      "privateKeyPassword: a list",
      (a) => ((a.nodes[1] as Record<string, unknown>).privateKeyPassword = [S.passphrase]),
      "nodes[1].privateKeyPassword",
    ],
    [
      "proxy privateKey: a number",
      (a) => ((a.nodes[0].proxy as Record<string, unknown>).privateKey = BAD_NUMBER),
      "nodes[0].proxy.privateKey",
    ],
    [
      "proxy password: an object",
      (a) => ((a.nodes[0].proxy as Record<string, unknown>).password = { p: S.proxyPassword }),
      "nodes[0].proxy.password",
    ],
    [
      "repositoryPassword: a number",
      (a) => ((a.chart as Record<string, unknown>).repositoryPassword = BAD_NUMBER),
      "chart.repositoryPassword",
    ],
    [
      "repositoryUsername: an object",
      (a) => ((a.chart as Record<string, unknown>).repositoryUsername = { u: S.repoUser }),
      "chart.repositoryUsername",
    ],
    // Misspelt credential keys: refused as unknown options, without their value.
    [
      "privatekey (misspelt)",
      (a) => ((a.nodes[0] as Record<string, unknown>).privatekey = "SENTINEL-misspelt-1"),
      "nodes[0].privatekey",
    ],
    [
      "proxy pasword (misspelt)",
      (a) => ((a.nodes[0].proxy as Record<string, unknown>).pasword = "SENTINEL-misspelt-2"),
      "nodes[0].proxy.pasword",
    ],
    [
      "repositoryPasword (misspelt)",
      (a) => ((a.chart as Record<string, unknown>).repositoryPasword = "SENTINEL-misspelt-3"),
      "chart.repositoryPasword",
    ],
    // Structures given where another was expected.
    ["one node instead of a list", (a) => ((a as Record<string, unknown>).nodes = a.nodes[0]), "nodes"],
    [
      "proxy as a URL with a password",
      (a) => ((a.nodes[0] as Record<string, unknown>).proxy = `ssh://jump:${S.proxyPassword}@jump.lan`),
      "nodes[0].proxy",
    ],
    ["chart as a list", (a) => ((a as Record<string, unknown>).chart = [a.chart]), "chart"],
  ];
  for (const [what, spoil, field] of badTyped) {
    it(`${what}: refused naming ${field}, the value not echoed`, async () => {
      const a = args(plain);
      spoil(a);
      const run = await runMultus(a);
      expect(run.errors().join("\n")).to.include(`${field}: `);
      expectNoLeak(run, [String(BAD_NUMBER), "SENTINEL-misspelt"]);
      expect(run.created().map((s) => s.type)).to.deep.equal(["k3s-multus:index:Multus"]);
    });
  }

  it("valid inputs with hostile fields: credentials never leak, whatever fails (property)", async () => {
    const SECRET_KEYS = ["privateKey", "privateKeyPassword", "password"];
    /** Puts a sentinel in every credential field that holds a string, and a kubeconfig. */
    const plant = (args: Record<string, unknown>): Record<string, unknown> => {
      const rec = (v: unknown) =>
        typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
      const fill = (o: Record<string, unknown> | undefined, keys: readonly string[], tag: string) => {
        if (!o) return o;
        const out = { ...o };
        for (const k of keys) if (typeof out[k] === "string") out[k] = `SENTINEL-${tag}-${k}`;
        return out;
      };
      const nodes = Array.isArray(args.nodes)
        ? (args.nodes as unknown[]).map((n, i) => {
            const filled = fill(rec(n), SECRET_KEYS, `node${i}`);
            if (filled && rec(filled.proxy)) filled.proxy = fill(rec(filled.proxy), SECRET_KEYS, `proxy${i}`);
            return filled ?? n;
          })
        : args.nodes;
      const chart = fill(rec(args.chart), ["repositoryUsername", "repositoryPassword"], "repo") ?? args.chart;
      return { ...args, nodes, chart, kubeconfig: "SENTINEL-kubeconfig" };
    };
    await fc.assert(
      fc.asyncProperty(hostileArgs, async ({ args }) => {
        const run = await runMultus(plant(args), { detect: () => detectOutput(V) });
        expectNoLeak(run, ["SENTINEL"]);
      }),
      { numRuns: 40 },
    );
  });

  describe("the CLI (k3s-multus render)", () => {
    /** Runs the CLI; its stdout, stderr and any process warning (which Node prints to stderr). */
    const render = (text: string, extra: string[] = []) => {
      const out: string[] = [];
      // Saved to be put back on `process`; never called unbound.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const emitWarning = process.emitWarning;
      process.emitWarning = (w: string | Error) => {
        out.push(typeof w === "string" ? w : `${w.message}\n${w.stack ?? ""}`);
      };
      try {
        const status = cli(["render", "-f", "inputs.yaml", "--k3s-version", V, ...extra], {
          stdout: (t) => out.push(t),
          stderr: (t) => out.push(t),
          readFile: () => text,
        });
        return { status, text: out.join("") };
      } finally {
        process.emitWarning = emitWarning;
      }
    };
    const file = (a: Record<string, unknown>) => toYaml(a);
    const noSentinel = (text: string) => {
      for (const s of [...SENTINELS, String(BAD_NUMBER), "SENTINEL"])
        expect(text.includes(s), `${s} in:\n${text}`).to.equal(false);
    };

    it("renders an inputs file holding every credential without printing one", () => {
      for (const extra of [[], ["-o", "json"], ["--values-only"], ["--manifests-only"]]) {
        const r = render(file(args(plain)), extra);
        expect(r.status, r.text).to.equal(0);
        noSentinel(r.text);
      }
    });

    it("refuses bad-typed and misspelt credentials in the file without printing them", () => {
      for (const [, spoil, field] of badTyped) {
        const a = args(plain);
        spoil(a);
        const r = render(file(a));
        expect(r.status, r.text).to.equal(2);
        expect(r.text).to.include(field);
        noSentinel(r.text);
      }
      const r = render(file({ ...args(plain), kubeconfig: { token: S.kubeconfig } }));
      expect(r.status).to.equal(2);
      noSentinel(r.text);
    });

    it("a YAML syntax error anywhere in the file prints no credential (property)", () => {
      const text = file(args(plain));
      fc.assert(
        fc.property(
          fc.nat(text.length),
          fc.constantFrom('"', "'", ":", "\t", "{", "[", "- ", "\n  x: ", "&a ", "*b", "|"),
          (at, insert) => {
            const broken = text.slice(0, at) + insert + text.slice(at);
            let parses = true;
            try {
              parseYaml(broken, { logLevel: "silent" });
            } catch {
              parses = false;
            }
            const r = render(broken);
            // A valid document may move a credential into another field: only warnings count then.
            if (parses) {
              if (r.status === 0) noSentinel(r.text);
              return;
            }
            expect(r.status).to.equal(2);
            noSentinel(r.text);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});

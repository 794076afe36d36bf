/**
 * Output and messages under hostile values: YAML that YAML 1.1 and 1.2 readers read back as the
 * very same value, credentials inside strings redacted in every message, "did you mean" only ever
 * naming known keys.
 */
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { MultusError, redactCredentials } from "../../provider/src/errors";
import { stableYaml } from "../../provider/src/plan/stable";
import { closest } from "../../provider/src/plan/suggest";

describe("stableYaml reads back identically under YAML 1.1 and 1.2", () => {
  // prettier-ignore
  const strings = [
    "0o17", "0x1F", "0b101", "017", "0.5", "1e3", "1_000", "+1", "-0", ".inf", "-.Inf", ".NaN",
    "yes", "Yes", "NO", "y", "n", "on", "Off", "true", "False", "~", "null", "Null", "",
    "12:30", "1:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<", "- x", "a: b", "#x",
    " lead", "trail ", "a\u2028b", "a\u2029b", "a\u0085b", "a\u0000b", "a\u001bb", "a\u007fb", "a\u009bb",
    "a\rb", "\ufeffbom", "tab\there", "two\nlines", "x\u2028\ny",
  ];
  for (const s of strings) {
    it(JSON.stringify(s), () => {
      const value = { k: s, [s]: [s], n: { [s]: s } };
      const text = stableYaml(value);
      for (const version of ["1.1", "1.2"] as const)
        expect(parseYaml(text, { version }), `YAML ${version}:\n${text}`).to.deep.equal(value);
      // No raw character that a YAML 1.1 reader (go-yaml v2) takes for a line break or refuses.
      expect(text).not.to.match(
        // eslint-disable-next-line no-control-regex -- control characters are what it looks for
        /[\u0085\u2028\u2029\u0000-\u0008\u000b-\u000d\u000e-\u001f\u007f-\u009f\ufeff]/,
      );
    });
  }

  it("numbers and booleans stay what they are", () => {
    const value = { a: 15, b: true, c: null, d: 1.5, e: [0, -1] };
    expect(parseYaml(stableYaml(value), { version: "1.1" })).to.deep.equal(value);
  });
});

describe("credentials inside strings are redacted in every message", () => {
  // prettier-ignore
  const rows: { text: string; want: string }[] = [
    { text: "https://user:pass@charts.example.com/x", want: "https://(redacted)@charts.example.com/x" },
    { text: "oci://token@registry.example.com/charts", want: "oci://(redacted)@registry.example.com/charts" },
    { text: "http://u:p@ss@h:8080/", want: "http://(redacted)@h:8080/" },
    { text: "ssh admin:s3cr3t@10.0.0.1 now", want: "ssh (redacted)@10.0.0.1 now" },
    { text: "default/lan@net1", want: "default/lan@net1" },
    { text: "user@host", want: "user@host" },
    { text: "fd00::1", want: "fd00::1" },
  ];
  for (const { text, want } of rows) it(text, () => expect(redactCredentials(text)).to.equal(want));

  it("a MultusError never carries them, in the message or the input", () => {
    const e = new MultusError(
      "chart.repository",
      "https://u:TOPSECRET@h",
      "expected https://x:TOPSECRET@y never",
    );
    expect(e.message).not.to.include("TOPSECRET");
    expect(String(e.input)).not.to.include("TOPSECRET");
    expect(e.allowed).not.to.include("TOPSECRET");
  });

  it("stays linear on long input", () => {
    const long = `${"a".repeat(200_000)}:${"b".repeat(200_000)}`;
    const start = Date.now();
    redactCredentials(long);
    new MultusError("x", long, "y");
    expect(Date.now() - start).to.be.below(500);
  });
});

describe("did you mean", () => {
  const keys = ["cleanupOnDestroy", "kubeconfig", "networks", "nodes", "chart"];
  // prettier-ignore
  const rows: { word: string; want: string | undefined }[] = [
    { word: "cleanupOnDestory", want: "cleanupOnDestroy" }, { word: "kubeConfig", want: "kubeconfig" }, { word: "netwroks", want: "networks" },
    { word: "node", want: "nodes" }, { word: "Chart", want: "chart" }, { word: "flavour", want: undefined }, { word: "x", want: undefined },
  ];
  for (const { word, want } of rows)
    it(`${word} → ${want ?? "nothing"}`, () => expect(closest(word, keys)).to.equal(want));
});

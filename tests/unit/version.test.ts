/**
 * K3s versions: what parseK3sVersion accepts and refuses (quoting the input), toSemver and the order.
 */
import { expect } from "chai";
import {
  compareK3sVersions,
  K3sVersion,
  parseK3sVersion,
  toSemver,
  tryParseK3sVersion,
} from "../../provider/src/plan/version";
import { expectMultusError } from "../helpers/errors";

type Parsed = Omit<K3sVersion, "tag"> & { tag: string };
const v = (
  tag: string,
  major: number,
  minor: number,
  patch: number,
  k3sBuild = 1,
  prerelease = "",
): Parsed => ({
  tag,
  major,
  minor,
  patch,
  prerelease,
  k3sBuild,
});

describe("K3s version", () => {
  describe("parseK3sVersion accepts", () => {
    const rows: { name: string; input: string; want: Parsed }[] = [
      {
        name: "two-line `k3s --version` output",
        input: "k3s version v1.32.2+k3s1 (381620ef)\ngo version go1.23.6",
        want: v("v1.32.2+k3s1", 1, 32, 2),
      },
      {
        name: "two-line output with CRLF and a trailing newline",
        input: "k3s version v1.30.6+k3s1 (1829eaae)\r\ngo version go1.22.8\r\n",
        want: v("v1.30.6+k3s1", 1, 30, 6),
      },
      {
        name: "the version line alone (full 40-digit commit)",
        input: "k3s version v1.31.2+k3s1 (6da204241eb2ee4f9a7a5e8c8a4f6e2b1c3d5e7f)",
        want: v("v1.31.2+k3s1", 1, 31, 2),
      },
      { name: "a bare tag", input: "v1.30.6+k3s1", want: v("v1.30.6+k3s1", 1, 30, 6) },
      { name: "a bare tag with a newline", input: "v1.30.5+k3s1\n", want: v("v1.30.5+k3s1", 1, 30, 5) },
      {
        name: "a pre-release",
        input: "v1.34.1-rc1+k3s1",
        want: v("v1.34.1-rc1+k3s1", 1, 34, 1, 1, "rc1"),
      },
      {
        name: "a pre-release in `k3s --version`",
        input: "k3s version v1.34.1-rc1+k3s1 (0123abcd)\ngo version go1.24.6",
        want: v("v1.34.1-rc1+k3s1", 1, 34, 1, 1, "rc1"),
      },
      { name: "a +k3s2 build", input: "v1.28.15+k3s2", want: v("v1.28.15+k3s2", 1, 28, 15, 2) },
      { name: "a two-digit build", input: "v1.27.16+k3s12", want: v("v1.27.16+k3s12", 1, 27, 16, 12) },
      { name: "a v0.x tag", input: "v0.9.1+k3s1", want: v("v0.9.1+k3s1", 0, 9, 1) },
    ];
    for (const row of rows) {
      it(`${row.name}: ${JSON.stringify(row.input)}`, () => {
        expect(parseK3sVersion(row.input)).to.deep.equal(row.want);
        expect(tryParseK3sVersion(row.input)).to.deep.equal(row.want);
      });
    }
  });

  describe("parseK3sVersion refuses, quoting the input", () => {
    const rows: { name: string; input: string; detail?: string }[] = [
      { name: "the word latest", input: "latest" },
      { name: "a minor version", input: "1.30" },
      { name: "empty", input: "" },
      { name: "only whitespace", input: "  \n " },
      { name: "a tag without v", input: "1.30.6+k3s1" },
      { name: "a tag without +k3s", input: "v1.30.6" },
      { name: "an RKE2 tag", input: "v1.30.6+rke2r1" },
      { name: "build zero", input: "v1.30.6+k3s0" },
      { name: "a leading zero", input: "v1.030.6+k3s1" },
      { name: "upper-case V", input: "V1.30.6+k3s1" },
      { name: "a command after a semicolon", input: "v1.30.6+k3s1; rm -rf /" },
      { name: "command substitution", input: "$(id)" },
      { name: "command substitution in a tag", input: "v1.30.6+k3s1$(id)" },
      { name: "backticks", input: "`id`" },
      { name: "backticks in a tag", input: "v1.30.6+k3s1`reboot`" },
      { name: "a pipe", input: "v1.30.6+k3s1 | sh" },
      {
        name: "a second command on a new line",
        input: "v1.30.6+k3s1\nrm -rf /",
        detail: "is not `k3s --version` output",
      },
      {
        name: "`k3s --version` with a foreign second line",
        input: "k3s version v1.32.2+k3s1 (381620ef)\nrm -rf /",
        detail: "has an unexpected second line",
      },
      {
        name: "`k3s --version` with a third line",
        input: "k3s version v1.32.2+k3s1 (381620ef)\ngo version go1.23.6\n$(id)",
        detail: "has too many lines",
      },
      { name: "a version line with a bad tag", input: "k3s version latest (381620ef)" },
      { name: "a version line without commit", input: "k3s version v1.32.2+k3s1" },
      { name: "a version line with shell in the commit", input: "k3s version v1.32.2+k3s1 ($(id))" },
    ];
    it("a development build from a commit: refused, asking to pin the release it was made from", () => {
      const input = "k3s version v1.19.3+k3s-58b5b21f (58b5b21f)\ngo version go1.15.2";
      expectMultusError(() => parseK3sVersion(input), {
        field: "k3sVersion",
        input,
        allowed: "pin k3sVersion to the release this build was made from",
        message: ["is a development build of K3s (v1.19.3+k3s-58b5b21f)"],
      });
    });
    for (const row of rows) {
      it(`${row.name}: ${JSON.stringify(row.input)}`, () => {
        expectMultusError(() => parseK3sVersion(row.input), {
          field: "k3sVersion",
          input: row.input,
          allowed: "v1.32.2+k3s1",
          message: [JSON.stringify(row.input), ...(row.detail ? [row.detail] : [])],
        });
        expect(tryParseK3sVersion(row.input)).to.equal(undefined);
      });
    }

    it("a non-string, naming the field it was given", () => {
      expectMultusError(() => parseK3sVersion(130 as unknown as string, "nodes[0].version"), {
        field: "nodes[0].version",
        input: 130,
        message: ["is not a string"],
      });
      expect(tryParseK3sVersion(undefined as unknown as string)).to.equal(undefined);
    });

    it("a very long input, quoted but cut short", () => {
      const input = `v1.30.6+k3s1${"x".repeat(500)}`;
      const err = expectMultusError(() => parseK3sVersion(input), { field: "k3sVersion", input });
      expect(err.message).to.include("…");
      expect(err.message.length).to.be.below(400);
    });
  });

  describe("toSemver", () => {
    const rows: { tag: string; want: string }[] = [
      { tag: "v1.30.6+k3s1", want: "1.30.6" },
      { tag: "v1.34.1-rc1+k3s1", want: "1.34.1-rc1" },
      { tag: "v1.28.15+k3s2", want: "1.28.15" },
    ];
    for (const { tag, want } of rows) {
      it(`${tag} → ${want}`, () => expect(toSemver(parseK3sVersion(tag))).to.equal(want));
    }
  });

  describe("compareK3sVersions", () => {
    /** Ascending. */
    const ordered = [
      "v0.9.1+k3s1",
      "v1.9.0+k3s1",
      "v1.10.0+k3s1",
      "v1.27.16+k3s1",
      "v1.28.14+k3s1",
      "v1.28.15-rc1+k3s1",
      "v1.28.15+k3s1",
      "v1.28.15+k3s2",
      "v1.28.15+k3s10",
      "v1.29.10+k3s1",
      "v1.30.5+k3s1",
      "v1.30.6+k3s1",
      "v1.32.2+k3s1",
      "v1.34.1-rc1+k3s1",
      "v1.34.1-rc1+k3s2",
      "v1.34.1-rc2+k3s1",
      "v1.34.1+k3s1",
      "v2.0.0+k3s1",
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      const [a, b] = [ordered[i], ordered[i + 1]];
      it(`${a} < ${b}`, () => {
        expect(compareK3sVersions(parseK3sVersion(a), parseK3sVersion(b))).to.be.below(0);
        expect(compareK3sVersions(parseK3sVersion(b), parseK3sVersion(a))).to.be.above(0);
      });
    }

    it("equal versions compare 0, whether from a tag or `k3s --version`", () => {
      const a = parseK3sVersion("v1.32.2+k3s1");
      const b = parseK3sVersion("k3s version v1.32.2+k3s1 (381620ef)\ngo version go1.23.6");
      expect(compareK3sVersions(a, b)).to.equal(0);
    });

    it("sorts a shuffled list into order", () => {
      const shuffled = ordered.map((_, i) => ordered[(i * 7) % ordered.length]);
      expect(new Set(shuffled).size).to.equal(ordered.length);
      const sorted = shuffled.map((t) => parseK3sVersion(t)).sort(compareK3sVersions);
      expect(sorted.map((x) => x.tag)).to.deep.equal(ordered);
    });
  });
});

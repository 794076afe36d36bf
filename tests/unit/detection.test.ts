/**
 * parseSafePath and parseDetection: the paths that may reach a node shell, and the strict reading of
 * the detection script's output (every deviation refused, `error=` lines as DetectionErrors).
 */
import { expect } from "chai";
import { MultusError } from "../../provider/src/errors";
import {
  DETECT_HEADER,
  DetectedNode,
  DetectionError,
  parseDetection,
  tryParseDetection,
} from "../../provider/src/plan/detection";
import { parseSafePath, pathDepth, tryParseSafePath } from "../../provider/src/plan/paths";
import { expectMultusError } from "../helpers/errors";
import { jsonText } from "../helpers/dig";

const GOOD = [
  DETECT_HEADER,
  "version=k3s version v1.32.2+k3s1 (381620ef)",
  "data_dir=/var/lib/rancher/k3s",
  "flannel=on",
  "bin_dir=/var/lib/rancher/k3s/data/cni",
  "conf_dir=/var/lib/rancher/k3s/agent/etc/cni/net.d",
  "containerd_config=/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml",
];
const out = (lines: string[]): string => `${lines.join("\n")}\n`;
const replace = (key: string, line: string | undefined): string[] =>
  GOOD.flatMap((l) => (l.startsWith(`${key}=`) ? (line === undefined ? [] : [line]) : [l]));

describe("parseSafePath", () => {
  const accepted: { input: string; want: string }[] = [
    { input: "/var/lib/rancher/k3s", want: "/var/lib/rancher/k3s" },
    { input: "/var/lib/rancher/k3s/", want: "/var/lib/rancher/k3s" },
    { input: "/opt/cni/bin//", want: "/opt/cni/bin" },
    { input: "/srv/k3s-data_1.2+x@y", want: "/srv/k3s-data_1.2+x@y" },
    { input: "/sys/devices/pci0000:00/0000:00:03.0", want: "/sys/devices/pci0000:00/0000:00:03.0" },
    { input: "/a/...", want: "/a/..." },
    { input: "/.hidden", want: "/.hidden" },
    { input: `/${"x".repeat(1023)}`, want: `/${"x".repeat(1023)}` },
  ];
  for (const { input, want } of accepted) {
    it(`accepts ${JSON.stringify(input.slice(0, 40))}`, () => {
      expect(parseSafePath("dataDir", input)).to.equal(want);
      expect(tryParseSafePath(input)).to.equal(want);
    });
  }

  const refused: { input: unknown; detail: string }[] = [
    { input: undefined, detail: "is not a string" },
    { input: 42, detail: "is not a string" },
    { input: "", detail: "is empty" },
    { input: "var/lib", detail: "is not an absolute path" },
    { input: "~/k3s", detail: "is not an absolute path" },
    { input: "/", detail: "is the root directory" },
    { input: "///", detail: "is the root directory" },
    { input: "/a//b", detail: "empty component" },
    { input: "/a/./b", detail: "'.' or '..'" },
    { input: "/a/../b", detail: "'.' or '..'" },
    { input: "/a/..", detail: "'.' or '..'" },
    { input: "/a b", detail: "character that is not allowed" },
    { input: "/a;b", detail: "character that is not allowed" },
    { input: "/a$(id)", detail: "character that is not allowed" },
    { input: "/a`id`", detail: "character that is not allowed" },
    { input: "/a'b", detail: "character that is not allowed" },
    { input: '/a"b', detail: "character that is not allowed" },
    { input: "/a\nb", detail: "character that is not allowed" },
    { input: "/a\\b", detail: "character that is not allowed" },
    { input: "/a*", detail: "character that is not allowed" },
    { input: "/ä", detail: "character that is not allowed" },
    { input: `/${"x".repeat(1024)}`, detail: "is too long" },
  ];
  for (const { input, detail } of refused) {
    it(`refuses ${jsonText(input)?.slice(0, 40) ?? "undefined"}: ${detail}`, () => {
      expectMultusError(() => parseSafePath("nodes[0].dataDir", input), {
        field: "nodes[0].dataDir",
        input,
        allowed: "absolute path",
        message: [detail],
      });
      expect(tryParseSafePath(input)).to.equal(undefined);
    });
  }

  it("pathDepth counts components", () => {
    expect([pathDepth("/etc"), pathDepth("/etc/cni"), pathDepth("/etc/cni/net.d")]).to.deep.equal([1, 2, 3]);
  });
});

describe("parseDetection", () => {
  it("parses the script's output", () => {
    const node: DetectedNode = parseDetection("10.0.0.1", out(GOOD));
    expect(node).to.deep.equal({
      host: "10.0.0.1",
      version: { tag: "v1.32.2+k3s1", major: 1, minor: 32, patch: 2, prerelease: "", k3sBuild: 1 },
      dataDir: "/var/lib/rancher/k3s",
      flannel: true,
      binDir: "/var/lib/rancher/k3s/data/cni",
      confDir: "/var/lib/rancher/k3s/agent/etc/cni/net.d",
      containerdConfig: "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml",
    });
  });

  const accepted: { name: string; stdout: string; check: (n: DetectedNode) => void }[] = [
    {
      name: "flannel off, no containerd config: the optional keys are absent",
      stdout: out([GOOD[0], GOOD[1], GOOD[2], "flannel=off", "bin_dir=", "conf_dir=", "containerd_config="]),
      check: (n) => {
        expect(n.flannel).to.equal(false);
        expect(Object.keys(n)).to.deep.equal(["host", "version", "dataDir", "flannel"]);
      },
    },
    {
      name: "CRLF line ends",
      stdout: out(GOOD).replace(/\n/g, "\r\n"),
      check: (n) => expect(n.flannel).to.equal(true),
    },
    {
      name: "no final newline",
      stdout: GOOD.join("\n"),
      check: (n) => expect(n.dataDir).to.equal("/var/lib/rancher/k3s"),
    },
    {
      name: "a login banner before the header",
      stdout: out(["Welcome to node1", "", ...GOOD]),
      check: (n) => expect(n.version.tag).to.equal("v1.32.2+k3s1"),
    },
    {
      name: "a release candidate",
      stdout: out(replace("version", "version=k3s version v1.34.1-rc1+k3s1 (0123abcd)")),
      check: (n) => expect(n.version.prerelease).to.equal("rc1"),
    },
    {
      name: "a trailing slash on the data dir",
      stdout: out(replace("data_dir", "data_dir=/srv/k3s/")),
      check: (n) => expect(n.dataDir).to.equal("/srv/k3s"),
    },
  ];
  for (const row of accepted) {
    it(`accepts ${row.name}`, () => {
      row.check(parseDetection("n1", row.stdout));
    });
  }

  const refused: { name: string; stdout: unknown; message: string }[] = [
    { name: "empty output", stdout: "", message: "has no detection header" },
    { name: "not a string", stdout: undefined, message: "is not a string" },
    {
      name: "another format version",
      stdout: out(["k3s-multus-detect 2", ...GOOD.slice(1)]),
      message: "reads format 1",
    },
    {
      name: "a missing key",
      stdout: out(replace("conf_dir", undefined)),
      message: "containerd_config where conf_dir",
    },
    {
      name: "a truncated output",
      stdout: out(GOOD.slice(0, 4)),
      message: "lacks bin_dir, conf_dir, containerd_config",
    },
    {
      name: "an unknown key",
      stdout: out([...GOOD.slice(0, 3), "cni=x", ...GOOD.slice(3)]),
      message: 'unknown key "cni"',
    },
    {
      name: "a repeated key",
      stdout: out([...GOOD.slice(0, 3), GOOD[2], ...GOOD.slice(3)]),
      message: "repeats the key data_dir",
    },
    {
      name: "keys out of order",
      stdout: out([GOOD[0], GOOD[2], GOOD[1], ...GOOD.slice(3)]),
      message: "has data_dir where version",
    },
    { name: "a line after the last key", stdout: out([...GOOD, "extra"]), message: "not key=value" },
    {
      name: "an empty line inside",
      stdout: out([...GOOD.slice(0, 3), "", ...GOOD.slice(3)]),
      message: "not key=value",
    },
    {
      name: "an unparseable version",
      stdout: out(replace("version", "version=k3s 1.32")),
      message: "version=",
    },
    { name: "flannel yes", stdout: out(replace("flannel", "flannel=yes")), message: "flannel=" },
    {
      name: "a relative data dir",
      stdout: out(replace("data_dir", "data_dir=var/lib")),
      message: "data_dir=",
    },
    { name: "an empty data dir", stdout: out(replace("data_dir", "data_dir=")), message: "data_dir=" },
    {
      name: "a bin dir with shell syntax",
      stdout: out(replace("bin_dir", "bin_dir=/x/$(reboot)")),
      message: "bin_dir=",
    },
    {
      name: "CNI dirs without the containerd config they came from",
      stdout: out(replace("containerd_config", "containerd_config=")),
      message: "no containerd config",
    },
  ];
  for (const row of refused) {
    it(`refuses ${row.name}`, () => {
      const err = expectMultusError(() => parseDetection("node-1", row.stdout as string), {
        field: "nodes[node-1]",
        message: [row.message],
      });
      expect(err).not.to.be.instanceOf(DetectionError);
      expect(tryParseDetection("node-1", row.stdout as string)).to.equal(undefined);
    });
  }

  const errors: { stdout: string; code: string; remedy: string }[] = [
    { stdout: "error=no-k3s k3s not found: not on PATH\n", code: "no-k3s", remedy: "install K3s" },
    {
      stdout: "Welcome\nerror=no-permission cannot read /x as user bob; connect as root\n",
      code: "no-permission",
      remedy: "sudo: true",
    },
    {
      stdout: "error=bad-data-dir the K3s data dir from x is not safe: /a;b\n",
      code: "bad-data-dir",
      remedy: "k3sDataDir",
    },
    { stdout: "error=future-code something new\n", code: "future-code", remedy: "docs/node-scripts.md" },
  ];
  for (const row of errors) {
    it(`turns error=${row.code} into a DetectionError`, () => {
      const err = expectMultusError(() => parseDetection("node-1", row.stdout), {
        field: "nodes[node-1]",
        allowed: row.remedy,
        message: [`(${row.code})`],
      });
      expect(err).to.be.instanceOf(DetectionError).and.instanceOf(MultusError);
      if (!(err instanceof DetectionError)) throw new Error("expected a DetectionError");
      const d = err;
      expect(d.code).to.equal(row.code);
      expect(d.host).to.equal("node-1");
      expect(d.input).to.equal(
        row.stdout
          .split("\n")
          .find((l) => l.startsWith("error="))
          ?.replace(/^error=\S+ /, ""),
      );
    });
  }
});

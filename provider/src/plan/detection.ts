/**
 * The strict parser of what provider/scripts/detect.sh prints (format version 1, docs/design.md):
 * every line after the header is the next expected `key=value`; an `error=` line becomes a
 * DetectionError with what to do about it.
 */
import { attempt, MultusError } from "../errors";
import { parseSafePath } from "./paths";
import { K3sVersion, parseK3sVersion } from "./version";

/** What provider/scripts/detect.sh found on one node (docs/design.md, output format version 1). */
export interface DetectedNode {
  /** The node's SSH host, as given. */
  host: string;
  version: K3sVersion;
  dataDir: string;
  flannel: boolean;
  /** containerd's CNI bin dir, an old release's `data/<hash>/bin` already mapped to `data/current/bin`. */
  binDir?: string;
  /** containerd's CNI conf dir. */
  confDir?: string;
  /** The containerd config the script read. */
  containerdConfig?: string;
}

/** First line of the detection output. */
export const DETECT_HEADER = "k3s-multus-detect 1";

/** The keys after the header, in the order the script prints them. */
export const DETECT_KEYS = [
  "version",
  "data_dir",
  "flannel",
  "bin_dir",
  "conf_dir",
  "containerd_config",
] as const;

const FORMAT = `expected the output of provider/scripts/detect.sh: "${DETECT_HEADER}", then ${DETECT_KEYS.map((k) => `${k}=`).join(", ")}, one per line in that order`;

/** What to do about each error code detect.sh reports. */
const REMEDY: Readonly<Record<string, string>> = {
  "no-k3s": "install K3s on the node (the script looks on PATH and in /usr/local/bin, /opt/bin, /usr/bin)",
  "no-permission": "connect as root, or set sudo: true for a user allowed to run sudo without a password",
  "bad-data-dir":
    "give the node a K3s data dir that is an absolute path of letters, digits and / . _ - + @ : (or pin k3sDataDir)",
  usage: "run the script with at most one argument, the data dir",
  "untrusted-file":
    "make the named file a regular file owned by root that group and others cannot write (chown root, chmod go-w), or pin k3sVersion and k3sDataDir",
  "bad-path": "give K3s an absolute config path without . or .. components (K3S_CONFIG_FILE or --config)",
  "too-large": "check the named file: K3s's config and service files are far below 256 KiB",
  "conflicting-data-dir":
    "set the data dir in one place (--data-dir, data-dir: or K3S_DATA_DIR) and restart K3s, or pin k3sDataDir",
};

/** A failure the detection script reported itself (`error=<code> <message>`). */
export class DetectionError extends MultusError {
  /** The script's error code: `no-k3s`, `no-permission`, `bad-data-dir`, `untrusted-file`, ... (docs/node-scripts.md). */
  readonly code: string;
  readonly host: string;

  constructor(host: string, code: string, message: string) {
    super(
      `nodes[${host}]`,
      message,
      REMEDY[code] ?? "see docs/node-scripts.md",
      `was reported by the detection script (${code})`,
    );
    this.code = code;
    this.host = host;
  }
}

const ERROR_LINE = /^error=([a-z][a-z0-9-]*)(?: (.*))?$/;

/**
 * Parses the detection script's stdout strictly. Lines before the header are ignored (a login
 * shell's rc files may print a banner); from the header on, every line must be the next expected
 * `key=value`, and nothing may follow. An `error=` line anywhere becomes a {@link DetectionError}.
 * Any other deviation throws {@link MultusError} with field `nodes[<host>]`.
 */
export function parseDetection(host: string, stdout: string): DetectedNode {
  const field = `nodes[${host}]`;
  const refuse = (input: unknown, detail: string): never => {
    throw new MultusError(field, input, FORMAT, detail);
  };
  if (typeof stdout !== "string") return refuse(stdout, "detection output is not a string");
  const lines = stdout.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();

  for (const line of lines) {
    const m = ERROR_LINE.exec(line);
    // The detail group is optional: undefined when the line is only `error=<code>`.
    if (m) throw new DetectionError(host, m[1], m.at(2) ?? "");
  }
  const start = lines.indexOf(DETECT_HEADER);
  if (start < 0) {
    const other = lines.find((l) => /^k3s-multus-detect\b/.test(l));
    return refuse(
      stdout,
      other === undefined
        ? "has no detection header"
        : `has detection header ${JSON.stringify(other)}; this version of k3s-multus reads format 1`,
    );
  }
  const body = lines.slice(start + 1);
  const values = new Map<string, string>();
  body.forEach((line, i) => {
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq);
    if (eq < 0) refuse(line, `line ${i + 2} after the header is not key=value`);
    if (!(DETECT_KEYS as readonly string[]).includes(key))
      refuse(line, `has an unknown key ${JSON.stringify(key)}`);
    if (values.has(key)) refuse(line, `repeats the key ${key}`);
    const expected = DETECT_KEYS[i];
    if (key !== expected) refuse(line, `has ${key} where ${expected} was expected`);
    values.set(key, line.slice(eq + 1));
  });
  const missing = DETECT_KEYS.filter((k) => !values.has(k));
  if (missing.length > 0) refuse(stdout, `lacks ${missing.join(", ")}`);
  const get = (k: (typeof DETECT_KEYS)[number]): string => values.get(k) ?? "";

  let version: K3sVersion;
  try {
    version = parseK3sVersion(get("version"), field);
  } catch (e) {
    if (e instanceof MultusError) {
      throw new MultusError(field, get("version"), e.allowed, "is not a K3s version line (version=)");
    }
    throw e;
  }
  const path = (key: string, value: string): string => {
    try {
      return parseSafePath(field, value);
    } catch (e) {
      if (e instanceof MultusError)
        throw new MultusError(field, value, e.allowed, `is not a safe path (${key}=)`);
      throw e;
    }
  };
  const optionalPath = (key: string, value: string): string | undefined =>
    value === "" ? undefined : path(key, value);

  const flannelValue = get("flannel");
  if (flannelValue !== "on" && flannelValue !== "off") {
    refuse(flannelValue, "is not on or off (flannel=)");
  }
  const node: DetectedNode = {
    host,
    version,
    dataDir: path("data_dir", get("data_dir")),
    flannel: flannelValue === "on",
  };
  const binDir = optionalPath("bin_dir", get("bin_dir"));
  const confDir = optionalPath("conf_dir", get("conf_dir"));
  const containerdConfig = optionalPath("containerd_config", get("containerd_config"));
  if (containerdConfig === undefined && (binDir !== undefined || confDir !== undefined)) {
    refuse(stdout, "names CNI dirs but no containerd config they came from");
  }
  if (binDir !== undefined) node.binDir = binDir;
  if (confDir !== undefined) node.confDir = confDir;
  if (containerdConfig !== undefined) node.containerdConfig = containerdConfig;
  return node;
}

/** Like {@link parseDetection}, but returns `undefined` instead of throwing. */
export function tryParseDetection(host: string, stdout: string): DetectedNode | undefined {
  return attempt(() => parseDetection(host, stdout));
}

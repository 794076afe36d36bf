import * as fs from "fs";
import * as path from "path";
import { MultusError } from "../errors";
import { parseSafePath, pathDepth } from "../plan/paths";

/**
 * The shell commands that remote.Command runs on each node: detection on create, clean-up on delete.
 *
 * Each command is one line for the SSH user's login shell (any POSIX-like shell):
 *
 *     sh -c '<script>' k3s-multus-detect '<arg>'...
 *
 * Parameters travel as positional arguments, single-quoted, after validation; nothing depends on
 * `environment`, which sshd drops unless `AcceptEnv` names it. With `sudo: true` a small wrapper
 * runs first: as root it runs the script directly, otherwise through `sudo -n sh -c`, or reports
 * `error=no-permission` when sudo needs a password or is missing.
 */

export type NodeScriptName = "detect.sh" | "cleanup.sh";

/** provider/scripts, from both provider/src/node (tsx, tests) and provider/bin/node (compiled). */
export const SCRIPTS_DIR = path.join(__dirname, "..", "..", "scripts");

/** The functions both node scripts share (fail, no_permission, safe_path, ...); never run alone. */
export const NODE_SCRIPT_LIB = "lib.sh";

const cache = new Map<NodeScriptName, string>();

/**
 * The script that runs on a node: provider/scripts/lib.sh, then provider/scripts/<name>; the same
 * bytes as `cat lib.sh <name>` and as `k3s-multus script` prints. The one place the two are
 * joined: the commands, the CLI and the tests all take the text from here.
 */
export function readNodeScript(name: NodeScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    const lib = fs.readFileSync(path.join(SCRIPTS_DIR, NODE_SCRIPT_LIB), "utf8");
    const body = fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");
    text = `${lib}${lib.endsWith("\n") ? "" : "\n"}${body}`;
    cache.set(name, text);
  }
  return text;
}

/**
 * The script without comment-only lines and blank lines, which halves what is sent and stored in
 * the Pulumi state. Safe for these scripts because none has a multi-line string or here-document
 * with a line starting with `#`; the tests run the compacted form in every shell.
 */
export function compactScript(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"))
    .join("\n");
}

/** Quotes a string for a POSIX shell: `'...'`, with each `'` written as `'\''`. */
export function shellQuote(s: string): string {
  if (typeof s !== "string") throw new MultusError("shellQuote", s, "expected a string", "is not a string");
  if (s.includes("\0")) {
    throw new MultusError("shellQuote", s, "expected a string without NUL characters", "contains NUL");
  }
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs "$1" (the script) as root: directly when already root, else through `sudo -n`. `$0` is the
 * name the script reports itself as; the script's own arguments follow.
 */
const SUDO_WRAPPER = [
  "s=$1; shift;",
  'if [ "$(id -u)" -ne 0 ]; then',
  "if ! sudo -n true >/dev/null 2>&1; then",
  'm="user $(id -un) is not root and cannot run sudo -n (sudo is missing or needs a password)";',
  'printf "error=no-permission %s\\n" "$m"; printf "%s: %s\\n" "$0" "$m" >&2; exit 4;',
  "fi;",
  'exec sudo -n sh -c "$s" "$0" "$@";',
  "fi;",
  'exec sh -c "$s" "$0" "$@"',
].join(" ");

function parseSudo(value: unknown): boolean {
  if (typeof value !== "boolean") throw new MultusError("sudo", value, "expected true or false");
  return value;
}

function command(name: NodeScriptName, sudo: boolean, args: readonly string[]): string {
  const script = shellQuote(compactScript(readNodeScript(name)));
  const self = `k3s-multus-${name.replace(/\.sh$/, "")}`;
  const rest = args.map(shellQuote);
  const words = sudo
    ? ["sh", "-c", shellQuote(SUDO_WRAPPER), self, script, ...rest]
    : ["sh", "-c", script, self, ...rest];
  return words.join(" ");
}

export interface DetectCommandOptions {
  /** Run through `sudo -n` when the SSH user is not root. */
  readonly sudo: boolean;
  /** The K3s data dir when the user pinned it; detected otherwise. */
  readonly dataDir?: string;
}

/** The remote.Command `create` that detects a node's K3s (output: docs/design.md, version 1). */
export function detectCommand(opts: DetectCommandOptions): string {
  const sudo = parseSudo(opts.sudo);
  const args = opts.dataDir === undefined ? [] : [parseSafePath("dataDir", opts.dataDir)];
  return command("detect.sh", sudo, args);
}

export interface CleanupCommandOptions {
  /** Run through `sudo -n` when the SSH user is not root. */
  readonly sudo: boolean;
  /** The CNI bin dir the chart installed `multus` (and `whereabouts`) into. */
  readonly binDir: string;
  /** The CNI conf dir the chart wrote `00-multus.conf(list)` and `multus.d/` into. */
  readonly confDir: string;
  /** Whether the chart installed whereabouts (`whereabouts.d/` and the `whereabouts` binary). */
  readonly whereabouts: boolean;
}

function parseCleanupDir(field: string, value: unknown): string {
  const dir = parseSafePath(field, value);
  if (pathDepth(dir) < 2) {
    throw new MultusError(
      field,
      value,
      "expected a CNI directory at least two levels below / (e.g. /etc/cni/net.d, /opt/cni/bin)",
      "is too close to /",
    );
  }
  return dir;
}

/**
 * The remote.Command `delete` that removes what the chart left on a node: `00-multus.conf(list)`,
 * `multus.d/` and the `multus` binary, plus `whereabouts.d/` and the `whereabouts` binary when
 * whereabouts was on. Idempotent; see provider/scripts/cleanup.sh.
 */
export function cleanupCommand(opts: CleanupCommandOptions): string {
  const sudo = parseSudo(opts.sudo);
  const confDir = parseCleanupDir("confDir", opts.confDir);
  const binDir = parseCleanupDir("binDir", opts.binDir);
  if (typeof opts.whereabouts !== "boolean") {
    throw new MultusError("whereabouts", opts.whereabouts, "expected true or false");
  }
  return command("cleanup.sh", sudo, [confDir, binDir, opts.whereabouts ? "yes" : "no"]);
}

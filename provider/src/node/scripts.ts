/**
 * The shell commands that remote.Command runs on each node: detection on create, the ownership
 * record once the release exists, clean-up on delete.
 *
 * Each is a short one-line command for the SSH user's login shell, with the script itself on the
 * session's standard input (remote.Command `stdin`):
 *
 *     sh -s -- '<arg>'...            < lib.sh + <script>
 *
 * so that no login shell (csh and tcsh included, which run a multi-line quoted string line by
 * line) ever parses the script. Parameters travel as positional arguments, single-quoted, after
 * validation; nothing depends on `environment`, which sshd drops unless `AcceptEnv` names it.
 * With `sudo: true` a one-line wrapper runs first: as root it runs `sh -s` directly, otherwise
 * `sudo -n sh -s`, or reports `error=no-permission` when sudo needs a password or is missing.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { MultusError } from "../errors";
import { parseSafePath, pathDepth } from "../plan/paths";

export type NodeScriptName = "detect.sh" | "cleanup.sh" | "claim.sh";

/** What a remote.Command runs: the command line and the script it reads on standard input. */
export interface NodeCommand {
  readonly command: string;
  readonly stdin: string;
}

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
 * Runs `sh -s` (the script on standard input) as root: directly when already root, else through
 * `sudo -n`. `$0` is the name it reports itself as; the script's arguments follow. One line, with
 * no `!` and no newline, so that csh and tcsh pass it to sh untouched.
 */
const SUDO_WRAPPER = [
  'if [ "$(id -u)" -eq 0 ]; then exec sh -s -- "$@"; fi;',
  'if sudo -n true </dev/null >/dev/null 2>&1; then exec sudo -n sh -s -- "$@"; fi;',
  'm="user $(id -un) is not root and cannot run sudo -n (sudo is missing or needs a password)";',
  'printf "error=no-permission %s\\n" "$m"; printf "%s: %s\\n" "$0" "$m" >&2; exit 4',
].join(" ");

function parseSudo(value: unknown): boolean {
  if (typeof value !== "boolean") throw new MultusError("sudo", value, "expected true or false");
  return value;
}

const stdinCache = new Map<NodeScriptName, string>();

/** The script as sent on standard input: compacted, ending with a newline. */
function scriptStdin(name: NodeScriptName): string {
  let text = stdinCache.get(name);
  if (text === undefined) {
    text = `${compactScript(readNodeScript(name))}\n`;
    stdinCache.set(name, text);
  }
  return text;
}

/** Built commands by script, sudo and arguments: every node of a cluster runs the same ones. */
const commandCache = new Map<string, NodeCommand>();
/** Entries kept at most (a cluster's nodes share a handful; the owner id differs per component). */
const COMMAND_CACHE_SIZE = 256;

function command(name: NodeScriptName, sudo: boolean, args: readonly string[]): NodeCommand {
  // NUL separates the parts of the key; an argument holding one (or not a string) is never
  // cached, so shellQuote refuses it every time.
  const cacheable = args.every((a) => typeof a === "string" && !a.includes("\0"));
  const key = [name, sudo ? "1" : "0", ...args].join("\0");
  const cached = cacheable ? commandCache.get(key) : undefined;
  if (cached) return cached;
  const self = `k3s-multus-${name.replace(/\.sh$/, "")}`;
  const rest = args.map(shellQuote);
  const words = sudo ? ["sh", "-c", shellQuote(SUDO_WRAPPER), self, ...rest] : ["sh", "-s", "--", ...rest];
  const built = { command: words.join(" "), stdin: scriptStdin(name) };
  if (commandCache.size >= COMMAND_CACHE_SIZE) commandCache.clear();
  if (cacheable) commandCache.set(key, built);
  return built;
}

export interface DetectCommandOptions {
  /** Run through `sudo -n` when the SSH user is not root. */
  readonly sudo: boolean;
  /** The K3s data dir when the user pinned it; detected otherwise. */
  readonly dataDir?: string;
}

/** The remote.Command `create` (and `stdin`) that detects a node's K3s (output: docs/design.md, version 1). */
export function detectCommand(opts: DetectCommandOptions): NodeCommand {
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
  /** The installation's owner id ({@link ownerId}), as the claim command recorded it. */
  readonly owner: string;
}

const OWNER_ID = /^[0-9a-f]{16}$/;

/** The owner id of an installation: 16 hex digits of the SHA-256 of the component's URN. */
export function ownerId(urn: string): string {
  return crypto.createHash("sha256").update(urn).digest("hex").slice(0, 16);
}

function parseOwner(value: unknown): string {
  if (typeof value !== "string" || !OWNER_ID.test(value)) {
    throw new MultusError(
      "owner",
      value,
      "expected 16 lower-case hex digits (ownerId of the component's URN)",
    );
  }
  return value;
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
 * whereabouts was on; only when this installation's ownership record is there and no other
 * installation's is. Idempotent; see provider/scripts/cleanup.sh.
 */
export function cleanupCommand(opts: CleanupCommandOptions): NodeCommand {
  const sudo = parseSudo(opts.sudo);
  const confDir = parseCleanupDir("confDir", opts.confDir);
  const binDir = parseCleanupDir("binDir", opts.binDir);
  if (typeof opts.whereabouts !== "boolean") {
    throw new MultusError("whereabouts", opts.whereabouts, "expected true or false");
  }
  return command("cleanup.sh", sudo, [
    confDir,
    binDir,
    opts.whereabouts ? "yes" : "no",
    parseOwner(opts.owner),
  ]);
}

export interface ClaimCommandOptions {
  /** Run through `sudo -n` when the SSH user is not root. */
  readonly sudo: boolean;
  /** The CNI conf dir the chart writes `multus.d/` into. */
  readonly confDir: string;
  /** The installation's owner id ({@link ownerId}). */
  readonly owner: string;
}

/**
 * The remote.Command `create` that records, once the release exists, that this installation owns
 * the node's Multus files (`<confDir>/multus.d/k3s-multus-owner.<owner>`); see provider/scripts/claim.sh.
 */
export function claimCommand(opts: ClaimCommandOptions): NodeCommand {
  const sudo = parseSudo(opts.sudo);
  const confDir = parseCleanupDir("confDir", opts.confDir);
  return command("claim.sh", sudo, [confDir, parseOwner(opts.owner)]);
}

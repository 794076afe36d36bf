#!/usr/bin/env node
/**
 * `k3s-multus`: the component's plan without Pulumi, for reviewers and for people not on Pulumi yet.
 *
 *   k3s-multus render   what the Multus component applies for an inputs file and pinned K3s facts
 *   k3s-multus script   the node scripts (detection, clean-up), raw or as the exact command the component runs
 *
 * Exit status: 0 success, 1 internal error, 2 invalid input (the component's own error message),
 * 64 usage error. See docs/cli.md.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import { parse as parseYaml } from "yaml";
import { MultusError } from "./errors";
import { claimCommand, cleanupCommand, detectCommand, NodeScriptName, readNodeScript } from "./node/scripts";
import { formatRender, PinnedFacts, RenderFormat, RenderPart, renderPlan } from "./render";

/** Exit statuses of the command. */
export const EXIT = { ok: 0, internal: 1, input: 2, usage: 64 } as const;

export const USAGE = `Usage:
  k3s-multus render [-f FILE] [--k3s-version VERSION] [--k3s-data-dir DIR]
                    [--cni-bin-dir DIR] [--cni-conf-dir DIR]
                    [--values-only [--chart rke2-multus|rke2-multus-crd] | --manifests-only]
                    [-o yaml|json]
  k3s-multus script detect [--command [--sudo] [--k3s-data-dir DIR]]
  k3s-multus script claim [--command [--sudo] --cni-conf-dir DIR --owner ID]
  k3s-multus script cleanup [--command [--sudo] --cni-bin-dir DIR --cni-conf-dir DIR [--whereabouts]
                            --owner ID]
  k3s-multus --help | --version

render   Prints what the Multus component applies for the inputs in FILE (YAML or JSON, the keys of
         MultusArgs; "-" reads standard input) with the K3s facts pinned: a K3s HelmChart per chart
         in install order (the values in valuesContent), then the NetworkAttachmentDefinitions.
         Flags override the same keys of FILE.
           --values-only     only the values file of one chart (default rke2-multus), for
                             helm template/install --values -
           --manifests-only  only the NetworkAttachmentDefinitions, for kubectl apply -f -
           -o json           JSON instead of YAML (a v1 List for manifests)
script   Prints a node script (what the component sends on the SSH session's standard input), or
         with --command the exact one-line command it runs with it:
           k3s-multus script detect | ssh root@NODE "$(k3s-multus script detect --command)"
         ID is the installation's owner id (16 hex digits; the claim Command's create shows it).

Exit status: 0 success, 1 internal error, 2 invalid input, 64 usage error.
`;

/** A command-line mistake: reported with the usage text, exit status 64. */
class UsageError extends Error {}

/** An input problem outside the planning core (an unreadable or unparsable file): exit status 2. */
class InputError extends Error {}

/** Where the command reads and writes (replaceable for tests). */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (file: string) => string;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (file) => fs.readFileSync(file === "-" ? 0 : file, "utf8"),
};

function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** What the YAML parser expected, in words, by its error code (the parser's own text may quote the file). */
const YAML_EXPECTED: Readonly<Record<string, string>> = {
  BAD_INDENT: "the same indentation for every entry of a mapping or list",
  TAB_AS_INDENT: "spaces for indentation, not tabs",
  MISSING_CHAR: "a closing quote, ] or } (or a : after a key)",
  UNEXPECTED_TOKEN: "a key, a value, or the end of the [ ] or { } collection here",
  DUPLICATE_KEY: "each key once in a mapping",
  BLOCK_AS_IMPLICIT_KEY: "a key on one line, followed by a colon and a space",
  MULTILINE_IMPLICIT_KEY: "a key on one line, followed by a colon and a space",
  KEY_OVER_1024_CHARS: "a key of at most 1024 characters",
  BAD_SCALAR_START: "a value not starting with a reserved character such as @ or ` (quote it)",
  BAD_DQ_ESCAPE: "a valid escape sequence such as \\n or \\u00e9 in the double-quoted string",
  BLOCK_IN_FLOW: "no indented block inside a [ ] or { } collection",
  BAD_ALIAS: "an alias (*name) naming an anchor defined before it",
  MULTIPLE_DOCS: "a single YAML document (no second ---)",
  MULTIPLE_ANCHORS: "at most one anchor (&name) per value",
  MULTIPLE_TAGS: "at most one tag (!tag) per value",
  ALIAS_PROPS: "no anchor or tag on an alias",
  BAD_PROP_ORDER: "an anchor or tag before the value it applies to",
  BAD_DIRECTIVE: "a %YAML or %TAG directive with valid arguments",
  TAG_RESOLVE_FAILED: "a value that matches its tag",
  NON_STRING_KEY: "string keys only",
  BAD_COLLECTION_TYPE: "a collection matching its tag",
};

/**
 * Reads the inputs file. Parse errors report the parser's error code and the position only, never
 * any text of the file: it may hold private keys.
 */
function readInputs(io: Io, file: string): unknown {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: cannot read the inputs file${code ? ` (${code})` : ""}`);
  }
  try {
    // No warnings: the parser prints them to stderr with the offending line of the file.
    return parseYaml(text, { logLevel: "error" });
  } catch (e) {
    // Only the parser's error code and position: its messages quote the offending text (e.g.
    // "Block scalar header includes extra characters: |<the rest of the line>"), which may be a key.
    const { code, linePos } = e as { code?: unknown; linePos?: { line: number; col: number }[] };
    const at = linePos?.[0] ? ` at line ${linePos[0].line}, column ${linePos[0].col}` : "";
    const name = typeof code === "string" ? code : "unparsable";
    const words = Object.hasOwn(YAML_EXPECTED, name) ? YAML_EXPECTED[name] : "valid YAML or JSON";
    throw new InputError(`${file}: not valid YAML or JSON: ${name}${at}: expected ${words}`);
  }
}

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const FORMATS: readonly RenderFormat[] = ["yaml", "json"];
const CHARTS = ["rke2-multus", "rke2-multus-crd"];

function render(argv: string[], io: Io): void {
  const { values, positionals } = parse(argv, {
    file: { type: "string", short: "f" },
    "k3s-version": { type: "string" },
    "k3s-data-dir": { type: "string" },
    "cni-bin-dir": { type: "string" },
    "cni-conf-dir": { type: "string" },
    "values-only": { type: "boolean" },
    "manifests-only": { type: "boolean" },
    chart: { type: "string" },
    output: { type: "string", short: "o" },
  });
  if (positionals.length)
    throw new UsageError(`render: unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values["values-only"] && values["manifests-only"])
    throw new UsageError("render: --values-only and --manifests-only exclude each other");
  if (values.chart !== undefined && !values["values-only"])
    throw new UsageError("render: --chart goes with --values-only");
  if (values.chart !== undefined && !CHARTS.includes(values.chart))
    throw new UsageError(`render: --chart must be one of ${CHARTS.join(", ")}`);
  const format = (values.output ?? "yaml") as RenderFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`render: -o must be one of ${FORMATS.join(", ")}`);
  const part: RenderPart = values["values-only"] ? "values" : values["manifests-only"] ? "manifests" : "all";
  const facts: PinnedFacts = {
    k3sVersion: values["k3s-version"],
    k3sDataDir: values["k3s-data-dir"],
    cniBinDir: values["cni-bin-dir"],
    cniConfDir: values["cni-conf-dir"],
  };
  const file = values.file;
  const inputs = file === undefined ? {} : readInputs(io, file);
  const rendered = renderPlan(inputs, facts);
  for (const w of rendered.inputs.warnings) io.stderr(`k3s-multus: warning: ${w}\n`);
  io.stdout(formatRender(rendered, { part, format, chart: values.chart }));
}

const SCRIPTS: Readonly<Record<string, NodeScriptName>> = {
  detect: "detect.sh",
  claim: "claim.sh",
  cleanup: "cleanup.sh",
};

function script(argv: string[], io: Io): void {
  const { values, positionals } = parse(argv, {
    command: { type: "boolean" },
    sudo: { type: "boolean" },
    "k3s-data-dir": { type: "string" },
    "cni-bin-dir": { type: "string" },
    "cni-conf-dir": { type: "string" },
    whereabouts: { type: "boolean" },
    owner: { type: "string" },
  });
  if (positionals.length === 0) throw new UsageError("script: say which: detect, claim or cleanup");
  const [which, ...rest] = positionals;
  const name = Object.hasOwn(SCRIPTS, which) ? SCRIPTS[which] : undefined;
  if (name === undefined) throw new UsageError(`script: unknown script ${JSON.stringify(which)}`);
  if (rest.length) throw new UsageError(`script: unexpected argument ${JSON.stringify(rest[0])}`);
  const allowed = {
    detect: ["command", "sudo", "k3s-data-dir"],
    claim: ["command", "sudo", "cni-conf-dir", "owner"],
    cleanup: ["command", "sudo", "cni-bin-dir", "cni-conf-dir", "whereabouts", "owner"],
  }[which as "detect" | "claim" | "cleanup"];
  for (const key of Object.keys(values)) {
    if (!allowed.includes(key)) throw new UsageError(`script ${which}: --${key} does not apply`);
    if (key !== "command" && !values.command)
      throw new UsageError(
        `script ${which}: --${key} goes with --command (the raw script takes arguments instead)`,
      );
  }
  if (!values.command) {
    io.stdout(readNodeScript(name));
    return;
  }
  const sudo = values.sudo === true;
  if (which === "detect") {
    io.stdout(`${detectCommand({ sudo, dataDir: values["k3s-data-dir"] }).command}\n`);
    return;
  }
  const { "cni-bin-dir": binDir, "cni-conf-dir": confDir, owner } = values;
  if (which === "claim") {
    if (confDir === undefined || owner === undefined)
      throw new UsageError("script claim --command: give --cni-conf-dir and --owner");
    io.stdout(`${claimCommand({ sudo, confDir, owner }).command}\n`);
    return;
  }
  if (binDir === undefined || confDir === undefined || owner === undefined)
    throw new UsageError("script cleanup --command: give --cni-bin-dir, --cni-conf-dir and --owner");
  const whereabouts = values.whereabouts === true;
  io.stdout(`${cleanupCommand({ sudo, binDir, confDir, whereabouts, owner }).command}\n`);
}

/** Runs the command line (without `node` and the script path) and returns the exit status. */
export function run(argv: readonly string[], io: Io = processIo): number {
  const [command, ...rest] = argv;
  try {
    if (argv.length === 0) throw new UsageError("say what to do: render or script");
    if (
      command === "--help" ||
      command === "-h" ||
      command === "help" ||
      rest.includes("--help") ||
      rest.includes("-h")
    ) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    if (command === "--version") {
      io.stdout(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    if (command === "render") render(rest, io);
    else if (command === "script") script(rest, io);
    else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`k3s-multus: ${e.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof MultusError || e instanceof InputError) {
      io.stderr(`k3s-multus: ${e.message}\n`);
      return EXIT.input;
    }
    io.stderr(`k3s-multus: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  }
}

if (require.main === module) {
  // A reader that stops early (`k3s-multus script detect | head`) is not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? EXIT.ok);
  });
  process.exitCode = run(process.argv.slice(2));
}

/**
 * K3s versions: parsed from `k3s --version` output, a bare tag or a kubeletVersion, and ordered
 * (semver, then the `+k3sN` build).
 */
import * as semver from "semver";
import { attempt, MultusError } from "../errors";

/** A K3s release, parsed from `k3s --version` output, a bare tag or a node's kubeletVersion. */
export interface K3sVersion {
  /** The tag exactly as K3s prints it, e.g. `v1.32.2+k3s1`. */
  readonly tag: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifier such as `rc1`; empty for a release. */
  readonly prerelease: string;
  /** The K3s build number of `+k3sN`. */
  readonly k3sBuild: number;
}

const TAG =
  /^v(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?\+k3s([1-9]\d{0,3})$/;
const VERSION_LINE = /^k3s version (\S+) \([0-9a-f]{7,40}\)$/;
const GO_LINE = /^go version go\d+(?:\.\d+)*\S*$/;
const ALLOWED =
  "expected a K3s tag like v1.32.2+k3s1 or v1.34.1-rc1+k3s1, or the output of `k3s --version` (`k3s version v1.32.2+k3s1 (381620ef)`)";

/** Parses a K3s version; throws {@link MultusError} quoting the input when it is not one. */
export function parseK3sVersion(input: string, field = "k3sVersion"): K3sVersion {
  if (typeof input !== "string") throw new MultusError(field, input, ALLOWED, "is not a string");
  const lines = input.replace(/\r\n/g, "\n").trim().split("\n");
  let tag = lines[0]?.trim() ?? "";
  if (lines.length > 2) throw new MultusError(field, input, ALLOWED, "has too many lines");
  const line = VERSION_LINE.exec(tag);
  if (line) {
    tag = line[1];
    if (lines.length === 2 && !GO_LINE.test(lines[1].trim())) {
      throw new MultusError(field, input, ALLOWED, "has an unexpected second line");
    }
  } else if (lines.length !== 1) {
    throw new MultusError(field, input, ALLOWED, "is not `k3s --version` output");
  }
  const m = TAG.exec(tag);
  if (!m && /^v\d+\.\d+\.\d+\+k3s-[0-9a-f]{7,40}$/.test(tag)) {
    throw new MultusError(
      field,
      input,
      "a K3s release; pin k3sVersion to the release this build was made from (e.g. v1.19.3+k3s1)",
      `is a development build of K3s (${tag}), whose CNI layout cannot be told from its version`,
    );
  }
  if (!m) throw new MultusError(field, input, ALLOWED);
  return {
    tag,
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    prerelease: m.at(4) ?? "", // an optional group: undefined when absent
    k3sBuild: Number(m[5]),
  };
}

/** Like {@link parseK3sVersion}, but returns `undefined` instead of throwing. */
export function tryParseK3sVersion(input: string): K3sVersion | undefined {
  return attempt(() => parseK3sVersion(input));
}

/** The semver form used for comparisons (`1.30.6-rc1`); the `+k3sN` build is compared separately. */
export function toSemver(v: K3sVersion): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ""}`;
}

/** Orders two K3s versions: by semver, then by the `+k3sN` build. */
export function compareK3sVersions(a: K3sVersion, b: K3sVersion): number {
  return semver.compare(toSemver(a), toSemver(b)) || a.k3sBuild - b.k3sBuild;
}

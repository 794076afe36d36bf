/**
 * Absolute, shell-safe paths. Every path that reaches a node script (data dir, CNI bin and conf dirs)
 * passes through {@link parseSafePath} first, and the scripts apply the same rule again on the node
 * (`safe_path` in provider/scripts/lib.sh), so that a hostile value is refused on both sides and is
 * never interpreted by a shell. Keep the two in step: tests/scripts/hostile.test.ts checks that
 * they agree.
 */
import { attempt, MultusError } from "../errors";

/** Longest path accepted. PATH_MAX is 4096; no sane K3s or CNI directory comes near this. */
export const MAX_PATH_LENGTH = 1024;

/**
 * Characters allowed in a path: no whitespace, quotes, glob or other shell metacharacters. `:` is
 * allowed for sysfs paths such as a host-device `kernelpath` (`/sys/devices/pci0000:00/...`).
 */
const SAFE_CHARS = /^[A-Za-z0-9._+@:/-]+$/;

export const SAFE_PATH_ALLOWED =
  "expected an absolute path such as /var/lib/rancher/k3s: it starts with /, uses only letters, digits, " +
  "'/', '.', '_', '-', '+', '@' and ':', has no '.' or '..' component and no '//', is not / itself, " +
  `and has at most ${MAX_PATH_LENGTH} characters`;

/**
 * Validates an absolute, shell-safe path and returns it with any trailing slash removed.
 * Throws {@link MultusError} naming `field`, quoting the value and saying what is allowed.
 */
export function parseSafePath(field: string, value: unknown): string {
  const refuse = (detail: string): never => {
    throw new MultusError(field, value, SAFE_PATH_ALLOWED, detail);
  };
  if (typeof value !== "string") return refuse("is not a string");
  if (value.length === 0) return refuse("is empty");
  if (value.length > MAX_PATH_LENGTH) return refuse("is too long");
  if (!value.startsWith("/")) return refuse("is not an absolute path");
  if (!SAFE_CHARS.test(value)) return refuse("contains a character that is not allowed");
  const path = value.replace(/\/+$/, "");
  if (path === "") return refuse("is the root directory");
  const components = path.slice(1).split("/");
  if (components.some((c) => c === "")) return refuse("contains an empty component ('//')");
  if (components.some((c) => c === "." || c === "..")) return refuse("contains a '.' or '..' component");
  return path;
}

/** Like {@link parseSafePath}, but returns `undefined` instead of throwing. */
export function tryParseSafePath(value: unknown): string | undefined {
  return attempt(() => parseSafePath("path", value));
}

/** Number of components of a path already accepted by {@link parseSafePath} (`/etc/cni/net.d` → 3). */
export function pathDepth(path: string): number {
  return path.split("/").length - 1;
}

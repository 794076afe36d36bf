import { MultusError } from "../errors";

const SAFE_PATH = /^(\/[A-Za-z0-9._+@-]+)+\/?$|^\/$/;

/**
 * An absolute path that is safe to hand to a node's shell: letters, digits and `._+@-` between
 * slashes, no `.` or `..` segment. A trailing slash is removed. Anything else is refused.
 */
export function parseSafePath(field: string, value: unknown): string {
  const allowed =
    "expected an absolute path of letters, digits and . _ + @ - between slashes, with no . or .. segment";
  if (typeof value !== "string" || !SAFE_PATH.test(value)) throw new MultusError(field, value, allowed);
  const segments = value.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === "." || s === "..")) throw new MultusError(field, value, allowed);
  return segments.length === 0 ? "/" : `/${segments.join("/")}`;
}

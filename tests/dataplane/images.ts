/**
 * The container images the rke2-multus chart runs, rebuilt from what the tool cache holds (no
 * registry is reachable): each image's files at the paths the image has them, and its entrypoint.
 *
 * - `rancher/hardened-multus-cni` (thin): `/thin_entrypoint` and `/usr/src/multus-cni/bin/multus`
 *   (Multus v4.3.0, built by scripts/e2e/tools.sh), entrypoint `/thin_entrypoint`.
 * - `rancher/hardened-whereabouts`: `/whereabouts`, `/ip-control-loop` (v0.9.4) and the image's
 *   scripts `/install-cni.sh`, `/lib.sh`, `/token-watcher.sh` from whereabouts' own module
 *   (`script/`, copied into the tool cache by `tools.sh dataplane`); a busybox shell (the chart's command is `/bin/sh -c`
 *   with `source`, which busybox ash has).
 * - `rancher/mirrored-library-busybox` (the DHCP DaemonSet's): busybox.
 * - `rancher/hardened-cni-plugins`: the reference plugins (v1.9.1) in `/opt/cni/bin` and a
 *   STAND-IN for the image's install script (not in any module we can fetch): it copies every
 *   plugin but those named in `SKIP_CNI_BINARIES` into `/host/opt/cni/bin`, atomically.
 *   The flannel plugin is not in the cache (not served by the Go module proxy); the chart skips
 *   it anyway.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BIN_DIR, CACHE_DIR } from "../e2e/env/cache";
import { which } from "../helpers/tools";

export const CNI_VERSION = "v1.9.1";
export const CNI_PLUGINS_DIR = path.join(CACHE_DIR, "cni", CNI_VERSION);

type ImageFile = { from: string; mode?: number } | { content: string; mode?: number };

export interface Image {
  readonly repository: string;
  readonly files: Readonly<Record<string, ImageFile>>;
  readonly busybox: boolean;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

/** The stand-in for rancher/hardened-cni-plugins' install script (see the header). */
export const INSTALL_CNIS_SH = `#!/bin/sh
# STAND-IN (k3s-multus tests) for the install script of rancher/hardened-cni-plugins.
set -e
dest=/host/opt/cni/bin
for f in /opt/cni/bin/*; do
  name=\${f##*/}
  case ",\${SKIP_CNI_BINARIES:-}," in
    *",$name,"*) echo "skipping $name"; continue ;;
  esac
  cp -f "$f" "$dest/.$name.tmp"
  mv -f "$dest/.$name.tmp" "$dest/$name"
  echo "installed $name"
done
`;

/** whereabouts' `script/` files, copied from its module into the cache by `tools.sh dataplane`. */
const whereaboutsScript = (name: string): ImageFile => ({
  from: path.join(CACHE_DIR, "images/whereabouts", name),
  mode: 0o755,
});

const IMAGES: readonly Image[] = [
  {
    repository: "rancher/hardened-multus-cni",
    files: {
      "/thin_entrypoint": { from: path.join(BIN_DIR, "thin_entrypoint"), mode: 0o755 },
      "/usr/src/multus-cni/bin/multus": { from: path.join(BIN_DIR, "multus"), mode: 0o755 },
    },
    busybox: false,
    entrypoint: ["/thin_entrypoint"],
    cmd: [],
  },
  {
    repository: "rancher/hardened-whereabouts",
    files: {
      "/whereabouts": { from: path.join(BIN_DIR, "whereabouts"), mode: 0o755 },
      "/ip-control-loop": { from: path.join(BIN_DIR, "ip-control-loop"), mode: 0o755 },
      "/install-cni.sh": whereaboutsScript("install-cni.sh"),
      "/lib.sh": whereaboutsScript("lib.sh"),
      "/token-watcher.sh": whereaboutsScript("token-watcher.sh"),
    },
    busybox: true,
    entrypoint: ["/install-cni.sh"],
    cmd: [],
  },
  {
    repository: "rancher/hardened-cni-plugins",
    get files() {
      const files: Record<string, ImageFile> = {
        "/install-cnis.sh": { content: INSTALL_CNIS_SH, mode: 0o755 },
      };
      for (const p of fs.readdirSync(CNI_PLUGINS_DIR)) {
        files[`/opt/cni/bin/${p}`] = { from: path.join(CNI_PLUGINS_DIR, p), mode: 0o755 };
      }
      return files;
    },
    busybox: true,
    entrypoint: ["/install-cnis.sh"],
    cmd: [],
  },
  {
    // The DHCP DaemonSet's image: a shell, `rm`; its command runs the dhcp plugin from the bin dir.
    repository: "rancher/mirrored-library-busybox",
    files: {},
    busybox: true,
    entrypoint: ["sh"],
    cmd: [],
  },
];

/** The image for a pod spec's `image` (`[registry/]repository:tag`). */
export function imageFor(ref: string): Image {
  const repo = ref.replace(/:[^/:]+$/, "").replace(/^docker\.io\//, "");
  const image = IMAGES.find((i) => repo === i.repository || repo.endsWith(`/${i.repository}`));
  if (!image) throw new Error(`no stand-in for image ${ref}`);
  return image;
}

/** Every cached file the images need that is missing (for the suite's skip/fail message). */
export function missingImageFiles(): string[] {
  const missing: string[] = [];
  for (const i of IMAGES) {
    const files = fs.existsSync(CNI_PLUGINS_DIR) ? i.files : {};
    for (const f of Object.values(files)) if ("from" in f && !fs.existsSync(f.from)) missing.push(f.from);
  }
  if (!fs.existsSync(CNI_PLUGINS_DIR)) missing.push(CNI_PLUGINS_DIR);
  if (!which("busybox")) missing.push("busybox");
  return missing;
}

/** The shared libraries `bin` loads (ldd), so that a dynamic busybox runs in the image. */
function libraries(bin: string): string[] {
  const out = spawnSync("ldd", [bin], { encoding: "utf8" }).stdout;
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]);
}

/** Writes `image`'s files into `root` (a host path). */
export function stageImage(image: Image, root: string): void {
  for (const [p, f] of Object.entries(image.files)) {
    const target = path.join(root, p);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if ("from" in f) fs.copyFileSync(f.from, target);
    else fs.writeFileSync(target, f.content);
    fs.chmodSync(target, f.mode ?? 0o644);
  }
  if (image.busybox) {
    const bb = which("busybox");
    if (!bb) throw new Error("busybox is needed for the images' shell");
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    fs.copyFileSync(bb, path.join(root, "bin/busybox"));
    fs.chmodSync(path.join(root, "bin/busybox"), 0o755);
    for (const lib of libraries(bb)) {
      fs.mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
      fs.copyFileSync(lib, path.join(root, lib));
    }
    const applets = spawnSync(bb, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const a of applets) {
      const link = path.join(root, "bin", a);
      if (!fs.existsSync(link)) fs.symlinkSync("busybox", link);
    }
  }
  fs.mkdirSync(path.join(root, "tmp"), { recursive: true, mode: 0o1777 });
}

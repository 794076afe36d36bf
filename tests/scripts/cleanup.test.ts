/**
 * provider/scripts/cleanup.sh run for real, twice, on simulated nodes where the chart's files were
 * laid down beside flannel's and K3s's: afterwards exactly the chart's files are gone, and the
 * second run changes nothing.
 */
import { expect } from "chai";
import { cniFiles, DEFAULT_DATA_DIR as DD, HASH, k3sFiles, OWNER } from "../helpers/k3sfixtures";
import { Entry, paths, runOnNode, runOnNodeTimes, SHELLS, SimNode } from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

interface Layout {
  name: string;
  binDir: string;
  confDir: string;
  base: Record<string, Entry>;
}

const layouts: Layout[] = [
  {
    name: "after the gate (data/cni)",
    binDir: `${DD}/data/cni`,
    confDir: `${DD}/agent/etc/cni/net.d`,
    base: k3sFiles("v1.32.2+k3s1"),
  },
  {
    // data/current is a symlink to data/<hash>: the chart's binary lands in data/<hash>/bin.
    name: "before the gate (data/current/bin through the current symlink)",
    binDir: `${DD}/data/current/bin`,
    confDir: `${DD}/agent/etc/cni/net.d`,
    base: k3sFiles("v1.30.5+k3s1"),
  },
  {
    name: "flannel off (containerd's defaults)",
    binDir: "/opt/cni/bin",
    confDir: "/etc/cni/net.d",
    base: {},
  },
];

/** Where a path under data/current really is (the listing shows real paths). */
const real = (p: string): string => p.replace(`${DD}/data/current/`, `${DD}/data/${HASH}/`);

describe("cleanup.sh on simulated nodes", function () {
  this.timeout(60000);
  before(function () {
    requireNamespaces(this);
    requireTools(this, ...SHELLS);
  });

  for (const layout of layouts) {
    for (const whereabouts of [true, false]) {
      describe(`${layout.name}, whereabouts ${whereabouts ? "on" : "off"}`, () => {
        for (const shell of SHELLS) {
          it(`removes only the chart's files, then nothing, in ${shell}`, () => {
            const { keep, chart } = cniFiles(layout.binDir, layout.confDir);
            const node: SimNode = { files: { ...layout.base, ...keep, ...chart } };
            const args = [layout.confDir, layout.binDir, whereabouts ? "yes" : "no", OWNER];
            const [first, second] = runOnNodeTimes(node, { script: { name: "cleanup.sh", shell, args } }, 2);

            expect(first.status, first.stderr).to.equal(0);
            const gone = paths(first.before).filter((p) => !paths(first.after).includes(p));
            const removed = [
              `${layout.confDir}/00-multus.conflist`,
              `${layout.confDir}/multus.d`,
              `${layout.confDir}/multus.d/multus.kubeconfig`,
              `${layout.confDir}/multus.d/k3s-multus-owner.${OWNER}`,
              `${layout.binDir}/multus`,
              ...(whereabouts
                ? [
                    `${layout.confDir}/whereabouts.d`,
                    `${layout.confDir}/whereabouts.d/whereabouts.conf`,
                    `${layout.confDir}/whereabouts.d/whereabouts.kubeconfig`,
                    `${layout.binDir}/whereabouts`,
                  ]
                : []),
            ].map(real);
            expect(gone.sort()).to.deep.equal(removed.sort());
            for (const p of Object.keys({ ...layout.base, ...keep }).map(real)) {
              expect(paths(first.after), "kept").to.include(p);
            }
            expect(first.stdout).to.include(`removed ${layout.binDir}/multus\n`);
            expect(first.stdout).to.match(/k3s-multus-cleanup: removed \d item\(s\) from /);

            expect(second.status, second.stderr).to.equal(0);
            expect(second.after, "the second run changed something").to.deep.equal(second.before);
            expect(second.stdout).to.equal(
              `k3s-multus-cleanup: nothing removed: ${layout.confDir} has no record of installation ${OWNER} (its release never completed on this node, or another installation owns these files)\n`,
            );
          });
        }
      });
    }
  }

  describe("edge cases (dash)", () => {
    const conf = "/etc/cni/net.d";
    const bin = "/opt/cni/bin";
    const mark = `${conf}/multus.d/k3s-multus-owner.${OWNER}`;
    /** Runs the clean-up on `files`, with this installation's record unless `owned` is false. */
    const run = (files: Record<string, Entry>, args = [conf, bin, "yes", OWNER], owned = true) =>
      runOnNode(
        { files: owned && !(`${conf}/multus.d` in files) ? { [mark]: "", ...files } : files },
        { script: { name: "cleanup.sh", shell: "dash", args } },
      );
    const noRecord = `k3s-multus-cleanup: nothing removed: ${conf} has no record of installation ${OWNER} (its release never completed on this node, or another installation owns these files)\n`;

    it("removes nothing without this installation's record (another stack's files)", () => {
      const files = { [`${conf}/00-multus.conflist`]: "{}\n", [`${bin}/multus`]: "x\n" };
      const r = run(files, undefined, false);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(noRecord);
      expect(r.after).to.deep.equal(r.before);
    });

    it("removes only its own record while another installation's record remains", () => {
      const other = `${conf}/multus.d/k3s-multus-owner.fedcba9876543210`;
      const r = run({
        [mark]: "",
        [other]: "",
        [`${conf}/00-multus.conflist`]: "{}\n",
        [`${bin}/multus`]: "x\n",
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(
        `removed ${mark}\nk3s-multus-cleanup: left the Multus files in place: ${conf} still records another installation (fedcba9876543210)\n`,
      );
      expect(paths(r.before).filter((p) => !paths(r.after).includes(p))).to.deep.equal([mark]);
    });

    it("removes 00-multus.conf (a master config below CNI 1.0.0)", () => {
      const r = run({ [`${conf}/00-multus.conf`]: "{}\n", [`${conf}/10-calico.conflist`]: "{}\n" });
      expect(r.status).to.equal(0);
      expect(paths(r.after)).not.to.include(`${conf}/00-multus.conf`);
      expect(paths(r.after)).to.include(`${conf}/10-calico.conflist`);
    });

    it("removes a symlinked multus.d, not what it points to", () => {
      const r = run({
        [`${conf}/multus.d`]: { symlink: "/srv/elsewhere" },
        "/srv/elsewhere/keep": "x\n",
        [`/srv/elsewhere/k3s-multus-owner.${OWNER}`]: "",
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(paths(r.after)).not.to.include(`${conf}/multus.d`);
      expect(paths(r.after)).to.include("/srv/elsewhere/keep");
    });

    it("refuses, and removes nothing, when `multus` is a directory", () => {
      const r = run({ [`${conf}/00-multus.conflist`]: "{}\n", [`${bin}/multus/x`]: "x\n" });
      expect(r.status).to.equal(6);
      expect(r.stdout).to.match(/^error=refused .*\/opt\/cni\/bin\/multus/);
      expect(r.after).to.deep.equal(r.before);
    });

    it("does nothing when the dirs do not exist (a reinstalled node)", () => {
      const r = run({}, undefined, false);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(noRecord);
    });

    const refusals: { args: string[]; code: string; status: number }[] = [
      { args: ["/", bin, "yes", OWNER], code: "bad-path", status: 5 },
      { args: ["/etc", bin, "yes", OWNER], code: "bad-path", status: 5 },
      { args: [conf, "/opt/", "no", OWNER], code: "bad-path", status: 5 },
      { args: [conf, "opt/cni/bin", "no", OWNER], code: "bad-path", status: 5 },
      { args: [`${conf}/../..`, bin, "no", OWNER], code: "bad-path", status: 5 },
      { args: [conf, bin, "maybe", OWNER], code: "usage", status: 2 },
      { args: [conf, bin, "yes", "0123"], code: "usage", status: 2 },
      { args: [conf, bin, "yes", "*"], code: "usage", status: 2 },
      { args: [conf, bin, "yes"], code: "usage", status: 2 },
    ];
    for (const row of refusals) {
      it(`refuses ${JSON.stringify(row.args)} (${row.code})`, () => {
        const r = run({ [`${conf}/00-multus.conflist`]: "{}\n", [`${bin}/multus`]: "x\n" }, row.args);
        expect(r.status).to.equal(row.status);
        expect(r.stdout).to.match(new RegExp(`^error=${row.code} `));
        expect(r.after).to.deep.equal(r.before);
      });
    }
  });
});

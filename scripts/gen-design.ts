/**
 * `npm run gen:design`: writes the module map of docs/design.md (between the module-map markers)
 * from the header comments of the provider package's modules (scripts/design/moduleMap.ts). A
 * module without a header shows as "(no header comment)" and is listed on stderr;
 * tests/unit/design.test.ts fails on it, and when docs/design.md and the tree disagree.
 */
import * as fs from "node:fs";
import { DESIGN, moduleMap, withMap } from "./design/moduleMap";

const { map, problems } = moduleMap();
fs.writeFileSync(DESIGN, withMap(fs.readFileSync(DESIGN, "utf8"), map));
console.log("wrote the module map into docs/design.md");
if (problems.length > 0)
  console.error(`to fix (tests/unit/design.test.ts fails on them):\n  ${problems.join("\n  ")}`);

/**
 * The Helm repository on loopback: a tiny static HTTP server over `../shared/charts` (the published
 * index.yaml and every rke2-multus / rke2-multus-crd package), as an air-gapped user's mirror.
 * It serves only regular files below the root, read-only, and counts the requests it answered.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";

export interface ChartServer {
  readonly url: string;
  /** Requests answered so far, as `STATUS PATH` (for the tests: what Helm fetched, and 401s). */
  readonly requested: string[];
  stop(): Promise<void>;
}

/**
 * Serves `root`. With `auth`, every request must carry that HTTP basic auth (401 otherwise), as a
 * mirror behind credentials does: a test then sees that `chart.repositoryUsername/Password` reach Helm.
 */
export function serveCharts(
  root: string,
  auth?: { username: string; password: string },
): Promise<ChartServer> {
  const expected = auth && `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  const base = fs.realpathSync(root);
  const requested: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const rel = decodeURIComponent(url.pathname);
    const file = path.resolve(base, `.${rel}`);
    let ok = false;
    try {
      ok = (file === base || file.startsWith(`${base}${path.sep}`)) && fs.statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (expected !== undefined && req.headers.authorization !== expected) {
      requested.push(`401 ${rel}`);
      res.writeHead(401, { "www-authenticate": 'Basic realm="charts"' }).end();
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      requested.push(`405 ${rel}`);
      res.writeHead(405).end();
    } else if (!ok) {
      requested.push(`404 ${rel}`);
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    } else {
      requested.push(`200 ${rel}`);
      const type = file.endsWith(".yaml") ? "text/yaml" : "application/gzip";
      res.writeHead(200, { "content-type": type, "content-length": fs.statSync(file).size });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requested,
        stop: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

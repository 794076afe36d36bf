/**
 * The Helm repository on loopback: a tiny static HTTPS server over `../shared/charts` (the
 * published index.yaml and every rke2-multus / rke2-multus-crd package), as an air-gapped user's
 * mirror behind credentials. HTTPS because the component refuses credentials over plain http://;
 * its certificate comes from its own test CA, which the Pulumi processes trust (`SSL_CERT_FILE`).
 * It serves only regular files below the root, read-only, and counts the requests it answered.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";

export interface ChartServer {
  readonly url: string;
  /** The CA certificate (PEM file) that signed the server's certificate. */
  readonly caFile: string;
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
  tls: { cert: string; key: string; caFile: string },
  auth?: { username: string; password: string },
): Promise<ChartServer> {
  const expected = auth && `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  const base = fs.realpathSync(root);
  const requested: string[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
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
  };
  const server = https.createServer(
    { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) },
    handler,
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        url: `https://127.0.0.1:${port}`,
        caFile: tls.caFile,
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

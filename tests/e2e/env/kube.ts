/**
 * A minimal Kubernetes REST client for the tests' own checks (node:https with the admin client
 * certificate): GET, POST and DELETE of raw API paths, JSON in and out. The product talks to the
 * API server through the real Pulumi Kubernetes provider; this client only looks at the result.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import { Pki } from "./tls";

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

export class Kube {
  private readonly agent: https.Agent;

  constructor(
    readonly server: string,
    pki: Pki,
  ) {
    this.agent = new https.Agent({
      ca: fs.readFileSync(pki.caCert),
      cert: fs.readFileSync(pki.adminCert),
      key: fs.readFileSync(pki.adminKey),
      keepAlive: false,
    });
  }

  request(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<KubeResponse> {
    const url = new URL(apiPath, this.server);
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: { accept: "application/json", ...(data ? { "content-type": contentType } : {}) },
          timeout: 15000,
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.once("error", reject);
      req.once("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
      req.end(data);
    });
  }

  /** The object at `apiPath`, or undefined on 404. */
  async get<T = Record<string, unknown>>(apiPath: string): Promise<T | undefined> {
    const r = await this.request("GET", apiPath);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${apiPath}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as T;
  }

  /** The items of a list at `apiPath`. */
  async list<T = Record<string, unknown>>(apiPath: string): Promise<T[]> {
    const l = await this.get<{ items: T[] }>(apiPath);
    return l?.items ?? [];
  }

  async create(apiPath: string, body: unknown): Promise<void> {
    const r = await this.request("POST", apiPath, body);
    if (r.status !== 201 && r.status !== 200) throw new Error(`POST ${apiPath}: ${r.status} ${r.body}`);
  }

  async remove(apiPath: string): Promise<void> {
    const r = await this.request("DELETE", apiPath);
    if (![200, 202, 404].includes(r.status)) throw new Error(`DELETE ${apiPath}: ${r.status} ${r.body}`);
  }

  /** A JSON merge patch of the object at `apiPath`. */
  async mergePatch(apiPath: string, patch: unknown): Promise<void> {
    const r = await this.request("PATCH", apiPath, patch, "application/merge-patch+json");
    if (r.status !== 200 && r.status !== 404) throw new Error(`PATCH ${apiPath}: ${r.status} ${r.body}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** API paths of the objects the scenarios look at. */
export const paths = {
  nadCrd:
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/network-attachment-definitions.k8s.cni.cncf.io",
  allNads: "/apis/k8s.cni.cncf.io/v1/network-attachment-definitions",
  nads: (ns: string) => `/apis/k8s.cni.cncf.io/v1/namespaces/${ns}/network-attachment-definitions`,
  nad: (ns: string, name: string) =>
    `/apis/k8s.cni.cncf.io/v1/namespaces/${ns}/network-attachment-definitions/${name}`,
  daemonsets: (ns: string) => `/apis/apps/v1/namespaces/${ns}/daemonsets`,
  secrets: (ns: string) => `/api/v1/namespaces/${ns}/secrets`,
};

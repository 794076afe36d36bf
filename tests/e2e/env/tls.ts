/**
 * The loopback API server's key material, made with the openssl CLI: a CA, a serving certificate
 * for 127.0.0.1 (and the in-cluster names), the service-account signing key pair and an admin
 * client certificate (group system:masters). Everything lives in one temporary directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runOk } from "./proc";

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly saKey: string;
  readonly saPub: string;
  readonly adminCert: string;
  readonly adminKey: string;
}

const openssl = (dir: string, ...args: string[]) => runOk(["openssl", ...args], { cwd: dir });

/** Signs `name`.csr with the CA, with the given X.509v3 extensions. */
async function sign(dir: string, name: string, subject: string, ext: string[]): Promise<void> {
  await openssl(
    dir,
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    `${name}.key`,
  );
  await openssl(dir, "req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext.join("\n")}\n`);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  );
}

/** Creates the key material in `dir` (which must exist and be private to the test). */
export async function makePki(dir: string): Promise<Pki> {
  await openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
  await openssl(
    dir,
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-subj",
    "/CN=k3s-multus-e2e-ca",
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    "ca.crt",
  );
  await sign(dir, "server", "/CN=kube-apiserver", [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "subjectAltName=IP:127.0.0.1,IP:10.43.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
  ]);
  await sign(dir, "admin", "/O=system:masters/CN=k3s-multus-e2e-admin", [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=clientAuth",
  ]);
  await openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key");
  await openssl(dir, "pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub");
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
  };
}

/** A kubeconfig for the admin, with every credential embedded (as K3s writes k3s.yaml). */
export function kubeconfig(pki: Pki, server: string): string {
  const b64 = (f: string) => fs.readFileSync(f).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: e2e",
    "    cluster:",
    `      server: ${server}`,
    `      certificate-authority-data: ${b64(pki.caCert)}`,
    "users:",
    "  - name: e2e-admin",
    "    user:",
    `      client-certificate-data: ${b64(pki.adminCert)}`,
    `      client-key-data: ${b64(pki.adminKey)}`,
    "contexts:",
    "  - name: e2e",
    "    context:",
    "      cluster: e2e",
    "      user: e2e-admin",
    "current-context: e2e",
    "",
  ].join("\n");
}

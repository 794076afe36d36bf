/**
 * Multus on K3s from TypeScript: the component runs in this program (no plugin, no generated SDK),
 * imported from the package itself.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Multus } from "k3s-multus";

const config = new pulumi.Config();
const hosts = config.requireObject<string[]>("nodes");
const user = config.get("sshUser") ?? "root";
const privateKey = config.requireSecret("sshPrivateKey");

const multus = new Multus("multus", {
  nodes: hosts.map((host) => ({ host, user, privateKey })),
  networks: [
    {
      name: "macvlan-whereabouts",
      interface: "eth1",
      type: "macvlan",
      master: "eth0",
      mode: "bridge",
      ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
    },
  ],
});

// A pod attached to the network: Multus adds eth1 with an address from 172.17.0.0/24.
const demo = new k8s.apps.v1.Deployment("multus-demo", {
  metadata: { name: "multus-demo" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "multus-demo" } },
    template: {
      metadata: { labels: { app: "multus-demo" }, annotations: multus.podAnnotations },
      spec: {
        containers: [
          {
            name: "shell",
            image: "docker.io/rancher/mirrored-library-busybox:1.36.1",
            command: ["sleep", "3600"],
          },
        ],
      },
    },
  },
});

export const k3sVersions = multus.k3sVersions;
export const cniBinDir = multus.cniBinDir;
export const cniConfDir = multus.cniConfDir;
export const chartVersion = multus.chartVersion;
export const podAnnotations = multus.podAnnotations;
export const demoDeployment = demo.metadata.name;

"""Multus on K3s from Python: the seed's macvlan network and a demo pod attached to it."""

import pulumi
import pulumi_k3s_multus as k3s_multus
import pulumi_kubernetes as k8s

config = pulumi.Config()
hosts = config.require_object("nodes")
ssh_user = config.get("sshUser") or "root"
ssh_key = config.require_secret("sshPrivateKey")

multus = k3s_multus.Multus(
    "multus",
    nodes=[{"host": host, "user": ssh_user, "private_key": ssh_key} for host in hosts],
    networks=[
        {
            "name": "macvlan-whereabouts",
            "interface": "eth1",
            "type": "macvlan",
            "master": "eth0",
            "mode": "bridge",
            "ipam": {"type": "whereabouts", "range": "172.17.0.0/24", "gateway": "172.17.0.1"},
        }
    ],
)

# A pod attached to the network: Multus adds eth1 with an address from 172.17.0.0/24.
demo = k8s.apps.v1.Deployment(
    "multus-demo",
    metadata={"name": "multus-demo"},
    spec={
        "replicas": 1,
        "selector": {"match_labels": {"app": "multus-demo"}},
        "template": {
            "metadata": {"labels": {"app": "multus-demo"}, "annotations": multus.pod_annotations},
            "spec": {
                "containers": [
                    {
                        "name": "shell",
                        "image": "docker.io/rancher/mirrored-library-busybox:1.36.1",
                        "command": ["sleep", "3600"],
                    }
                ]
            },
        },
    },
)

pulumi.export("k3sVersions", multus.k3s_versions)
pulumi.export("cniBinDir", multus.cni_bin_dir)
pulumi.export("cniConfDir", multus.cni_conf_dir)
pulumi.export("chartVersion", multus.chart_version)
pulumi.export("podAnnotations", multus.pod_annotations)

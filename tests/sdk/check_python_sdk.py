"""Checks a generated k3s-multus Python SDK (installed from its wheel) under Pulumi's mocks.

Run by tests/sdk/sdks.test.ts in a fresh virtualenv where the wheel built from the generated SDK is
installed. The program builds `Multus` the way examples/python does and prints one JSON report:
what the SDK registered (type token, the inputs as the engine would receive them, secrets
marked) and the outputs it read back through its output types. The test asserts on the report.
"""

import json
import sys

import pulumi
import pulumi_k3s_multus as k3s_multus

MULTUS_TYPE = "k3s-multus:index:Multus"
registered = []


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        registered.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        outputs = dict(args.inputs)
        if args.typ == MULTUS_TYPE:
            outputs.update(
                {
                    "cniBinDir": "/var/lib/rancher/k3s/data/cni",
                    "chartVersion": "v4.3.017",
                    "networkNames": ["macvlan-whereabouts"],
                    "podAnnotations": {"k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1"},
                    "status": {"name": "multus", "namespace": "kube-system", "revision": 2, "status": "deployed"},
                }
            )
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise Exception(f"unexpected invoke {args.token}")


pulumi.runtime.set_mocks(Mocks(), project="consumer", stack="test", preview=False)


def build():
    key = pulumi.Output.secret("not-a-real-key")
    return k3s_multus.Multus(
        "multus",
        nodes=[{"host": h, "user": "root", "private_key": key} for h in ["10.0.0.11", "10.0.0.12"]],
        networks=[
            k3s_multus.NetworkArgs(
                name="macvlan-whereabouts",
                interface="eth1",
                type=k3s_multus.NetworkType.MACVLAN,
                master="eth0",
                mode="bridge",
                ipam=k3s_multus.IpamArgs(
                    type=k3s_multus.IpamType.WHEREABOUTS, range="172.17.0.0/24", gateway="172.17.0.1"
                ),
            )
        ],
        chart=k3s_multus.ChartArgs(version="v4.3.017", skip_await=True),
    )


def field(value, key):
    """A field of an output object: an `outputs.ReleaseStatus`, or the plain dict mocks hand back."""
    return value.get(key) if isinstance(value, dict) else getattr(value, key)


@pulumi.runtime.test
def check():
    multus = build()

    def report(values):
        bin_dir, chart_version, names, annotations, status = values
        print(
            json.dumps(
                {
                    "registered": registered,
                    "outputs": {
                        "cni_bin_dir": bin_dir,
                        "chart_version": chart_version,
                        "network_names": names,
                        "pod_annotations": annotations,
                        "status": {
                            "fields": {k: field(status, k) for k in ("name", "namespace", "revision", "status")},
                            "type": type(status).__name__,
                        },
                    },
                },
                sort_keys=True,
                default=str,
            )
        )

    return pulumi.Output.all(
        multus.cni_bin_dir, multus.chart_version, multus.network_names, multus.pod_annotations, multus.status
    ).apply(report)


if __name__ == "__main__":
    check()
    sys.stdout.flush()

// Multus on K3s from Go: the seed's macvlan network and a demo pod attached to it.
package main

import (
	"github.com/k3s-multus/k3s-multus/sdk/go/k3smultus"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// ptr returns a pointer to v, for the SDK's plain optional fields (the IPAM settings).
func ptr[T any](v T) *T { return &v }

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		var hosts []string
		cfg.RequireObject("nodes", &hosts)
		user := cfg.Get("sshUser")
		if user == "" {
			user = "root"
		}
		sshKey := cfg.RequireSecret("sshPrivateKey")

		nodes := []k3smultus.NodeArgs{}
		for _, host := range hosts {
			nodes = append(nodes, k3smultus.NodeArgs{
				Host:       pulumi.String(host),
				User:       pulumi.String(user),
				PrivateKey: sshKey,
			})
		}

		multus, err := k3smultus.NewMultus(ctx, "multus", &k3smultus.MultusArgs{
			Nodes: nodes,
			Networks: []k3smultus.NetworkArgs{
				k3smultus.NetworkArgs{
					Name:      "macvlan-whereabouts",
					Interface: pulumi.String("eth1"),
					Type:      k3smultus.NetworkTypeMacvlan,
					Master:    pulumi.String("eth0"),
					Mode:      pulumi.String("bridge"),
					Ipam: k3smultus.IpamArgs{
						Type:    k3smultus.IpamTypeWhereabouts,
						Range:   ptr("172.17.0.0/24"),
						Gateway: ptr("172.17.0.1"),
					},
				},
			},
		})
		if err != nil {
			return err
		}

		// A pod attached to the network: Multus adds eth1 with an address from 172.17.0.0/24.
		labels := pulumi.StringMap{"app": pulumi.String("multus-demo")}
		_, err = appsv1.NewDeployment(ctx, "multus-demo", &appsv1.DeploymentArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("multus-demo")},
			Spec: &appsv1.DeploymentSpecArgs{
				Replicas: pulumi.Int(1),
				Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
				Template: &corev1.PodTemplateSpecArgs{
					Metadata: &metav1.ObjectMetaArgs{Labels: labels, Annotations: multus.PodAnnotations},
					Spec: &corev1.PodSpecArgs{
						Containers: corev1.ContainerArray{
							corev1.ContainerArgs{
								Name:    pulumi.String("shell"),
								Image:   pulumi.String("docker.io/rancher/mirrored-library-busybox:1.36.1"),
								Command: pulumi.StringArray{pulumi.String("sleep"), pulumi.String("3600")},
							},
						},
					},
				},
			},
		})
		if err != nil {
			return err
		}

		ctx.Export("k3sVersions", multus.K3sVersions)
		ctx.Export("cniBinDir", multus.CniBinDir)
		ctx.Export("cniConfDir", multus.CniConfDir)
		ctx.Export("chartVersion", multus.ChartVersion)
		ctx.Export("podAnnotations", multus.PodAnnotations)
		return nil
	})
}

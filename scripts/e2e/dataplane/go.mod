module k3s-multus-e2e/dataplane

go 1.22

require (
	github.com/containernetworking/cni v1.3.0
	golang.org/x/sys v0.23.0
)

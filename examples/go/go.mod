module k3s-multus-example-go

go 1.25.11

require (
	github.com/k3s-multus/k3s-multus/sdk/go v0.0.0-00010101000000-000000000000
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.32.0
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
)

// The k3s-multus SDK is generated locally by `pulumi package add ../../provider` (or `pulumi install`)
// into sdks/k3s-multus, not downloaded: this maps its module path (`<repository>/sdk/go`, from the
// schema's repository) to that directory. Then run `go mod tidy` once to fill go.sum.
replace github.com/k3s-multus/k3s-multus/sdk/go => ./sdks/k3s-multus

module k3s-multus-example-go

go 1.22

require (
	example.com/pulumi-k3s-multus/sdk/go/k3s-multus v0.0.0-00010101000000-000000000000
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.34.2
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
)

// The k3s-multus SDK is generated locally by `pulumi package add ../../provider` (or `pulumi install`),
// not downloaded: this maps its module path (the default for a source-based package without a Go
// importBasePath) to the generated directory. Then run `go mod tidy` once to fill go.sum.
replace example.com/pulumi-k3s-multus/sdk/go/k3s-multus => ./sdks/k3s-multus/k3smultus

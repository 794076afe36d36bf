// Command sdkgen-dotnet generates the k3s-multus .NET SDK from sdk/schema.json with Pulumi's .NET
// code generator.
//
// `pulumi package gen-sdk --language dotnet` runs it inside pulumi-language-dotnet, whose module
// (github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3) the Go module proxy does not serve
// here. The same generator lived in github.com/pulumi/pulumi/pkg/v3/codegen/dotnet until it moved
// to pulumi-dotnet in 2026 (frozen there first, then deleted): this program uses that copy, from
// the pkg/v3 version pinned in go.mod. It decides the same C# names (namespace, Args classes,
// Inputs/Outputs types, enums) the docs use; no .NET toolchain is needed to generate.
//
//	go run . -schema ../../sdk/schema.json -out /tmp/sdk/dotnet
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader refuses every referenced package: the k3s-multus schema references none.
type noLoader struct{}

var errNoDeps = errors.New("sdkgen-dotnet: the schema references another package; k3s-multus has none")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) { return nil, errNoDeps }
func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoDeps
}
func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoDeps
}
func (noLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoDeps
}

// offline answers the one request the generator makes, for the default package icon (a PNG on
// GitHub, when the schema has no logoUrl), with an empty body: generation needs no network, and
// logo.png comes out empty.
type offline struct{}

func (offline) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Body:       io.NopCloser(strings.NewReader("")),
		Header:     http.Header{},
		Request:    req,
	}, nil
}

func generate(schemaPath string) (map[string][]byte, error) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", schemaPath, diags.Error())
	}
	return dotnet.GeneratePackage("pulumi-language-dotnet", pkg, nil, nil)
}

func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	schemaPath := flag.String("schema", "sdk/schema.json", "the package schema")
	out := flag.String("out", "", "directory to write the SDK into (replaced)")
	flag.Parse()
	http.DefaultTransport = offline{}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: sdkgen-dotnet -schema FILE -out DIR")
		os.Exit(2)
	}
	files, err := generate(*schemaPath)
	if err == nil {
		err = write(*out, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("sdkgen-dotnet: dotnet SDK, %d files, in %s\n", len(files), *out)
}

// Command sdkgen generates a k3s-multus language SDK from sdk/schema.json with the Pulumi code
// generators of github.com/pulumi/pulumi/pkg/v3, at the version of the Pulumi CLI the project uses.
//
// `pulumi package gen-sdk` hands the schema to the language host of each language
// (pulumi-language-python, -go, -nodejs), which binds it and calls exactly these generators
// (pkg/v3/codegen/python, go, nodejs). Where those hosts cannot be installed (the Go module proxy
// does not serve their nested modules), scripts/gen-sdks.sh runs this program instead: same
// schema, same binding, same generator code. .NET's generator lives in pulumi-dotnet and is not
// here.
//
//	go run . -schema ../../sdk/schema.json -language python -out /tmp/sdk/python
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader refuses every referenced package: the k3s-multus schema references none (its
// "dependencies" list is empty), so a reference is a schema error worth failing on.
type noLoader struct{}

var errNoDeps = errors.New("sdkgen: the schema references another package; k3s-multus has no schema dependencies")

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

// generate binds the schema (validating it against the metaschema, as the language hosts do) and
// runs one language's generator, returning path -> contents.
func generate(schemaPath, language string) (map[string][]byte, error) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	loader := noLoader{}
	// The options of the CLI's own binding (pkg/v3/cmd/pulumi/packages.BindSpec).
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", schemaPath, diags.Error())
	}
	// The schema's meta.supportPack (true for k3s-multus) decides the layout, as for the CLI.
	switch language {
	case "python":
		return python.GeneratePackage("pulumi-language-python", pkg, nil, loader)
	case "go":
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	case "nodejs":
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, false, loader)
	default:
		return nil, fmt.Errorf("sdkgen: unknown language %q (python, go, nodejs)", language)
	}
}

// write replaces dir with the generated files, in a stable order.
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
	language := flag.String("language", "", "python, go or nodejs")
	out := flag.String("out", "", "directory to write the SDK into (replaced)")
	flag.Parse()
	if *language == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: sdkgen -schema FILE -language python|go|nodejs -out DIR")
		os.Exit(2)
	}
	files, err := generate(*schemaPath, *language)
	if err == nil {
		err = write(*out, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("sdkgen: %s SDK, %d files, in %s\n", *language, len(files), *out)
}

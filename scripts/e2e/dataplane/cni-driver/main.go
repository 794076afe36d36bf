// Command k3sm-cni-driver attaches a pod's network namespace the way containerd's CRI plugin does
// through go-cni (github.com/containerd/go-cni), so that the data-plane tests (tests/dataplane) run
// the CNI chain exactly as a K3s node would: the loopback network first (CRI's WithLoNetwork,
// ifname lo), then the first config file in conf_dir (sorted; .conf, .conflist, .json; a .conf is
// wrapped into a list as go-cni does), ifname eth0, CNI_PATH = bin_dir, the CNI_ARGS the CRI plugin
// passes (IgnoreUnknown, K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID)
// and the pod annotations as the io.kubernetes.cri.pod-annotations capability. DEL runs the
// networks in reverse. Errors are worded as containerd's CRI plugin reports them to the kubelet
// (libcni's own `plugin type=... failed (add): ...` inside).
//
// Usage: k3sm-cni-driver ADD|DEL|CHECK -bin-dir D -conf-dir D -netns PATH -id ID
//
//	-namespace NS -name NAME -uid UID [-annotations JSON] [-cache-dir D]
//
// ADD prints the eth0 network's CNI result as JSON on stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// errNotInitialized is go-cni's ErrCNINotInitialized text.
var errNotInitialized = errors.New("cni plugin not initialized")

// loConf is the loopback network the CRI plugin always adds (go-cni WithLoNetwork).
const loConf = `{"cniVersion": "0.3.1", "name": "cni-loopback", "plugins": [{"type": "loopback"}]}`

type network struct {
	list   *libcni.NetworkConfigList
	ifName string
}

// loadDefault is go-cni's loadFromConfDir(c, 1): the first config file of confDir, sorted.
func loadDefault(confDir string) (*libcni.NetworkConfigList, error) {
	files, err := libcni.ConfFiles(confDir, []string{".conf", ".conflist", ".json"})
	switch {
	case err != nil:
		return nil, err
	case len(files) == 0:
		return nil, fmt.Errorf("no network config found in %s: %w", confDir, errNotInitialized)
	}
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, ".conflist") {
			l, err := libcni.ConfListFromFile(f)
			if err != nil {
				return nil, fmt.Errorf("failed to load CNI config list file %s: %w", f, err)
			}
			return l, nil
		}
		c, err := libcni.ConfFromFile(f)
		if err != nil {
			return nil, fmt.Errorf("failed to load CNI config file %s: %w", f, err)
		}
		if c.Network.Type == "" {
			return nil, fmt.Errorf("network type not found in %s: %w", f, errNotInitialized)
		}
		l, err := libcni.ConfListFromConf(c)
		if err != nil {
			return nil, fmt.Errorf("failed to convert CNI config file %s to a CNI config list: %w", f, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("no valid networks found in %s: %w", confDir, errNotInitialized)
}

func run() error {
	if len(os.Args) < 2 {
		return errors.New("usage: k3sm-cni-driver ADD|DEL|CHECK [flags]")
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	binDir := fs.String("bin-dir", "", "containerd's CNI bin_dir")
	confDir := fs.String("conf-dir", "", "containerd's CNI conf_dir")
	netns := fs.String("netns", "", "the pod sandbox's network namespace path")
	id := fs.String("id", "", "the sandbox (infra container) id")
	ns := fs.String("namespace", "", "pod namespace")
	name := fs.String("name", "", "pod name")
	uid := fs.String("uid", "", "pod UID")
	annotations := fs.String("annotations", "{}", "pod annotations, a JSON object")
	cacheDir := fs.String("cache-dir", "/var/lib/cni", "libcni's cache dir (containerd's default)")
	if err := fs.Parse(os.Args[2:]); err != nil {
		return err
	}
	var ann map[string]string
	if err := json.Unmarshal([]byte(*annotations), &ann); err != nil {
		return fmt.Errorf("-annotations: %w", err)
	}
	lo, err := libcni.ConfListFromBytes([]byte(loConf))
	if err != nil {
		return err
	}
	def, err := loadDefault(*confDir)
	if err != nil {
		return fmt.Errorf("failed to load cni config: %w", err)
	}
	nets := []network{{lo, "lo"}, {def, "eth0"}}
	cni := libcni.NewCNIConfigWithCacheDir([]string{*binDir}, *cacheDir, nil)
	rt := func(ifName string) *libcni.RuntimeConf {
		return &libcni.RuntimeConf{
			ContainerID: *id,
			NetNS:       *netns,
			IfName:      ifName,
			Args: [][2]string{
				{"IgnoreUnknown", "1"},
				{"K8S_POD_NAMESPACE", *ns},
				{"K8S_POD_NAME", *name},
				{"K8S_POD_INFRA_CONTAINER_ID", *id},
				{"K8S_POD_UID", *uid},
			},
			CapabilityArgs: map[string]interface{}{
				"portMappings":                      []interface{}{},
				"io.kubernetes.cri.pod-annotations": ann,
			},
		}
	}
	ctx := context.Background()
	switch cmd {
	case "ADD":
		var last types.Result
		for _, n := range nets {
			r, err := cni.AddNetworkList(ctx, n.list, rt(n.ifName))
			if err != nil {
				return fmt.Errorf("failed to setup network for sandbox %q: %w", *id, err)
			}
			last = r
		}
		out, err := json.Marshal(last)
		if err != nil {
			return err
		}
		fmt.Println(string(out))
	case "CHECK":
		// Not the loopback network: its config (cniVersion 0.3.1, as go-cni writes it) has no CHECK.
		for _, n := range nets[1:] {
			if err := cni.CheckNetworkList(ctx, n.list, rt(n.ifName)); err != nil {
				return fmt.Errorf("failed to check network for sandbox %q: %w", *id, err)
			}
		}
	case "DEL":
		for i := len(nets) - 1; i >= 0; i-- {
			if err := cni.DelNetworkList(ctx, nets[i].list, rt(nets[i].ifName)); err != nil {
				return fmt.Errorf("failed to destroy network for sandbox %q: %w", *id, err)
			}
		}
	default:
		return fmt.Errorf("unknown command %q: ADD, DEL or CHECK", cmd)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

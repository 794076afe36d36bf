// Command k3sm-netns-forward makes the test's kube-apiserver (on the host's 127.0.0.1) reachable at
// 127.0.0.1:PORT inside a simulated node's network namespace, as the API server is on a K3s server
// node. It opens its listening socket inside that namespace (setns on one locked thread; a socket
// stays in the namespace it was made in) and dials the target from the host's namespace, so no
// traffic leaves loopback. It runs until killed.
//
// Usage: k3sm-netns-forward -netns /run/netns/NAME -listen 127.0.0.1:6443 -to 127.0.0.1:PORT
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// listenIn opens a TCP listener inside the network namespace at nsPath.
func listenIn(nsPath, addr string) (net.Listener, error) {
	runtime.LockOSThread()
	// The thread is left in the node's namespace and never unlocked: Go then ends it with this
	// goroutine, so no other goroutine runs in that namespace.
	target, err := os.Open(nsPath)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns %s: %w", nsPath, err)
	}
	return net.Listen("tcp", addr)
}

func main() {
	nsPath := flag.String("netns", "", "network namespace to listen in")
	listen := flag.String("listen", "127.0.0.1:6443", "address to listen on, in that namespace")
	to := flag.String("to", "", "address to forward to, in this process's namespace")
	flag.Parse()
	ch := make(chan any, 1)
	go func() {
		l, err := listenIn(*nsPath, *listen)
		if err != nil {
			ch <- err
			return
		}
		ch <- l
	}()
	var l net.Listener
	switch v := (<-ch).(type) {
	case error:
		fmt.Fprintln(os.Stderr, v)
		os.Exit(1)
	case net.Listener:
		l = v
	}
	fmt.Println("listening")
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", *to)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return
			}
			defer u.Close()
			go func() { _, _ = io.Copy(u, c) }()
			_, _ = io.Copy(c, u)
		}()
	}
}

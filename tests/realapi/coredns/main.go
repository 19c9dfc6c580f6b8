// tests/realapi/coredns/main.go - the real CoreDNS, with only the plugins a
// cluster's Corefile uses (kubeadm's default, plus log and autopath, and
// bind to keep the test on 127.0.0.1), for
// the differential test test_coredns_diff.sh. Nothing here is part of
// svcdns; build.sh builds it once and caches it beside kube-apiserver.
//
// CoreDNS documents this way of building a smaller binary in
// core/dnsserver: blank-import the plugins (each registers itself), set
// dnsserver.Directives to the subset in plugin.cfg's order (the order in
// which a query passes through them), then coremain.Run().
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/autopath"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// plugin.cfg's order (core/dnsserver/zdirectives.go of v1.14), restricted
// to the plugins imported above.
var directives = []string{
	"reload",
	"bind",
	"ready",
	"health",
	"prometheus",
	"errors",
	"log",
	"loadbalance",
	"autopath",
	"cache",
	"hosts",
	"kubernetes",
	"loop",
	"forward",
}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}

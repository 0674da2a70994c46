// CoreDNS for the real-node tier, with the plugins of k3s's Corefile only (errors, health,
// ready, kubernetes, hosts, prometheus, forward, cache, loop, reload, loadbalance, log):
// coredns.go of the module is this file with every plugin, whose cloud providers (AWS,
// Azure, Google, Datadog tracing, …) would treble the cold build for nothing the tier runs.
// The plugins' order is CoreDNS's own (core/dnsserver/zdirectives.go), as in its release.
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
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

func main() {
	coremain.Run()
}

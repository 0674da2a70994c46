// cert-manager's HTTP-01 solver (what its acmesolver image runs), from the solver
// package of the cert-manager module; cmd/acmesolver is a module the proxy does not serve.
package main

import (
	"flag"
	"os"

	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/issuer/acme/http/solver"
)

func main() {
	s := &solver.HTTP01Solver{}
	flag.IntVar(&s.ListenPort, "listen-port", 8089, "port to listen on")
	flag.StringVar(&s.Domain, "domain", "", "domain the challenge is for")
	flag.StringVar(&s.Token, "token", "", "challenge token")
	flag.StringVar(&s.Key, "key", "", "challenge key")
	flag.Parse()
	logf.InitLogs()
	if err := s.Listen(logf.Log); err != nil {
		logf.Log.Error(err, "solver stopped")
		os.Exit(1)
	}
}

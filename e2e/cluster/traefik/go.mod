module dangus.local/e2e/cluster/traefik

// Pins the Traefik that the real-node tier runs as its ingress controller (what k3s ships).
// build.sh builds it from a writable copy of this module version: Traefik's own go.mod has
// replace directives, which Go honours only in the main module, so `go build` of the
// module as a dependency is refused. Nothing here is imported.

go 1.26.0

require github.com/traefik/traefik/v3 v3.6.12

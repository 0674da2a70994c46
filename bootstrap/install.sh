#!/usr/bin/env bash
# Installs Dangus Cloud into the cluster kubectl points at, in one command:
#
#   bootstrap/install.sh --domain apps.example.com --image registry.example.com/dangus-api:0.1.0
#
# It checks the cluster first (one line per problem), generates every secret into
# Kubernetes Secrets (never printed, never written to a file), applies the overlay
# (bootstrap/base with the profiles' components), waits for the platform to be ready and
# prints the DNS records to create and the one-time setup URL. Run again, it upgrades:
# the secrets are kept, the objects applied again. --help lists the options.
set -euo pipefail

NS=dangus-system
MIN_MINOR=30
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECTL="${KUBECTL:-kubectl}"

usage() {
  cat <<'EOF'
Usage: bootstrap/install.sh [options]

Installs (or upgrades) Dangus Cloud into the cluster of the current kubectl context.

  --domain DOMAIN          base domain of the services (*.DOMAIN); default: {node-ip}.sslip.io
  --platform-host HOST     the platform's own host; default: dangus.DOMAIN
  --registry bundled|harbor
                           bundled (default): a registry in the cluster, the platform its
                           token server; harbor: your Harbor (HARBOR_* in dangus-secrets)
  --postgres bundled|external
                           bundled (default): a PostgreSQL StatefulSet with a nightly
                           pg_dump kept 7; external: --database-url
  --database-url URL       the PostgreSQL of --postgres external
  --migrate-postgres       allow switching the PostgreSQL profile of an existing install
                           (move the data yourself: bootstrap/README.md, "Backups")
  --image REF              the platform's image (api, controller, applier)
  --build-from-source      build the image in the cluster from this repository (not yet)
  --tls                    serve over https (needs a certificate for the hosts)
  --registries-yaml FILE   also write the k3s registries.yaml entry the nodes need to pull
                           from the bundled registry over http (printed either way) to
                           FILE, for the operator to copy to /etc/rancher/k3s/ on each node
  --timeout SECONDS        how long to wait for readiness (default 600)
  --no-wait                apply and print, without waiting for readiness
  --dry-run                run the checks and print what would be applied; change nothing
  --uninstall              remove the platform; keeps the data (PVCs, Secrets) unless
                           --delete-data is given too
  -h, --help               this text
EOF
}

die() { printf 'install.sh: %s\n' "$1" >&2; exit "${2:-1}"; }
step() { printf '==> %s\n' "$1"; }

registries_yaml="" domain="" platform_host="" registry=bundled postgres=bundled database_url="" image="" build=false
migrate=false tls=false timeout=600 wait=true dry_run=false uninstall=false delete_data=false
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --domain) domain="${2:-}"; shift ;;
    --platform-host) platform_host="${2:-}"; shift ;;
    --registry) registry="${2:-}"; shift ;;
    --postgres) postgres="${2:-}"; shift ;;
    --database-url) database_url="${2:-}"; shift ;;
    --migrate-postgres) migrate=true ;;
    --image) image="${2:-}"; shift ;;
    --build-from-source) build=true ;;
    --tls) tls=true ;;
    --registries-yaml) registries_yaml="${2:-}"; shift ;;
    --timeout) timeout="${2:-}"; shift ;;
    --no-wait) wait=false ;;
    --dry-run) dry_run=true ;;
    --uninstall) uninstall=true ;;
    --delete-data) delete_data=true ;;
    *) usage >&2; die "unknown option: $1" 2 ;;
  esac
  shift
done

hostname_re='^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
problems=()
[ -z "$domain" ] || [[ "$domain" =~ $hostname_re ]] || problems+=("--domain: \"$domain\" is not a host name (lowercase labels separated by dots, e.g. apps.example.com)")
[ -z "$platform_host" ] || [[ "$platform_host" =~ $hostname_re ]] || problems+=("--platform-host: \"$platform_host\" is not a host name")
case "$registry" in bundled|harbor) ;; *) problems+=("--registry: \"$registry\" is not bundled or harbor") ;; esac
case "$postgres" in bundled|external) ;; *) problems+=("--postgres: \"$postgres\" is not bundled or external") ;; esac
[ "$postgres" != external ] || [[ "$database_url" =~ ^postgres(ql)?:// ]] || problems+=("--database-url: --postgres external needs a postgres:// URL")
[ -z "$registries_yaml" ] || [ "$registry" = bundled ] || problems+=("--registries-yaml: only the bundled registry needs a registries.yaml entry")
[[ "$timeout" =~ ^[0-9]+$ ]] || problems+=("--timeout: \"$timeout\" is not a number of seconds")
if ! $uninstall && [ -z "$image" ]; then
  if $build; then
    problems+=("--build-from-source: building the platform's image in the cluster is not available yet: build api/Dockerfile, push it, and pass --image")
  else
    problems+=("--image: no published image of the platform exists yet: build api/Dockerfile, push it, and pass --image REF")
  fi
fi
if [ ${#problems[@]} -gt 0 ]; then printf '%s\n' "${problems[@]}" >&2; exit 2; fi

command -v "$KUBECTL" >/dev/null || die "kubectl is not installed (or KUBECTL does not name it)"

# ---- The cluster's checks: every problem, one line each, then stop. ----
step "Checking the cluster"
if ! version_json="$("$KUBECTL" version -o json 2>/dev/null)" || ! grep -q '"serverVersion"' <<<"$version_json"; then
  die "the Kubernetes API is unreachable with the current kubectl context ($("$KUBECTL" config current-context 2>/dev/null || echo none)): check KUBECONFIG"
fi
minor="$(sed -n 's/.*"serverVersion".*"minor": *"\([0-9]*\).*/\1/p' <<<"$(tr -d '\n' <<<"$version_json")")"
if $uninstall; then
  :
else
  if [ -n "$minor" ] && [ "$minor" -lt "$MIN_MINOR" ]; then
    problems+=("Kubernetes 1.$minor is too old: Dangus Cloud needs 1.$MIN_MINOR or later")
  fi
  if default_sc="$("$KUBECTL" get storageclass -o jsonpath='{range .items[?(@.metadata.annotations.storageclass\.kubernetes\.io/is-default-class=="true")]}{.metadata.name}{"\n"}{end}' 2>/dev/null)"; then
    [ -n "$default_sc" ] || problems+=("no default StorageClass: PostgreSQL, the registry and the state repo need volumes (k3s ships local-path; mark one with storageclass.kubernetes.io/is-default-class=true)")
  else
    problems+=("missing permission: cannot list StorageClasses (kubectl get storageclass)")
  fi
  if ingress_classes="$("$KUBECTL" get ingressclass -o jsonpath='{.items[*].metadata.name}' 2>/dev/null)"; then
    [ -n "$ingress_classes" ] || problems+=("no IngressClass: install an Ingress controller (k3s ships Traefik)")
  else
    problems+=("missing permission: cannot list IngressClasses (kubectl get ingressclass)")
  fi
  for check in "create namespaces" "create clusterroles" "create clusterrolebindings" "create secrets -n $NS" "create deployments -n $NS" "create statefulsets -n $NS" "create cronjobs -n $NS" "create networkpolicies -n $NS" "create ingresses -n $NS" "create persistentvolumeclaims -n $NS"; do
    # shellcheck disable=SC2086
    [ "$("$KUBECTL" auth can-i $check 2>/dev/null || true)" = yes ] || problems+=("missing permission: kubectl auth can-i $check says no")
  done
  if [ ${#problems[@]} -gt 0 ]; then printf '%s\n' "${problems[@]}" >&2; exit 1; fi
  printf '    Kubernetes 1.%s, default StorageClass %s, IngressClass %s\n' "$minor" "$(head -1 <<<"$default_sc")" "${ingress_classes%% *}"
fi

# ---- Uninstall: says what it keeps. ----
if $uninstall; then
  if $dry_run; then step "Would remove the platform's objects from $NS$($delete_data && echo ', its volumes and Secrets, and the namespace' || true)"; exit 0; fi
  step "Removing the platform"
  "$KUBECTL" -n "$NS" delete deployment,statefulset,cronjob,service,ingress,networkpolicy,configmap,serviceaccount,role,rolebinding -l app.kubernetes.io/part-of=dangus --ignore-not-found --wait=false >/dev/null
  "$KUBECTL" delete clusterrole,clusterrolebinding -l app.kubernetes.io/part-of=dangus --ignore-not-found >/dev/null
  if $delete_data; then
    "$KUBECTL" delete namespace "$NS" --ignore-not-found --wait=false >/dev/null
    echo "Removed, with the data (volumes, Secrets, the namespace)."
  else
    echo "Removed. Kept: the volumes (PostgreSQL, backups, the registry, the state repo) and the Secrets in $NS;"
    echo "run again with --delete-data to remove them too, or install again to use them."
  fi
  exit 0
fi

# ---- Defaults that need nothing outside the cluster. ----
if [ -z "$domain" ]; then
  node_ip="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="ExternalIP")].address}' 2>/dev/null || true)"
  [ -n "$node_ip" ] || node_ip="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}' 2>/dev/null || true)"
  [ -n "$node_ip" ] || die "--domain: the cluster's nodes have no address to build an sslip.io name from: pass --domain"
  domain="$(tr '.:' '--' <<<"$node_ip").sslip.io"
  echo "    No --domain: using $domain (sslip.io resolves it to $node_ip, no DNS record needed)"
else
  node_ip=""
fi
[ -n "$platform_host" ] || platform_host="dangus.$domain"
scheme=http; $tls && scheme=https
registry_host="registry.$domain"

# What k3s's containerd needs to pull from the bundled registry over plain http (the
# kubelet hands it the tenant's pull Secret; the registry's token server answers it): a
# mirror of the registry's host whose endpoint is http://. Not needed with --tls.
registries_entry() {
  printf 'mirrors:\n  "%s":\n    endpoint:\n      - "http://%s"\n' "$registry_host" "$registry_host"
}

# ---- Profiles of an existing install: the PostgreSQL one does not switch silently. ----
existing_profile="$("$KUBECTL" -n "$NS" get configmap dangus-install -o jsonpath='{.data.postgres}' 2>/dev/null || true)"
if [ -n "$existing_profile" ] && [ "$existing_profile" != "$postgres" ] && ! $migrate; then
  die "--postgres $postgres: this install runs the $existing_profile PostgreSQL; switching needs --migrate-postgres (move the data first: bootstrap/README.md, \"Backups\")"
fi

# ---- Secrets: generated once, kept on every re-run, never printed. ----
rand_b64() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }

# Every key the Secret holds is carried over as it is (HARBOR_*, GITHUB_* an operator
# added by hand included); only the missing generated ones are made.
declare -A secret
while IFS= read -r line; do
  # Split at the first "=" only: a base64 value ends in "=" padding.
  [ -n "$line" ] && secret[${line%%=*}]="${line#*=}"
done < <("$KUBECTL" -n "$NS" get secret dangus-secrets -o go-template='{{range $k, $v := .data}}{{$k}}={{$v}}{{"\n"}}{{end}}' 2>/dev/null || true)
for key in ENCRYPTION_KEY SESSION_SECRET POSTGRES_PASSWORD DATABASE_URL STATE_REPO_TOKEN APPLIER_TOKEN; do
  secret[$key]="${secret[$key]:-}"
done
created=()
[ -n "${secret[ENCRYPTION_KEY]}" ] || { secret[ENCRYPTION_KEY]="$(b64 "$(rand_b64 32)")"; created+=(ENCRYPTION_KEY); }
[ -n "${secret[SESSION_SECRET]}" ] || { secret[SESSION_SECRET]="$(b64 "$(rand_b64 48)")"; created+=(SESSION_SECRET); }
[ -n "${secret[STATE_REPO_TOKEN]}" ] || { secret[STATE_REPO_TOKEN]="$(b64 "$(rand_hex 32)")"; created+=(STATE_REPO_TOKEN); }
[ -n "${secret[APPLIER_TOKEN]}" ] || { secret[APPLIER_TOKEN]="$(b64 "$(rand_hex 32)")"; created+=(APPLIER_TOKEN); }
if [ "$postgres" = bundled ]; then
  [ -n "${secret[POSTGRES_PASSWORD]}" ] || { secret[POSTGRES_PASSWORD]="$(b64 "$(rand_hex 24)")"; created+=(POSTGRES_PASSWORD); }
  if [ -z "${secret[DATABASE_URL]}" ] || { [ "$existing_profile" = external ] && $migrate; }; then
    password="$(base64 -d <<<"${secret[POSTGRES_PASSWORD]}")"
    secret[DATABASE_URL]="$(b64 "postgres://dangus:$password@dangus-postgres.$NS.svc:5432/dangus")"
    unset password
    created+=(DATABASE_URL)
  fi
else
  wanted="$(b64 "$database_url")"
  if [ "${secret[DATABASE_URL]}" != "$wanted" ]; then secret[DATABASE_URL]="$wanted"; created+=(DATABASE_URL); fi
fi

# The one-time setup link: a new token each run; the api reads the Secret at request time
# (mounted), so the new link works at once and every older one is dead. Only its SHA-256
# reaches the cluster. A platform already set up gets no new link: the api says so.
setup_done=false
if ! $dry_run && "$KUBECTL" -n "$NS" get deployment dangus-api >/dev/null 2>&1; then
  probe='fetch("http://127.0.0.1:3000/auth/setup?token=probe").then((r)=>r.json()).then((b)=>console.log(b.state),()=>{})'
  [ "$("$KUBECTL" -n "$NS" exec deployment/dangus-api -c api -- node -e "$probe" 2>/dev/null || true)" != done ] || setup_done=true
fi
setup_token="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
setup_sha="$(printf '%s' "$setup_token" | sha256sum | cut -d' ' -f1)"
setup_expires="$(date -u -d '+24 hours' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v+24H +%Y-%m-%dT%H:%M:%SZ)"

secret_manifest() {
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: dangus-secrets\n  namespace: %s\n  labels:\n    app.kubernetes.io/part-of: dangus\ntype: Opaque\ndata:\n' "$NS"
  for key in "${!secret[@]}"; do [ -z "${secret[$key]}" ] || printf '  %s: %s\n' "$key" "${secret[$key]}"; done
  $setup_done && return 0
  printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: dangus-setup\n  namespace: %s\n  labels:\n    app.kubernetes.io/part-of: dangus\ntype: Opaque\ndata:\n' "$NS"
  printf '  SETUP_TOKEN_SHA256: %s\n  SETUP_TOKEN_EXPIRES_AT: %s\n' "$(b64 "$setup_sha")" "$(b64 "$setup_expires")"
}

# ---- The overlay: bootstrap/base with the profiles, in a directory removed on exit ----
# (inside bootstrap/: kustomize takes relative paths only). It holds no secret.
work="$(mktemp -d "$ROOT/bootstrap/.install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
components=(../components/settings)
[ "$postgres" = bundled ] && components+=(../components/postgres-backup)
[ "$postgres" = external ] && components+=(../components/external-database)
[ "$registry" = bundled ] && components+=(../components/bundled-registry)
components+=(../components/first-run-setup)
{
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\nlabels:\n  - pairs:\n      app.kubernetes.io/part-of: dangus\n    includeSelectors: false\nresources:\n  - %s\n  - settings.yaml\ncomponents:\n' "$NS" ../base
  for c in "${components[@]}"; do printf '  - %s\n' "$c"; done
  printf 'images:\n  - name: dangus-api\n    newName: %s\n    newTag: "%s"\n' "${image%:*}" "$( [[ "${image##*/}" == *:* ]] && echo "${image##*:}" || echo latest)"
  printf 'configMapGenerator:\n  - name: dangus-config\n    behavior: merge\n    literals:\n'
  printf '      - BASE_DOMAIN=%s\n      - INGRESS_TLS=%s\n      - INGRESS_CLASS=%s\n' "$domain" "$tls" "${ingress_classes%% *}"
  if [ "$registry" = bundled ]; then
    printf '      - REGISTRY_MODE=bundled\n      - REGISTRY_HOST=%s\n      - REGISTRY_URL=http://dangus-registry.%s.svc:5000\n      - REGISTRY_TOKEN_REALM=%s://%s/registry/token\n' "$registry_host" "$NS" "$scheme" "$platform_host"
  fi
  [ -z "$node_ip" ] || printf '      - DNS_TARGET=%s\n' "$node_ip"
  printf '  - name: dangus-install\n    options:\n      disableNameSuffixHash: true\n    literals:\n      - postgres=%s\n      - registry=%s\n      - domain=%s\n' "$postgres" "$registry" "$domain"
  # Every Ingress of the platform in the cluster's IngressClass (k3s: traefik).
  printf 'patches:\n  - target:\n      kind: Ingress\n    patch: |-\n      - op: add\n        path: /spec/ingressClassName\n        value: %s\n' "${ingress_classes%% *}"
  if [ "$registry" = bundled ]; then
    printf '  - target:\n      kind: Ingress\n      name: dangus-registry\n    patch: |-\n      - op: replace\n        path: /spec/rules/0/host\n        value: %s\n' "$registry_host"
  fi
} >"$work/kustomization.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dangus-settings\n  annotations:\n    config.kubernetes.io/local-config: "true"\ndata:\n  platformHost: %s\n' "$platform_host" >"$work/settings.yaml"

"$KUBECTL" kustomize "$work" >"$work/rendered.yaml" || die "the overlay does not render (kubectl kustomize): see above"
# PUBLIC_URL's scheme follows --tls (the settings component writes the host only).
$tls || sed -i "s#PUBLIC_URL: https://#PUBLIC_URL: http://#" "$work/rendered.yaml"

if $dry_run; then
  step "Dry run: nothing is changed. Would apply:"
  awk '/^kind:/{k=$2} /^  name:/{if(k!=""){print "    " k "/" $2; k=""}}' "$work/rendered.yaml"
  if [ ${#created[@]} -gt 0 ]; then
    echo "    Secret/dangus-secrets (generating: ${created[*]})"
  else
    echo "    Secret/dangus-secrets (kept as it is)"
  fi
  echo "    Secret/dangus-setup (a new one-time setup link, unless the platform is set up)"
  exit 0
fi

step "Applying Secrets (generated: ${created[*]:-none, kept as they were})"
"$KUBECTL" create namespace "$NS" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
secret_manifest | "$KUBECTL" apply -f - >/dev/null
step "Applying the platform ($(grep -c '^kind:' "$work/rendered.yaml") objects)"
"$KUBECTL" apply -f "$work/rendered.yaml" >/dev/null

if $wait; then
  step "Waiting for readiness (up to ${timeout}s)"
  deadline=$(( $(date +%s) + timeout ))
  workloads=()
  [ "$postgres" = bundled ] && workloads+=(statefulset/dangus-postgres)
  workloads+=(deployment/dangus-api deployment/dangus-controller deployment/dangus-applier)
  [ "$registry" = bundled ] && workloads+=(deployment/dangus-registry)
  for w in "${workloads[@]}"; do
    left=$(( deadline - $(date +%s) )); [ "$left" -gt 0 ] || left=1
    printf '    %-32s ' "$w"
    if "$KUBECTL" -n "$NS" rollout status "$w" --timeout="${left}s" >/dev/null 2>&1; then echo ready; else
      echo "not ready"
      die "$w is not ready after ${timeout}s: kubectl -n $NS describe $w; kubectl -n $NS logs $w"
    fi
  done
  # The kubelet refreshes a mounted Secret on its next sync of the pod (up to a minute or
  # so): a change of the pods' annotation syncs them now. Wait until the api reads the
  # new hash, so the printed link works when it is printed.
  if ! $setup_done; then
    "$KUBECTL" -n "$NS" annotate pod -l app.kubernetes.io/name=dangus-api --overwrite "dangus.dev/setup-link=${setup_sha:0:16}" >/dev/null 2>&1 || true
    printf '    %-32s ' "the new setup link"
    until [ "$("$KUBECTL" -n "$NS" exec deployment/dangus-api -c api -- cat /etc/dangus-setup/SETUP_TOKEN_SHA256 2>/dev/null || true)" = "$setup_sha" ]; do
      [ "$(date +%s)" -lt "$deadline" ] || { echo "not read yet"; break; }
      sleep 2
    done
    [ "$(date +%s)" -ge "$deadline" ] || echo ready
  fi
fi

registries_note=""
if [ "$registry" = bundled ] && ! $tls; then
  if [ -n "$registries_yaml" ]; then
    registries_entry >"$registries_yaml"
    where="written to $registries_yaml: copy it to"
  else
    where="add to"
  fi
  registries_note="
The nodes pull images from the bundled registry over http: on every k3s node, $where
/etc/rancher/k3s/registries.yaml (merging with what it holds) and restart k3s
(systemctl restart k3s; k3s-agent on agents):
$(registries_entry | sed 's/^/  /')
"
fi

if $setup_done; then
  cat <<EOF
$registries_note

Dangus Cloud is upgraded. It is set up already: sign in at $scheme://$platform_host
(no new setup link: bootstrap/install.sh prints one only until the setup is done).
EOF
  exit 0
fi

cat <<EOF

Dangus Cloud is installed.

Create these DNS records (skip them with an sslip.io domain):
  *.$domain    A    <your ingress's public address>   (every service's address)
  $platform_host    A    <your ingress's public address>   (the platform)$( [ "$registry" = bundled ] && printf '\n  (%s is covered by the wildcard: the bundled registry)' "$registry_host")

$registries_note
Then open, within 24 hours (the link works once):
  $scheme://$platform_host/setup?token=$setup_token
EOF

#!/usr/bin/env bash
# The Gateway API path on kind: runs cloud-provider-kind (which serves Gateway API and Ingress
# for kind clusters, each Gateway as an Envoy container on the kind Docker network), creates the
# Gateway "rate" from k8s/gateway.yaml and prints its address. Needs Go (to build the pinned
# release), Docker and kubectl pointing at the kind cluster. Run with sudo where Docker needs it.
set -euo pipefail
VERSION="${CLOUD_PROVIDER_KIND_VERSION:-v0.11.1}"
NAMESPACE="${NAMESPACE:-default}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$(go env GOPATH)/bin/cloud-provider-kind"

go install "sigs.k8s.io/cloud-provider-kind@${VERSION}" # cached after the first build
if ! pgrep -x cloud-provider-kind >/dev/null; then
  nohup "$BIN" >"${TMPDIR:-/tmp}/cloud-provider-kind.log" 2>&1 &
  echo "cloud-provider-kind ${VERSION} started (pid $!, log ${TMPDIR:-/tmp}/cloud-provider-kind.log)"
fi
# A one-node kind cluster runs its workloads on the control plane, which load balancers skip by default.
kubectl label nodes --all node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null 2>&1 || true

# cloud-provider-kind installs the Gateway API CRDs and its GatewayClass itself.
for _ in $(seq 1 60); do
  kubectl get gatewayclass cloud-provider-kind >/dev/null 2>&1 && break
  sleep 2
done
kubectl -n "$NAMESPACE" apply -f "$HERE/gateway.yaml"
kubectl -n "$NAMESPACE" wait --for=condition=Programmed gateway/rate --timeout=180s
ADDRESS="$(kubectl -n "$NAMESPACE" get gateway rate -o jsonpath='{.status.addresses[0].value}')"
echo "Gateway rate programmed at http://${ADDRESS}"

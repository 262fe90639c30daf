#!/usr/bin/env bash
# Installs ingress-nginx into the current kubectl context (a kind cluster made from
# k8s/kind-config.yaml) from its pinned kind manifest, and waits until the controller is ready.
#
# ingress-nginx is retired upstream (announced November 2025; no release after March 2026):
# controller-v1.15.1 is its last release, pinned here for users who keep it. The way forward is
# the Gateway API: k8s/install-cloud-provider-kind.sh serves both Ingress and Gateway API on kind,
# and the chart renders an HTTPRoute (see k8s/README.md).
set -euo pipefail
VERSION="${INGRESS_NGINX_VERSION:-controller-v1.15.1}"
kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/${VERSION}/deploy/static/provider/kind/deploy.yaml"
kubectl -n ingress-nginx wait --for=condition=ready pod --selector=app.kubernetes.io/component=controller --timeout=180s
echo "ingress-nginx ${VERSION} ready"

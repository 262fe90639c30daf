#!/usr/bin/env bash
# Installs ingress-nginx into the current kubectl context (a kind cluster made from
# k8s/kind-config.yaml) from its pinned kind manifest, and waits until the controller is ready.
# ingress-nginx is retired upstream; charts/rate also renders a Gateway API HTTPRoute
# (--set ingress.enabled=false,gateway.enabled=true,gateway.parentRefs[0].name=<gateway>).
set -euo pipefail
VERSION="${INGRESS_NGINX_VERSION:-controller-v1.12.1}"
kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/${VERSION}/deploy/static/provider/kind/deploy.yaml"
kubectl -n ingress-nginx wait --for=condition=ready pod --selector=app.kubernetes.io/component=controller --timeout=180s
echo "ingress-nginx ${VERSION} ready"

//go:build tools

// Package tools pins the Kubernetes node commands (kubelet, kube-proxy) that
// scripts/cluster/build-node-tools.sh builds for `cluster:up -- --real`, in a wrapper module made
// from the control plane's (same k8s.io/kubernetes version, same staging-module replaces).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
)

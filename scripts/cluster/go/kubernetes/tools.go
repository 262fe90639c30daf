//go:build tools

// Package tools pins the Kubernetes control-plane commands this wrapper module builds. The
// k8s.io/kubernetes module cannot be built with `go install module@version` (its go.mod replaces
// the staging modules with ./staging paths), but it can be required from another module whose own
// replace lines point those staging modules at their published versions. This file only keeps
// `go mod tidy` from dropping the requirement; scripts/cluster/build-tools.sh builds each command.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

// Command etcd is the etcd server, built from the go.etcd.io/etcd/server/v3 module at the version
// scripts/versions.env pins. `go install` of that module is refused (its go.mod has replace
// directives), so this wrapper calls the server's own entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

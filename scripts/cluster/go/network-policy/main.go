// Command network-policy enforces NetworkPolicy on the real node of the offline cluster
// (cluster:up -- --real) with kube-router's network-policy controller: iptables chains and ipsets
// on the CNI bridge, the dataplane the node already uses for kube-proxy. Only that controller
// package is linked; kube-router's service proxy and BGP routing are not compiled in (the
// advisories against the served kube-router version concern the proxy).
//
// It serves /healthz while full syncs keep starting. Its chains (KUBE-*) and ipsets (KUBE-*) are
// removed by cluster:down with the rest of the node's rules, after the API server has stopped.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudnativelabs/kube-router/v2/pkg/controllers/netpol"
	"github.com/cloudnativelabs/kube-router/v2/pkg/healthcheck"
	"github.com/cloudnativelabs/kube-router/v2/pkg/options"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

type flags struct {
	server, caFile, tokenFile, nodeName string
	serviceRange, nodePortRange         string
	healthAddr                          string
	syncPeriod                          time.Duration
}

func parseFlags() flags {
	var f flags
	flag.StringVar(&f.server, "server", "", "API server URL")
	flag.StringVar(&f.caFile, "ca-file", "", "CA certificate of the API server")
	flag.StringVar(&f.tokenFile, "token-file", "", "bearer token of the controller's ServiceAccount")
	flag.StringVar(&f.nodeName, "node-name", "", "name of this node's Node object")
	flag.StringVar(&f.serviceRange, "service-cluster-ip-range", "", "the cluster's Service CIDR")
	flag.StringVar(&f.nodePortRange, "node-port-range", "30000-32767", "the cluster's NodePort range")
	flag.StringVar(&f.healthAddr, "health-addr", "127.0.0.1:0", "address of /healthz")
	flag.DurationVar(&f.syncPeriod, "sync-period", 30*time.Second, "full resync period (changes sync at once)")
	klog.InitFlags(nil)
	flag.Parse()
	for name, value := range map[string]string{"server": f.server, "ca-file": f.caFile, "token-file": f.tokenFile,
		"node-name": f.nodeName, "service-cluster-ip-range": f.serviceRange} {
		if value == "" {
			fmt.Fprintf(os.Stderr, "network-policy: --%s is required\n", name)
			os.Exit(2)
		}
	}
	return f
}

func main() {
	f := parseFlags()
	client, err := kubernetes.NewForConfig(&rest.Config{
		Host:            f.server,
		BearerTokenFile: f.tokenFile,
		TLSClientConfig: rest.TLSClientConfig{CAFile: f.caFile},
	})
	if err != nil {
		klog.Fatalf("API client: %v", err)
	}

	config := options.NewKubeRouterConfig()
	config.ClusterIPCIDRs = []string{f.serviceRange}
	config.NodePortRange = f.nodePortRange
	config.HostnameOverride = f.nodeName
	config.EnableIPv4 = true
	config.RunFirewall = true
	config.IPTablesSyncPeriod = f.syncPeriod

	factory := informers.NewSharedInformerFactory(client, 0)
	pods := factory.Core().V1().Pods().Informer()
	namespaces := factory.Core().V1().Namespaces().Informer()
	policies := factory.Networking().V1().NetworkPolicies().Informer()

	iptables, ipsets, err := netpol.NewIPTablesHandlers(config)
	if err != nil {
		klog.Fatalf("iptables/ipset: %v", err)
	}
	controller, err := netpol.NewNetworkPolicyController(client, config, pods, policies, namespaces, &sync.Mutex{}, iptables, ipsets)
	if err != nil {
		klog.Fatalf("network-policy controller: %v", err)
	}
	mustAdd := func(err error) {
		if err != nil {
			klog.Fatalf("event handler: %v", err)
		}
	}
	_, err = pods.AddEventHandler(controller.PodEventHandler)
	mustAdd(err)
	_, err = namespaces.AddEventHandler(controller.NamespaceEventHandler)
	mustAdd(err)
	_, err = policies.AddEventHandler(controller.NetworkPolicyEventHandler)
	mustAdd(err)

	stop := make(chan struct{})
	factory.Start(stop)
	for informer, synced := range factory.WaitForCacheSync(stop) {
		if !synced {
			klog.Fatalf("cache of %v did not sync", informer)
		}
	}

	// The controller blocks on its heartbeat channel: it is drained here, and the last beat is health.
	beats := make(chan *healthcheck.ControllerHeartbeat)
	var lastBeat atomic.Int64
	go func() {
		for beat := range beats {
			lastBeat.Store(beat.LastHeartBeat.UnixNano())
		}
	}()
	go serveHealth(f.healthAddr, &lastBeat, 3*f.syncPeriod)

	var wg sync.WaitGroup
	wg.Add(1)
	go controller.Run(beats, stop, &wg)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	close(stop)
	wg.Wait()
}

// serveHealth answers 200 while full syncs keep starting (one at least every `within`).
func serveHealth(addr string, lastBeat *atomic.Int64, within time.Duration) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		last := lastBeat.Load()
		if last == 0 || time.Since(time.Unix(0, last)) > within {
			http.Error(w, "no full sync yet or sync stalled", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	server := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	klog.Fatal(server.ListenAndServe())
}

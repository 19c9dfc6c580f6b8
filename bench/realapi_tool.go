// realapi_tool.go - the helper of bench/realapi.sh: loads a generated
// cluster into a real kube-apiserver with many concurrent requests, waits
// for a DNS answer, samples a process's RSS, and times event -> answer.
// Go standard library only (built by realapi.sh with `go build` into its
// temp dir; no module, no dependencies). Talks to 127.0.0.1 only.
//
//	realapi_tool load    -url U -token T -ca F -dir CLUSTER [-c 48] [-etcd URL]
//
// With -etcd, the Services but the last (and their IPAddress objects) are
// written straight into etcd in kube-apiserver's storage layout (JSON,
// which the apiserver's storage decoder reads as well as protobuf):
// kube-apiserver v1.37.2 counts every IPAddress object twice on each
// ClusterIP allocation (ipallocator.go, Used() and Free() for metrics), so
// creating N Services through the API costs O(N^2) and 100k takes hours.
// Namespaces, EndpointSlices and the last Service go through the API.
//	realapi_tool waitdns -port P -name N (-ip A | -count K) [-timeout 300s]
//	realapi_tool rss     -pid PID -out FILE [-interval 50ms] [-max 30m]
//	realapi_tool latency -url U -token T -ca F (-port P | -ports P1,P2 -labels L1,L2) -ns NS [-n 100]
package main

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func die(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "realapi_tool: "+f+"\n", a...)
	os.Exit(1)
}

type api struct {
	url, token string
	c          *http.Client
}

func newAPI(url, token, ca string, conns int) *api {
	pem, err := os.ReadFile(ca)
	if err != nil {
		die("%v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	// HTTP/1.1, one connection per worker: the apiserver serves each
	// connection's requests on their own goroutines either way.
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	return &api{url: url, token: token, c: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// post returns the HTTP status and body; retries 429/5xx and network
// errors up to 20 times.
func (a *api) post(path string, body []byte) (int, []byte) {
	var lastErr error
	for try := 0; try < 20; try++ {
		req, _ := http.NewRequest("POST", a.url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.c.Do(req)
		if err != nil {
			lastErr = err
			time.Sleep(200 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 429 || resp.StatusCode >= 500 {
			lastErr = fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
			time.Sleep(time.Duration(100*(try+1)) * time.Millisecond)
			continue
		}
		return resp.StatusCode, b
	}
	die("POST %s: %v", path, lastErr)
	return 0, nil
}

func readItems(file string) []map[string]any {
	f, err := os.ReadFile(file)
	if err != nil {
		die("%v", err)
	}
	var l struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(f, &l); err != nil {
		die("%s: %v", file, err)
	}
	return l.Items
}

// clean drops what a create must not (resourceVersion) or need not carry.
func clean(o map[string]any, apiVersion, kind string) {
	o["apiVersion"] = apiVersion
	o["kind"] = kind
	md := o["metadata"].(map[string]any)
	delete(md, "resourceVersion")
	delete(md, "uid")
	delete(md, "creationTimestamp")
	delete(o, "status")
}

type job struct {
	path string
	body []byte
}

func runJobs(a *api, jobs []job, conns int, what string) {
	t0 := time.Now()
	ch := make(chan job)
	var wg sync.WaitGroup
	var n, exist int64
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				code, b := a.post(j.path, j.body)
				switch {
				case code == 409:
					atomic.AddInt64(&exist, 1)
				case code/100 != 2:
					die("POST %s: HTTP %d: %s", j.path, code, b)
				}
				atomic.AddInt64(&n, 1)
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	d := time.Since(t0).Seconds()
	fmt.Printf("loaded %d %s in %.1f s (%.0f/s, %d already there)\n", n, what, d, float64(n)/d, exist)
}

func cmdLoad(args []string) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	url := fs.String("url", "", "apiserver URL")
	token := fs.String("token", "", "bearer token")
	ca := fs.String("ca", "", "CA file")
	dir := fs.String("dir", "", "gen_cluster.py output dir")
	conns := fs.Int("c", 48, "concurrent requests")
	etcd := fs.String("etcd", "", "etcd client URL: write Services there")
	fs.Parse(args)
	a := newAPI(*url, *token, *ca, *conns)
	t0 := time.Now()
	svcs := readItems(filepath.Join(*dir, "services.json"))
	slices := readItems(filepath.Join(*dir, "endpointslices.json"))
	nsSeen := map[string]bool{}
	var nsJobs, svcJobs, sliceJobs []job
	var svcObjs []map[string]any
	for _, o := range svcs {
		if *etcd != "" {
			svcObjs = append(svcObjs, copyObj(o))
		}
		clean(o, "v1", "Service")
		ns := o["metadata"].(map[string]any)["namespace"].(string)
		if !nsSeen[ns] {
			nsSeen[ns] = true
			b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Namespace",
				"metadata": map[string]any{"name": ns}})
			nsJobs = append(nsJobs, job{"/api/v1/namespaces", b})
		}
		b, _ := json.Marshal(o)
		svcJobs = append(svcJobs, job{"/api/v1/namespaces/" + ns + "/services", b})
	}
	for _, o := range slices {
		clean(o, "discovery.k8s.io/v1", "EndpointSlice")
		ns := o["metadata"].(map[string]any)["namespace"].(string)
		b, _ := json.Marshal(o)
		sliceJobs = append(sliceJobs, job{"/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices", b})
	}
	svcs, slices = nil, nil
	fmt.Printf("read %d services, %d slices, %d namespaces in %.1f s\n",
		len(svcJobs), len(sliceJobs), len(nsJobs), time.Since(t0).Seconds())
	runJobs(a, nsJobs, *conns, "namespaces")
	// Slices first, then services: the last object created is the last
	// Service, which realapi.sh asks for.
	runJobs(a, sliceJobs, *conns, "endpointslices")
	last := svcJobs[len(svcJobs)-1]
	if *etcd != "" {
		etcdServices(*etcd, svcObjs[:len(svcObjs)-1], *conns)
	} else {
		runJobs(a, svcJobs[:len(svcJobs)-1], *conns, "services")
	}
	runJobs(a, []job{last}, 1, "services (the last one)")
	fmt.Printf("total %.1f s\n", time.Since(t0).Seconds())
}

func copyObj(o map[string]any) map[string]any {
	b, _ := json.Marshal(o)
	var c map[string]any
	json.Unmarshal(b, &c)
	return c
}

func b64(s []byte) string { return base64.StdEncoding.EncodeToString(s) }

// etcdServices puts each Service (as the apiserver would store it: no
// resourceVersion, uid and creationTimestamp set) and its ClusterIP's
// IPAddress object into etcd through its JSON gateway.
func etcdServices(url string, objs []map[string]any, conns int) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}, Timeout: 30 * time.Second}
	put := func(key string, val []byte) {
		body, _ := json.Marshal(map[string]string{"key": b64([]byte(key)), "value": b64(val)})
		for try := 0; try < 10; try++ {
			resp, err := c.Post(url+"/v3/kv/put", "application/json", bytes.NewReader(body))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			if try == 9 {
				die("etcd put %s: %v", key, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t0 := time.Now()
	ch := make(chan map[string]any)
	var wg sync.WaitGroup
	var nip int64
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				o["apiVersion"] = "v1"
				o["kind"] = "Service"
				md := o["metadata"].(map[string]any)
				delete(md, "resourceVersion")
				ns, name := md["namespace"].(string), md["name"].(string)
				spec := o["spec"].(map[string]any)
				if ip, _ := spec["clusterIP"].(string); ip != "" && ip != "None" {
					ipo, _ := json.Marshal(map[string]any{
						"apiVersion": "networking.k8s.io/v1", "kind": "IPAddress",
						"metadata": map[string]any{"name": ip,
							"uid":               fmt.Sprintf("%s-ip", md["uid"]),
							"creationTimestamp": md["creationTimestamp"],
							"labels": map[string]string{
								"ipaddress.kubernetes.io/ip-family":  "IPv4",
								"ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io"}},
						"spec": map[string]any{"parentRef": map[string]string{
							"group": "", "resource": "services", "namespace": ns, "name": name}}})
					put("/registry/ipaddresses/"+ip, ipo)
					atomic.AddInt64(&nip, 1)
				}
				b, _ := json.Marshal(o)
				put("/registry/services/specs/"+ns+"/"+name, b)
			}
		}()
	}
	for _, o := range objs {
		ch <- o
	}
	close(ch)
	wg.Wait()
	d := time.Since(t0).Seconds()
	fmt.Printf("wrote %d services and %d IPAddresses straight into etcd in %.1f s (%.0f services/s)\n",
		len(objs), nip, d, float64(len(objs))/d)
}

// ---- DNS -------------------------------------------------------------------

func dnsQuery(name string, id uint16) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, [6]uint16{id, 0, 1, 0, 0, 0})
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b.WriteByte(byte(len(l)))
		b.WriteString(l)
	}
	b.WriteByte(0)
	binary.Write(&b, binary.BigEndian, [2]uint16{1, 1}) // A IN
	return b.Bytes()
}

// skipName returns the offset after a (possibly compressed) name.
func skipName(m []byte, off int) int {
	for off < len(m) {
		l := int(m[off])
		if l == 0 {
			return off + 1
		}
		if l&0xc0 == 0xc0 {
			return off + 2
		}
		off += 1 + l
	}
	return len(m)
}

// answerA: rcode, and the A addresses in the answer section.
func answerA(m []byte) (int, []string) {
	if len(m) < 12 {
		return -1, nil
	}
	rcode := int(m[3] & 15)
	an := int(binary.BigEndian.Uint16(m[6:]))
	off := skipName(m, 12) + 4
	var ips []string
	for i := 0; i < an && off+10 <= len(m); i++ {
		off = skipName(m, off)
		if off+10 > len(m) {
			break
		}
		t := binary.BigEndian.Uint16(m[off:])
		rdl := int(binary.BigEndian.Uint16(m[off+8:]))
		off += 10
		if off+rdl > len(m) {
			break
		}
		if t == 1 && rdl == 4 {
			ips = append(ips, net.IP(m[off:off+4]).String())
		}
		off += rdl
	}
	return rcode, ips
}

type prober struct {
	conn net.Conn
	id   uint16
	buf  []byte
}

func newProber(port int) *prober {
	c, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		die("%v", err)
	}
	return &prober{conn: c, buf: make([]byte, 4096)}
}

// ask sends one A query and waits up to 200 ms for its reply.
func (p *prober) ask(name string) (int, []string) {
	p.id++
	p.conn.Write(dnsQuery(name, p.id))
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		p.conn.SetReadDeadline(deadline)
		n, err := p.conn.Read(p.buf)
		if err != nil {
			return -1, nil
		}
		if n >= 12 && binary.BigEndian.Uint16(p.buf) == p.id {
			return answerA(p.buf[:n])
		}
	}
}

func right(rcode int, ips []string, ip string, count int) bool {
	if rcode != 0 {
		return false
	}
	if ip != "" {
		return len(ips) == 1 && ips[0] == ip
	}
	return len(ips) == count
}

func cmdWaitDNS(args []string) {
	fs := flag.NewFlagSet("waitdns", flag.ExitOnError)
	port := fs.Int("port", 0, "DNS port on 127.0.0.1")
	name := fs.String("name", "", "name to ask (A)")
	ip := fs.String("ip", "", "the right answer: this one address")
	count := fs.Int("count", 0, "the right answer: this many addresses")
	timeout := fs.Duration("timeout", 300*time.Second, "give up after")
	fs.Parse(args)
	p := newProber(*port)
	end := time.Now().Add(*timeout)
	for time.Now().Before(end) {
		rc, ips := p.ask(*name)
		if right(rc, ips, *ip, *count) {
			fmt.Println(time.Now().UnixMilli())
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	die("%s: no right answer within %v", *name, *timeout)
}

// ---- RSS -------------------------------------------------------------------

func statusKB(pid int) (rss, hwm int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm, true
}

// rss writes "epoch_ms rss_kB hwm_kB" every interval until the process
// exits, the file STOP (-out with .stop) appears, or -max passes.
func cmdRSS(args []string) {
	fs := flag.NewFlagSet("rss", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process")
	out := fs.String("out", "", "file")
	iv := fs.Duration("interval", 50*time.Millisecond, "sampling interval")
	max := fs.Duration("max", 30*time.Minute, "stop after")
	fs.Parse(args)
	f, err := os.Create(*out)
	if err != nil {
		die("%v", err)
	}
	defer f.Close()
	end := time.Now().Add(*max)
	for time.Now().Before(end) {
		rss, hwm, ok := statusKB(*pid)
		if !ok {
			return
		}
		fmt.Fprintf(f, "%d %d %d\n", time.Now().UnixMilli(), rss, hwm)
		if _, err := os.Stat(*out + ".stop"); err == nil {
			return
		}
		time.Sleep(*iv)
	}
}

// ---- event -> answer ----------------------------------------------------------

func pct(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(p*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// latency creates N Services one at a time and times, for each, how long
// after the create each DNS server answers the new name with its address:
// -port for one server, or -ports P1,P2 (with -labels) to poll several at
// once (one goroutine each, the same event for all).
func cmdLatency(args []string) {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	url := fs.String("url", "", "apiserver URL")
	token := fs.String("token", "", "bearer token")
	ca := fs.String("ca", "", "CA file")
	port := fs.Int("port", 0, "svcdns DNS port")
	portList := fs.String("ports", "", "DNS ports to poll at once (comma-separated), instead of -port")
	labelList := fs.String("labels", "", "their names (comma-separated)")
	ns := fs.String("ns", "", "namespace (exists)")
	n := fs.Int("n", 100, "services to create")
	base := fs.String("base", "10.111.0.", "cluster IPs base (.10 +i)")
	fs.Parse(args)
	a := newAPI(*url, *token, *ca, 1)
	var ports []int
	var labels []string
	if *portList == "" {
		ports = []int{*port}
	} else {
		for _, f := range strings.Split(*portList, ",") {
			p, err := strconv.Atoi(f)
			if err != nil {
				die("-ports: %v", err)
			}
			ports = append(ports, p)
		}
		labels = strings.Split(*labelList, ",")
		if len(labels) != len(ports) {
			die("-labels: one per port")
		}
	}
	probers := make([]*prober, len(ports))
	for k, p := range ports {
		probers[k] = newProber(p)
	}
	fromSend := make([][]float64, len(ports))
	fromResp := make([][]float64, len(ports))
	missed := make([]int, len(ports))
	var create []float64
	for i := 0; i < *n; i++ {
		name := fmt.Sprintf("lat-%03d", i)
		ip := fmt.Sprintf("%s%d", *base, 10+i)
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Service","metadata":{"name":%q},
"spec":{"clusterIP":%q,"clusterIPs":[%q],"selector":{"app":%q},
"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}`, name, ip, ip, name)
		fq := name + "." + *ns + ".svc.cluster.local"
		t0 := time.Now()
		code, b := a.post("/api/v1/namespaces/"+*ns+"/services", []byte(body))
		t1 := time.Now()
		if code/100 != 2 {
			die("create %s: HTTP %d: %s", name, code, b)
		}
		create = append(create, float64(t1.Sub(t0).Microseconds())/1000)
		var wg sync.WaitGroup
		for k := range ports {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				for j := 0; j < 20000; j++ { // ~10 s at most
					rc, ips := probers[k].ask(fq)
					if right(rc, ips, ip, 0) {
						t2 := time.Now()
						fromSend[k] = append(fromSend[k], float64(t2.Sub(t0).Microseconds())/1000)
						fromResp[k] = append(fromResp[k], float64(t2.Sub(t1).Microseconds())/1000)
						return
					}
					time.Sleep(500 * time.Microsecond)
				}
				missed[k]++
			}(k)
		}
		wg.Wait()
		time.Sleep(20 * time.Millisecond)
	}
	for k := range ports {
		if len(fromSend[k]) == 0 {
			die("no service answered on port %d", ports[k])
		}
		label := ""
		if labels != nil {
			label = labels[k] + " "
		}
		fmt.Printf("%sevent->answer over %d creations (%d missed): from sending the POST p50 %.2f ms p99 %.2f ms max %.2f ms; "+
			"from its 201 response p50 %.2f ms p99 %.2f ms max %.2f ms; the POST itself p50 %.2f ms p99 %.2f ms\n",
			label, len(fromSend[k]), missed[k], pct(fromSend[k], .5), pct(fromSend[k], .99), pct(fromSend[k], 1),
			pct(fromResp[k], .5), pct(fromResp[k], .99), pct(fromResp[k], 1), pct(create, .5), pct(create, .99))
	}
}

func main() {
	if len(os.Args) < 2 {
		die("usage: realapi_tool load|waitdns|rss|latency [flags]")
	}
	switch os.Args[1] {
	case "load":
		cmdLoad(os.Args[2:])
	case "waitdns":
		cmdWaitDNS(os.Args[2:])
	case "rss":
		cmdRSS(os.Args[2:])
	case "latency":
		cmdLatency(os.Args[2:])
	default:
		die("unknown command %s", os.Args[1])
	}
}

// resolve.go - asks Go's pure resolver what a pod's Go program would ask.
//
// Built by run.sh with CGO_ENABLED=0 and run with GODEBUG=netdns=go, twice:
// with Debian's Go 1.19, whose dnsmessage parser rejects a compressed SRV
// target ("cannot unmarshal DNS message"), as every Go binary built before
// 2024 does, and with the machine's current Go. Standard library only.
//
// Reads "KIND<TAB>QUERY" lines and prints "KIND<TAB>QUERY<TAB>RESULT":
//
//	host    LookupHost           every address, sorted, space-separated
//	host4   LookupIP("ip4")
//	host6   LookupIP("ip6")
//	cname   LookupCNAME          the canonical name
//	ptr     LookupAddr           every name, sorted
//	srv     LookupSRV("", "", QUERY): the name as given
//	srvsvc  LookupSRV(S, P, N) for QUERY "S P N": asks _S._P.N
//	order, order4, order6  as host, host4, host6, but every address in the
//	        order the resolver returned them (after its RFC 6724 sort):
//	        the first is the one net.Dial tries first
//
// SRV records print as "PRIORITY WEIGHT PORT TARGET", sorted, joined by
// ", ". Failures print NOTFOUND, TEMPFAIL or ERROR(text) as resolve.c's do,
// with Go's own error text in brackets.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"
)

// PreferGo is the pure resolver even if the binary were built with cgo.
var resolver = &net.Resolver{PreferGo: true}

func describe(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "NOTFOUND [" + dnsErr.Err + "]"
		case dnsErr.IsTemporary || dnsErr.IsTimeout:
			return "TEMPFAIL [" + dnsErr.Err + "]"
		}
		return "ERROR(" + dnsErr.Err + ")"
	}
	return "ERROR(" + err.Error() + ")"
}

func joinSorted(items []string, sep string) string {
	sort.Strings(items)
	return strings.Join(items, sep)
}

func ips(list []net.IP) []string {
	out := make([]string, 0, len(list))
	for _, ip := range list {
		out = append(out, ip.String())
	}
	return out
}

func srvs(list []*net.SRV) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, fmt.Sprintf("%d %d %d %s", s.Priority, s.Weight, s.Port, s.Target))
	}
	return out
}

func lookup(ctx context.Context, kind, query string) string {
	switch kind {
	case "host":
		addrs, err := resolver.LookupHost(ctx, query)
		if err != nil {
			return describe(err)
		}
		return joinSorted(addrs, " ")
	case "host4", "host6":
		network := map[string]string{"host4": "ip4", "host6": "ip6"}[kind]
		list, err := resolver.LookupIP(ctx, network, query)
		if err != nil {
			return describe(err)
		}
		return joinSorted(ips(list), " ")
	case "order":
		addrs, err := resolver.LookupHost(ctx, query)
		if err != nil {
			return describe(err)
		}
		return strings.Join(addrs, " ")
	case "order4", "order6":
		network := map[string]string{"order4": "ip4", "order6": "ip6"}[kind]
		list, err := resolver.LookupIP(ctx, network, query)
		if err != nil {
			return describe(err)
		}
		return strings.Join(ips(list), " ")
	case "cname":
		name, err := resolver.LookupCNAME(ctx, query)
		if err != nil {
			return describe(err)
		}
		return name
	case "ptr":
		names, err := resolver.LookupAddr(ctx, query)
		if err != nil {
			return describe(err)
		}
		return joinSorted(names, " ")
	case "srv", "srvsvc":
		service, proto, name := "", "", query
		if kind == "srvsvc" {
			f := strings.Fields(query)
			if len(f) != 3 {
				return "ERROR(srvsvc wants SERVICE PROTO NAME)"
			}
			service, proto, name = f[0], f[1], f[2]
		}
		_, list, err := resolver.LookupSRV(ctx, service, proto, name)
		if err != nil {
			return describe(err)
		}
		return joinSorted(srvs(list), ", ")
	}
	return "ERROR(unknown kind)"
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		kind, query, ok := strings.Cut(in.Text(), "\t")
		if !ok {
			continue
		}
		// Generous: the harness's own timeout is what bounds a hung run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		fmt.Printf("%s\t%s\t%s\n", kind, query, lookup(ctx, kind, query))
		cancel()
	}
}

#!/bin/sh
# build.sh - builds the real control-plane programs the realapi tests run
# (kube-apiserver, kube-controller-manager, etcd, etcdctl) and the real
# CoreDNS that test_coredns_diff.sh compares svcdns with (coredns/main.go)
# from the modules pinned in this directory, once, and prints the
# directory that holds them.
#
# Usage: tests/realapi/build.sh            prints BINDIR on stdout
#
# The binaries are cached under
#   ${SVCDNS_REALAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svcdns-realapi}/<key>/bin
# where <key> hashes go.mod, go.sum (the three modules: here, etcd/,
# coredns/), coredns/main.go, this script and the Go
# version: a fresh clone of the same tree finds them there and returns in
# well under a second. GOMODCACHE and GOCACHE stay at Go's defaults, so
# after a change of version only what changed is fetched and compiled.
# Concurrent callers (make -j) wait for one build under a lock.
#
# Needs Go >= the `go` line of go.mod (GOTOOLCHAIN=local: no toolchain is
# downloaded) and the Go module proxy, the first time. A cold build (empty
# module and build caches) fetches ~0.8 GB of modules and compiles for
# several minutes on 2 cores; see tests/realapi/README.
#
# Environment:
#   GO                       the go command (default: go on PATH, else /usr/local/go/bin/go)
#   SVCDNS_REALAPI_CACHE     the cache root (above)
#   SVCDNS_REALAPI_BUILD_TIMEOUT  seconds one `go build` may take (default 2700)
set -eu

here=$(cd "$(dirname "$0")" && pwd)

fail() {
	echo "FAIL: realapi/build.sh: $*" >&2
	exit 1
}

# ---- go --------------------------------------------------------------------
if [ -z "${GO:-}" ]; then
	if command -v go >/dev/null 2>&1; then
		GO=go
	elif [ -x /usr/local/go/bin/go ]; then
		GO=/usr/local/go/bin/go
	else
		fail "no Go toolchain (go on PATH or /usr/local/go/bin/go); the realapi tests build kube-apiserver and etcd with it"
	fi
fi
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=readonly -buildvcs=false"

kver=$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9][^ ]*\).*/\1/p;s/^require k8s.io\/kubernetes \(v[0-9][^ ]*\).*/\1/p' "$here/go.mod" | head -1)
[ -n "$kver" ] || fail "no k8s.io/kubernetes version in $here/go.mod"
gover=$("$GO" env GOVERSION 2>/dev/null) || fail "'$GO env GOVERSION' failed"
need=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$here/go.mod")
# go1.26.8 -> 1 26; compare major.minor with go.mod's.
have_mm=$(echo "$gover" | sed -n 's/^go\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
need_mm=$(echo "$need" | sed -n 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
[ -n "$have_mm" ] || fail "cannot read the version of $GO ($gover)"
set -- $have_mm
hmaj=$1 hmin=$2
set -- $need_mm
if [ "$hmaj" -lt "$1" ] || { [ "$hmaj" -eq "$1" ] && [ "$hmin" -lt "$2" ]; }; then
	fail "$GO is $gover; kube-apiserver $kver needs go >= $need"
fi

# ---- the cache -------------------------------------------------------------
key=$( (cat "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" \
	"$here/coredns/go.mod" "$here/coredns/go.sum" "$here/coredns/main.go" \
	"$here/build.sh"; echo "$gover $("$GO" env GOOS GOARCH)") |
	sha256sum | cut -c1-16)
root=${SVCDNS_REALAPI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/svcdns-realapi}
dir=$root/$key
bin=$dir/bin
progs="kube-apiserver kube-controller-manager etcd etcdctl coredns"

have_all() {
	[ -f "$bin/.complete" ] || return 1
	for p in $progs; do [ -x "$bin/$p" ] || return 1; done
	return 0
}

if have_all; then
	touch "$dir/.used" 2>/dev/null || true
	echo "$bin"
	exit 0
fi

mkdir -p "$dir" || fail "cannot create $dir"
# One build at a time per key; a second caller waits for it, then finds
# the binaries.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.lock"
	flock 9
	if have_all; then
		echo "$bin"
		exit 0
	fi
fi

tmp=$(mktemp -d "$dir/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmo=${SVCDNS_REALAPI_BUILD_TIMEOUT:-2700}

# kube's own build stamps its version this way (hack/lib/version.sh);
# without it /version says v0.0.0-master.
kmaj=$(echo "$kver" | sed 's/^v\([0-9]*\)\..*/\1/')
kmin=$(echo "$kver" | sed 's/^v[0-9]*\.\([0-9]*\)\..*/\1/')
kx=""
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	kx="$kx -X $pkg.gitVersion=$kver -X $pkg.gitMajor=$kmaj -X $pkg.gitMinor=$kmin"
	kx="$kx -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

echo "realapi: building kube-apiserver, kube-controller-manager $kver, etcd, etcdctl, coredns into $bin (the first build takes minutes; later runs reuse it)" >&2
t0=$(date +%s)
(cd "$here" && timeout "$tmo" "$GO" build -p 2 -trimpath -ldflags "-s -w$kx" -o "$tmp/" \
	k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager) ||
	fail "building kube-apiserver/kube-controller-manager failed (module proxy reachable? disk space?)"
t1=$(date +%s)
(cd "$here/etcd" && timeout "$tmo" "$GO" build -p 2 -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 &&
	timeout "$tmo" "$GO" build -p 2 -trimpath -ldflags "-s -w" -o "$tmp/etcdctl" go.etcd.io/etcd/etcdctl/v3) ||
	fail "building etcd/etcdctl failed"
t2=$(date +%s)
# CoreDNS: a main with only the cluster's plugins (coredns/main.go).
(cd "$here/coredns" && timeout "$tmo" "$GO" build -p 2 -trimpath -ldflags "-s -w" -o "$tmp/coredns" .) ||
	fail "building coredns failed"
t3=$(date +%s)
echo "realapi: built in $((t3 - t0)) s (kube $((t1 - t0)) s, etcd $((t2 - t1)) s, coredns $((t3 - t2)) s)" >&2

for p in $progs; do [ -x "$tmp/$p" ] || fail "$p missing after the build"; done
rm -rf "$bin"
touch "$tmp/.complete"
chmod 755 "$tmp"
mv "$tmp" "$bin"
trap - EXIT
touch "$dir/.used"
# Binaries of other versions not used for 14 days go (265 MB each).
find "$root" -mindepth 2 -maxdepth 2 -name .used -mtime +14 2>/dev/null |
	while read -r used; do
		old=$(dirname "$used")
		if [ "$old" != "$dir" ]; then rm -rf "$old"; fi
	done
echo "$bin"

#!/bin/sh
# test_corefile.sh - svcdns --from-corefile on the default Corefiles of
# kubeadm, k3s, EKS, AKS and OpenShift, and kubeadm's after Cilium's MCS-API
# recipe (tests/fixtures/corefiles): the options printed, what is reported
# as having no equivalent, the exit status; then svcdns started with
# exactly those options (the test's own address, port, data and no
# upstream added) answers as the Corefile says: its TTL, pod names with
# "pods insecure", its UDP size, its multicluster zones.
. "${TESTDIR:?}/system/lib.sh"

FX=$TESTDIR/fixtures/corefiles
WORK=$(mktemp_dir)
DIR=$(copy_demo)
Z=cluster.local

for name in kubeadm k3s eks aks openshift cilium-mcsapi; do
	# the path as the fixtures name it in their messages
	(cd "$FX" && "$SVCDNS" --from-corefile "$name.Corefile" >"$WORK/$name.out" 2>"$WORK/$name.err")
	echo $? >"$WORK/$name.st"
	check_eq "$name: the options" "$(cat "$FX/$name.flags")" "$(cat "$WORK/$name.out")"
	check_eq "$name: what has no equivalent" "$(cat "$FX/$name.unsupported")" "$(cat "$WORK/$name.err")"
	check_eq "$name: exit status" "$(cat "$FX/$name.status")" "$(cat "$WORK/$name.st")"
	check_true "$name: every line one option" \
		sh -c '! grep -qv "^--[a-z-]*\(\( \|=\).*\)\?$" "$1"' sh "$WORK/$name.out"

	# svcdns with them: each line is one or two argv words. Where it
	# listens and serves /metrics (a pod's addresses) and its lame duck
	# (seconds at every stop) are the test's.
	set --
	while IFS= read -r line; do
		case "$line" in
		--port\ * | --listen\ * | --http\ * | --lameduck\ *) ;;
		*=*) set -- "$@" "$line" ;;
		*" "*) set -- "$@" "${line%% *}" "${line#* }" ;;
		*) set -- "$@" "$line" ;;
		esac
	done <"$WORK/$name.out"
	start_server "$DIR" "$@"
	ttl=$(sed -n 's/^--ttl //p' "$WORK/$name.out")
	check_eq "$name: kubernetes.default with the Corefile's TTL (${ttl:-5})" \
		"answer kubernetes.default.svc.$Z. ${ttl:-5} IN A 10.96.0.1" \
		"$(q kubernetes.default.svc.$Z A | grep '^answer')"
	if grep -q '^--pods insecure$' "$WORK/$name.out"; then
		check_eq "$name: pods insecure: a pod name answers" \
			"answer 10-244-1-5.shop.pod.$Z. ${ttl:-5} IN A 10.244.1.5" \
			"$(q 10-244-1-5.shop.pod.$Z A | grep '^answer')"
	fi
	size=$(sed -n 's/^--udp-size //p' "$WORK/$name.out")
	check_eq "$name: the UDP size it offers (${size:-1232})" "${size:-1232}" \
		"$(d +norec +bufsize=4096 kubernetes.default.svc.$Z A | sed -n 's/.*; udp: \([0-9]*\).*/\1/p')"
	for mz in $(sed -n 's/^--multicluster //p' "$WORK/$name.out"); do
		check_eq "$name: the multicluster zone $mz is served" "rcode NOERROR" \
			"$(q "$mz" SOA | grep '^rcode')"
		check_eq "$name: a Service has no name in $mz" "rcode NXDOMAIN" \
			"$(q "kubernetes.default.svc.$mz" A | grep '^rcode')"
	done
	alive "$name: svcdns running with the converted options"
	stop_server "$PID"
done

# A file that is no Corefile, and one that cannot be read.
printf '.:53 {\n errors\n' >"$WORK/open.Corefile"
"$SVCDNS" --from-corefile "$WORK/open.Corefile" >"$WORK/open.out" 2>"$WORK/open.err"
st=$?
check_eq "an unbalanced brace: exit 1, nothing printed" "1 " "$st $(cat "$WORK/open.out")"
check_true "an unbalanced brace: said on stderr" test -s "$WORK/open.err"
"$SVCDNS" --from-corefile "$WORK/nonexistent" >/dev/null 2>"$WORK/none.err"
st=$?
check_eq "a missing file: exit 1" 1 "$st"
check_true "a missing file: its name said" grep -q nonexistent "$WORK/none.err"
finish

#!/bin/sh
# test_env_formats.sh - svcdns-env's three formats, read back by what would
# consume them: sh/dash/bash source the shell format, an env-file reader
# and python3 the others; values a shell would interpret stay inert.
. "$(dirname "$0")/envlib.sh"

BASIC="$FIX/basic"
EXP="$FIX/expected"

# ---- the variables themselves (kubelet rules, checked by hand) --------------
for ns in app override v6; do
	run_env --dir "$BASIC" --namespace "$ns" --format env
	check_rc "env format, namespace $ns" 0
	check_file "env format, namespace $ns: kubelet's variables" \
		"$WORK/out" "$EXP/$ns.env"
done
run_env --dir "$BASIC" --namespace app --no-service-links --format env
check_file "--no-service-links: only kubernetes" "$WORK/out" \
	"$EXP/kubernetes-only.env"

# Sorted by name (byte order), so outputs diff cleanly.
run_env --dir "$BASIC" --namespace app --format env
cut -d= -f1 "$WORK/out" >"$WORK/names"
LC_ALL=C sort -c "$WORK/names" 2>/dev/null
check "output sorted by name" "$?" 0

# ---- shell format, sourced by three shells ---------------------------------
run_env --dir "$BASIC" --namespace app
check_rc "shell format is the default" 0
cp "$WORK/out" "$WORK/app.sh"
for sh in sh dash bash; do
	got=$(cd "$WORK" && $sh -c '. ./app.sh; echo "$REDIS_MASTER_SERVICE_HOST|$REDIS_MASTER_PORT|$WEB_FRONTEND_SERVICE_PORT_HTTPS|$DNS_CACHE_PORT|$KUBERNETES_SERVICE_HOST"')
	check "$sh sources the shell format" "$got" \
		"10.0.0.11|tcp://10.0.0.11:6379|443|udp://10.0.0.53:53|10.96.0.1"
	# Exported, and exactly the env-format set.
	(cd "$WORK" && env -i PATH="$PATH" $sh -c '. ./app.sh; env' |
		grep -E '_(SERVICE|PORT)' | LC_ALL=C sort) >"$WORK/from-$sh.env"
	LC_ALL=C sort "$EXP/app.env" >"$WORK/app.sorted"
	check_file "$sh: sourced variables are exported and complete" \
		"$WORK/from-$sh.env" "$WORK/app.sorted"
done

run_env --dir "$BASIC" --namespace v6
cp "$WORK/out" "$WORK/v6.sh"
got=$(cd "$WORK" && dash -c '. ./v6.sh; echo "$WEB_PORT $WEB_PORT_80_TCP_ADDR $DUAL_SERVICE_HOST"')
check "IPv6 bracketed in URLs, bare in _ADDR; dual-stack uses the primary IP" \
	"$got" "tcp://[fd00:10:96::20]:80 fd00:10:96::20 10.0.0.121"

# ---- hostile values ---------------------------------------------------------
# quote/ has a Service whose spec.clusterIP text carries quotes, $(...),
# backticks and a backslash (its clusterIPs are valid, so the loader keeps
# it), and one with a newline in it.
run_env --dir "$FIX/quote" --namespace default
check_rc "shell format of hostile values" 0
cp "$WORK/out" "$WORK/evil.sh"
want="10.0.0.9'; touch PWNED; echo '\$(touch PWNED2)\`touch PWNED3\`\"\\"
if ! grep -q EVIL_SERVICE_HOST "$WORK/evil.sh"; then
	fail "quote fixture: EVIL_SERVICE_HOST missing (did the loader start rejecting it? then move this check to a unit test)"
fi
for sh in sh dash bash; do
	rm -f "$WORK"/PWNED*
	got=$(cd "$WORK" && $sh -c '. ./evil.sh; printf "%s" "$EVIL_SERVICE_HOST"')
	check "$sh: a value with ' \$( \` \" \\ comes back unchanged" "$got" "$want"
	if ls "$WORK"/PWNED* >/dev/null 2>&1; then
		fail "$sh: sourcing the output ran a command"
	else
		pass "$sh: sourcing the output ran no command"
	fi
	got=$(cd "$WORK" && $sh -c '. ./evil.sh; printf "%s" "$NEWLINE_SERVICE_HOST"')
	check "$sh: a value with a newline comes back unchanged" "$got" "10.0.0.8
INJECTED=1"
	got=$(cd "$WORK" && $sh -c '. ./evil.sh; printf "%s" "${INJECTED-unset}"')
	check "$sh: a newline in a value cannot inject a variable" "$got" "unset"
done

# env format cannot carry a newline: those variables are left out, with a
# warning, rather than injecting INJECTED=1 into an env file.
run_env --dir "$FIX/quote" --namespace default --format env
check_rc "env format with a newline value" 0
if grep -q '^INJECTED=' "$WORK/out"; then
	fail "env format: newline value injected a line"
else
	pass "env format: newline value left out"
fi
check_err_has "env format: warns about the left-out variables" "left out"
check "env format: other hostile values verbatim" \
	"$(grep '^EVIL_SERVICE_HOST=' "$WORK/out")" "EVIL_SERVICE_HOST=$want"

# ---- env format, read as docker --env-file does (NAME=value, no quoting) ----
run_env --dir "$BASIC" --namespace app --format env
got=$(python3 - "$WORK/out" <<'EOF'
import sys
d = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    name, sep, value = line.partition("=")
    assert sep and name and name == name.strip(), line
    d[name] = value
print(d["WEB_FRONTEND_PORT_443_TCP"], d["DNS_CACHE_PORT_3868_SCTP_PROTO"], len(d))
EOF
)
check "env format parsed as an env file" "$got" "tcp://10.0.0.20:443 sctp 54"

# ---- json -------------------------------------------------------------------
for ns in app v6; do
	run_env --dir "$BASIC" --namespace "$ns" --format json
	check_rc "json format, namespace $ns" 0
	got=$(python3 - "$WORK/out" "$EXP/$ns.env" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
d = json.loads(text)
want = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[2]))
assert isinstance(d, dict)
assert list(d) == sorted(d), "keys not sorted"
assert d == want, (set(d.items()) ^ set(want.items()))
print("same")
EOF
)
	check "json, namespace $ns: one object, sorted keys, same variables" "$got" same
done
run_env --dir "$FIX/quote" --namespace default --format json
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(repr(d["EVIL_SERVICE_HOST"]), repr(d["NEWLINE_SERVICE_HOST"]))' "$WORK/out")
check "json carries hostile values exactly" "$got" \
	"$(python3 -c 'import sys; print(repr(sys.argv[1]), repr("10.0.0.8\nINJECTED=1"))' "$want")"

mkdir -p "$WORK/empty"
run_env --dir "$WORK/empty" --format json
check "json with no services: an empty object" "$(cat "$WORK/out")" "{}"
run_env --dir "$WORK/empty"
check_rc "no services at all" 0
check "no services at all: prints nothing" "$(wc -c <"$WORK/out")" 0

finish

#!/bin/sh
# test_env_errors.sh - svcdns-env's exit codes: 0 success, 1 runtime error,
# 2 usage error, each failure with one line on stderr naming the culprit.
. "$(dirname "$0")/envlib.sh"

BASIC="$FIX/basic"

run_env --help
check_rc "--help" 0
check "--help lists --no-service-links" \
	"$(grep -c -- '--no-service-links' "$WORK/out")" 1
run_env --version
check_rc "--version" 0
case "$(cat "$WORK/out")" in
svcdns-env\ *) pass "--version names the program" ;;
*) fail "--version printed '$(cat "$WORK/out")'" ;;
esac

# ---- runtime errors (1) -----------------------------------------------------
run_env --dir "$FIX/bad"
check_rc "a file that does not parse" 1
check_err_has "bad JSON: the file is named" "services.json"
check "bad JSON: nothing on stdout" "$(wc -c <"$WORK/out")" 0

run_env --dir "$WORK/does-not-exist"
check_rc "a directory that does not exist" 1
check_err_has "missing directory: named" "does-not-exist"

mkdir -p "$WORK/locked" && chmod 000 "$WORK/locked"
if [ -r "$WORK/locked" ]; then
	pass "unreadable directory: skipped (running as root, mode 000 is readable)"
else
	run_env --dir "$WORK/locked"
	check_rc "an unreadable directory" 1
fi
chmod 700 "$WORK/locked"

# The source lists Namespaces and this one is not among them.
run_env --dir "$BASIC" --namespace no-such-ns
check_rc "a namespace the source knows is absent" 1
check_err_has "absent namespace: named" "no-such-ns"

# An API server nobody listens on (port 1 on loopback refuses at once).
run_env --apiserver http://127.0.0.1:1
check_rc "an unreachable API server" 1
check_err_has "unreachable API server: named" "127.0.0.1:1"

run_env --kubeconfig "$WORK/no-kubeconfig"
check_rc "a kubeconfig that does not exist" 1
check_err_has "missing kubeconfig: named" "no-kubeconfig"
cat >"$WORK/kc" <<'KCEOF'
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c
  cluster:
    server: http://127.0.0.1:1
contexts:
- name: a
  context:
    cluster: c
    user: u
users:
- name: u
  user:
    token: t
KCEOF
run_env --kubeconfig "$WORK/kc" --kube-context nosuch
check_rc "--kube-context that the kubeconfig lacks" 1
check_err_has "--kube-context nosuch: named" 'context "nosuch" not found'

# ---- not errors (0) ---------------------------------------------------------
# no-namespaces/ lists no Namespace objects: an unknown namespace cannot be
# told from an empty one, so it is not an error.
run_env --dir "$FIX/no-namespaces" --namespace nowhere --format env
check_rc "unknown namespace, source without Namespaces" 0
check "unknown namespace: only kubernetes" \
	"$(cut -d= -f1 "$WORK/out" | grep -v '^KUBERNETES_' | wc -l)" 0
run_env --dir "$BASIC" --namespace empty
check_rc "a namespace without services" 0

# ---- usage errors (2) -------------------------------------------------------
run_env --dir "$BASIC" --format yaml
check_rc "--format yaml" 2
check_err_has "--format yaml: the value is named" "yaml"
run_env --dir "$BASIC" --bogus
check_rc "an unknown option" 2
check_err_has "unknown option: named" "--bogus"
run_env --dir
check_rc "--dir without a value" 2
check_err_has "--dir without a value: named" "--dir"
run_env
check_rc "no source at all" 2
check_err_has "no source: says what to pass" "--dir"
run_env --dir "$BASIC" --apiserver http://127.0.0.1:1
check_rc "two sources" 2
run_env --dir "$BASIC" --token-file /dev/null
check_rc "--token-file without --apiserver" 2
check_err_has "--token-file without --apiserver: named" "--token-file"
run_env --dir "$BASIC" --namespace ""
check_rc "an empty --namespace" 2
run_env --dir "$BASIC" --no-service-links=yes
check_rc "a value given to a flag" 2
check_err_has "flag with a value: named" "no-service-links"

finish

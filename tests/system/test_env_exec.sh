#!/bin/sh
# test_env_exec.sh - svcdns-env -- COMMAND: the variables reach the command's
# environment, variables already set win, the exit status is the command's.
. "$(dirname "$0")/envlib.sh"

BASIC="$FIX/basic"

run_env --dir "$BASIC" --namespace app -- env
check_rc "exec env" 0
grep -E '_(SERVICE|PORT)' "$WORK/out" | grep -v '^SVCDNS' | LC_ALL=C sort >"$WORK/got"
LC_ALL=C sort "$FIX/expected/app.env" >"$WORK/want"
check_file "exec env: the command sees every variable" "$WORK/got" "$WORK/want"

# Arguments reach the command untouched, and the rest of the environment
# is kept.
run_env --dir "$BASIC" --namespace app -- sh -c 'printf "%s|%s|%s|%s\n" "$1" "$2" "$REDIS_MASTER_PORT" "$SVCDNS_SA_DIR"' argv0 'a b' '--dir'
check "exec: arguments and inherited environment" "$(cat "$WORK/out")" \
	"a b|--dir|tcp://10.0.0.11:6379|$SVCDNS_SA_DIR"

# A variable already set wins, as a container's own env over the kubelet's;
# an empty value counts as set.
ENV_EXTRA="REDIS_MASTER_SERVICE_HOST=mine KUBERNETES_SERVICE_PORT=" \
	run_env --dir "$BASIC" --namespace app -- \
	sh -c 'echo "$REDIS_MASTER_SERVICE_HOST|${KUBERNETES_SERVICE_PORT-unset}|$REDIS_MASTER_SERVICE_PORT"' 
check "exec: already-set variables win" "$(cat "$WORK/out")" "mine||6379"

# Exit status of the command, and stdout is only the command's.
run_env --dir "$BASIC" --namespace app -- sh -c 'exit 7'
check "exec: exit status is the command's" "$RC" 7
check "exec: svcdns-env prints nothing itself" "$(wc -c <"$WORK/out")" 0
run_env --dir "$BASIC" --namespace app -- true
check_rc "exec: true" 0

run_env --dir "$BASIC" -- "$WORK/no-such-command"
check "exec: command not found is 127" "$RC" 127
check_err_has "exec: command not found is named" "no-such-command"
printf 'not executable\n' >"$WORK/plain"
chmod 644 "$WORK/plain"
run_env --dir "$BASIC" -- "$WORK/plain"
check "exec: command not executable is 126" "$RC" 126

# --no-service-links applies to exec too.
run_env --dir "$BASIC" --namespace app --no-service-links -- env
if grep -q '^REDIS_MASTER' "$WORK/out"; then
	fail "exec --no-service-links: namespace service leaked"
else
	pass "exec --no-service-links: only kubernetes"
fi
check "exec --no-service-links: kubernetes present" \
	"$(grep '^KUBERNETES_SERVICE_HOST=' "$WORK/out")" "KUBERNETES_SERVICE_HOST=10.96.0.1"

# A failed load never runs the command.
run_env --dir "$FIX/bad" -- sh -c 'echo RAN'
check_rc "exec with a bad directory: not run" 1
check "exec with a bad directory: command did not run" "$(cat "$WORK/out")" ""

# A word without -- is a usage error, never run.
run_env --dir "$BASIC" env
check_rc "a command without --" 2
check_err_has "a command without --: names it" "'env'"
run_env --dir "$BASIC" --
check_rc "-- without a command" 2

finish

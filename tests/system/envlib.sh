# envlib.sh - shared helpers of the svcdns-env system tests; sourced by
# tests/system/test_env_*.sh.
#
# Environment (set by `make check`, or by hand):
#   SVCDNS_ENV  path of the built svcdns-env binary
#   TESTDIR     absolute path of tests/
#
# Exit status of a test script: 0 pass, 1 fail. A missing shell or python3
# is a failure, not a skip.

set -u

: "${SVCDNS_ENV:?SVCDNS_ENV must name the svcdns-env binary}"
: "${TESTDIR:?TESTDIR must name the tests/ directory}"

ENV_NAME=$(basename "$0" .sh)
FIX="$TESTDIR/fixtures/env"
FAILS=0
CHECKS=0

for tool in sh dash bash python3 env timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "FAIL: required tool '$tool' not found" >&2
		exit 1
	fi
done
if [ ! -x "$SVCDNS_ENV" ]; then
	echo "FAIL: SVCDNS_ENV=$SVCDNS_ENV is not an executable file" >&2
	exit 1
fi

# One private work directory per script, removed at exit. The service
# account directory points into it so the host's never leaks in.
WORK=$(mktemp -d /tmp/svcdns-env-test.XXXXXX) || { echo "FAIL: mktemp" >&2; exit 1; }
env_cleanup() {
	case "$WORK" in
	/tmp/svcdns-env-test.*) rm -rf "$WORK" ;;
	esac
}
trap env_cleanup EXIT
trap 'exit 1' INT TERM HUP
SVCDNS_SA_DIR="$WORK/no-service-account"
export SVCDNS_SA_DIR
unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT

pass() {
	CHECKS=$((CHECKS + 1))
	echo "ok   $1"
}

fail() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "FAIL $1" >&2
}

# check DESC GOT WANT
check() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# run_env ARGS...: runs svcdns-env (bounded in time) in a clean
# environment (a CI job inside a pod has KUBERNETES_* and friends set,
# which would win over ours), stdout to $WORK/out, stderr to $WORK/err;
# sets RC. Extra variables: ENV_EXTRA="A=1 B=2" (no spaces in values).
run_env() {
	# shellcheck disable=SC2086
	timeout 60 env -i PATH="$PATH" SVCDNS_SA_DIR="$SVCDNS_SA_DIR" \
		${ENV_EXTRA-} "$SVCDNS_ENV" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
}

# check_rc DESC WANT: RC is WANT, and stderr is one line when WANT is 1/2.
check_rc() {
	local lines
	if [ "$RC" != "$2" ]; then
		fail "$1: exit $RC, want $2 (stderr: $(head -c 300 "$WORK/err"))"
		return
	fi
	if [ "$2" = 1 ] || [ "$2" = 2 ]; then
		lines=$(wc -l <"$WORK/err")
		if [ "$lines" != 1 ]; then
			fail "$1: $lines stderr lines, want 1:"
			sed 's/^/    /' "$WORK/err" >&2
			return
		fi
	fi
	pass "$1 (exit $2)"
}

# check_err_has DESC TEXT: stderr mentions TEXT.
check_err_has() {
	if grep -qF -- "$2" "$WORK/err"; then
		pass "$1"
	else
		fail "$1: stderr does not mention '$2': $(head -c 300 "$WORK/err")"
	fi
}

# check_file DESC FILE WANTFILE
check_file() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1: differs from $3:"
		diff "$3" "$2" | head -20 | sed 's/^/    /' >&2
	fi
}

finish() {
	echo "$ENV_NAME: $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

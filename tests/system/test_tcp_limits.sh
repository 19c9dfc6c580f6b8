#!/bin/sh
# test_tcp_limits.sh - TCP under abuse: 2000 concurrent idle connections
# against --tcp-max-conns 100 (new queries still answered, the oldest
# connections are the ones closed, the server survives), and a slowloris
# client sending one byte per second is closed after --tcp-idle.
. "${TESTDIR:?}/system/lib.sh"

DIR=$(copy_demo)
start_server "$DIR" --tcp-max-conns 100 --tcp-idle 3
echo "# server with --tcp-max-conns 100 --tcp-idle 3 on port $PORT"

timeout 90 python3 - "$PORT" >"$WORK/tcp.out" 2>&1 <<'PYEOF'
import resource, socket, struct, sys, time
port = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = min(hard, 4096)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
N = min(2000, want - 64)

def query(qid):
    name = b"".join(bytes([len(l)]) + l for l in
                    b"kubernetes.default.svc.cluster.local".split(b".")) + b"\0"
    m = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + name + b"\0\1\0\1"
    return struct.pack("!H", len(m)) + m

def ask(qid, timeout=3):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(query(qid))
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            d = s.recv(4096)
            if not d:
                return None
            buf += d
        return struct.unpack("!H", buf[2:4])[0]
    except OSError:
        return None
    finally:
        s.close()

def is_closed(c):
    c.settimeout(0.01)
    try:
        return c.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True

conns, refused = [], 0
t0 = time.time()
for i in range(N):
    try:
        conns.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        refused += 1
print("note opened %d connections (%d failed) in %.1f s" % (len(conns), refused, time.time() - t0))
ok = ask(0x4242) == 0x4242
print(("ok  " if ok else "FAIL") + " a new query is answered with %d connections open (cap 100)" % len(conns))
time.sleep(0.5)
closed = [is_closed(c) for c in conns]
n_open = closed.count(False)
print(("ok  " if n_open <= 100 else "FAIL") + " %d of %d connections still open (cap 100)" % (n_open, len(conns)))
# The newest connections are the ones kept: every survivor is among the
# last 150 opened (a little slack for the query connection above).
old_open = [i for i, c in enumerate(closed) if not c and i < len(conns) - 150]
print(("ok  " if not old_open else "FAIL") + " the oldest connections were closed first (%d old ones open)" % len(old_open))
for c in conns:
    c.close()

# slowloris: one byte per second of a query that never completes.
s = socket.create_connection(("127.0.0.1", port), timeout=2)
msg = query(0x5151)
t0, sent, gone = time.time(), 0, False
while time.time() - t0 < 12:
    try:
        s.sendall(msg[sent % len(msg):sent % len(msg) + 1] if sent < len(msg) - 1 else b"\0")
        sent += 1
    except OSError:
        gone = True
        break
    if is_closed(s):
        gone = True
        break
    time.sleep(1)
t = time.time() - t0
s.close()
# One byte a second must not reset the idle timer forever: a message must
# be whole within --tcp-idle of its first byte.
if gone:
    print("ok   slowloris (1 byte/s) closed after %.1f s (%d bytes sent)" % (t, sent))
else:
    print("FAIL slowloris (1 byte/s) still open after %.1f s (%d bytes sent)" % (t, sent))
ok = ask(0x4343) == 0x4343
print(("ok  " if ok else "FAIL") + " still answering after the slowloris client")
PYEOF
st=$?
cat "$WORK/tcp.out"
FAILS=$((FAILS + $(grep -c '^FAIL' "$WORK/tcp.out")))
CHECKS=$((CHECKS + $(grep -c '^ok\|^FAIL' "$WORK/tcp.out")))
if [ $st -ne 0 ]; then
	fail "the TCP client script exited with status $st"
fi
expect "UDP still answered after the TCP abuse" kubernetes.default.svc.cluster.local A <<EOT
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1
EOT
alive "svcdns still running after 2000 connections and a slowloris"
if grep -qi 'AddressSanitizer\|runtime error:' "$LOG"; then
	fail "sanitizer report in the server log:"
	sed 's/^/     /' "$LOG" | head -40
fi
finish

#!/usr/bin/env python3
"""free_port.py - a loopback port free for both UDP and TCP right now, below
the kernel's ephemeral range (above it when the room below is too small).

Why not in the range: svcdns's sockets share their port (SO_REUSEPORT), and
a client socket the kernel gives that same port (dig's sets SO_REUSEADDR
too) would receive the query it sent itself: dig prints "query response not
set". The one copy of this choice, for tests/system/lib.sh,
bench/podmap_rss.sh (run as a program: prints the port, exit 1 when none)
and bench/compare_replies.py (imported).
"""

import random
import socket
import sys


def port_range():
    """The range to pick from: (low, high), both inclusive."""
    lo, hi = 32768, 60999
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        pass
    if lo - 10240 >= 2000:
        return 10240, lo - 1
    if 65535 - hi >= 2000:
        return hi + 1, 65535
    return 10240, 65535


def is_free(port):
    """True when both a UDP and a TCP socket can bind 127.0.0.1:port."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port(tries=50):
    """A free port, or None after tries taken ones."""
    lo, hi = port_range()
    for _ in range(tries):
        port = random.randint(lo, hi)
        if is_free(port):
            return port
    return None


if __name__ == "__main__":
    p = free_port()
    if p is None:
        sys.exit("free_port.py: no free loopback port")
    print(p)

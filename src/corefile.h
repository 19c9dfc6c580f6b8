/* corefile.h - a CoreDNS Corefile converted to the svcdns command line that
 * does the same (svcdns --from-corefile FILE), for a migration that starts
 * from the ConfigMap a cluster already has.
 *
 * What is read: CoreDNS's own Corefile syntax (its caddyfile lexer and
 * parser, byte for byte): server blocks "ZONE[:PORT] [ZONE...] { ... }"
 * ("dns://" allowed, "." the root, a network such as 10.0.0.0/8 for its
 * reverse zone), directives with arguments and nested { } option blocks,
 * # comments, "quoted strings" with \" escapes. A text CoreDNS would refuse
 * for its structure (an unbalanced brace, a '}' after a directive on its
 * line, a NUL or other control byte, more than 4 MiB) is not converted at
 * all. import, snippets "(name) { }" and {$VAR}/{%VAR%} substitutions are
 * reported, never followed: the converter reads nothing but the text.
 *
 * What is written: one option a line, in the order of svcdns --help, as
 * "--flag value", or "--flag" alone; a value holding a space (a label
 * selector: "environment in (qa, prod)") as "--flag=value", so that every
 * line is exactly one element of a Deployment's args list (a YAML plain
 * scalar, no quoting needed) or, split at the first space, two argv words.
 * Values are never quoted; a value with a control character is reported,
 * not printed.
 *
 * Decisions where CoreDNS and svcdns differ in shape (docs/migrating-from-
 * coredns.md has the option table this follows):
 *   - One server: the block for the root zone (the first block when none
 *     is) sets --port, --listen, the cache, the log and loadbalance; a block
 *     for another zone on that port with "forward . ADDR..." becomes
 *     --stub-domain ZONE=ADDR,... (its errors, cache, log, loop, reload and
 *     loadbalance are implied by the main block's and ignored); a block on
 *     another port or transport is reported. No root block at all means
 *     CoreDNS refuses other names: --upstream none; a root block without
 *     "forward ." likewise.
 *   - Where CoreDNS's default when a plugin is absent differs from
 *     svcdns's, the flag that keeps CoreDNS's behaviour is printed: no
 *     loadbalance: --loadbalance none; no cache: --cache-size 0; no health
 *     lameduck: --lameduck 0. Where the defaults agree nothing is printed
 *     (--port 53, forward to /etc/resolv.conf); a value the Corefile states
 *     is printed even when it equals svcdns's default.
 *   - health, ready and prometheus share svcdns's one --http address:
 *     prometheus's when present, else ready's, else health's (CoreDNS's
 *     defaults :8080, :8181, localhost:9153; ":P" becomes 0.0.0.0:P,
 *     localhost 127.0.0.1). Each of the others that named another address
 *     gets a note on errs ("name:line: note: ..."): it is served, on the
 *     one port, so it is no failure and does not change the status; the
 *     probes in the Deployment have to follow it.
 *   - cache: TTL -> --cache-ttl; svcdns keeps one cache for answers and
 *     denials, so "success CAP" / "denial CAP" give --cache-size as their
 *     sum, a capacity not stated counting as CoreDNS's 9984 (without either,
 *     no flag: svcdns's 9984); a denial TTL other than the cache TTL is
 *     reported. "disable success|denial ZONE" is silent when every ZONE is a
 *     cluster domain or a multicluster zone (kubeadm's: svcdns never caches
 *     the names it serves itself).
 *   - forward: "max_concurrent 1000" and "policy random" are what svcdns
 *     does (silent); another max_concurrent or policy is reported;
 *     read_timeout is --forward-timeout.
 *   - kubernetes: reverse zones (in-addr.arpa, ip6.arpa and below) are
 *     always served: no --domain; fallthrough listing only reverse zones, or
 *     nothing, is what svcdns does (silent); startup_timeout is silent
 *     (svcdns serves from the start); kubeconfig wins over endpoint and tls
 *     as in CoreDNS (a note says so).
 *   - Multi-Cluster Services: kubernetes's "multicluster ZONES..." gives
 *     --multicluster ZONE each, and those zones are no --domain. As CoreDNS
 *     reads it, the zones are the arguments only (a bare "multicluster"
 *     names none: reported) and each must be one of the plugin's zones
 *     (else reported, as CoreDNS refuses it); the last such line wins.
 *     The multicluster plugin ("multicluster [ZONES...] { ... }", its
 *     zones the block's without arguments) gives --multicluster too; its
 *     kubeconfig must be the kubernetes plugin's connection (svcdns has
 *     one); a fallthrough for forward zones is reported, and so is its
 *     fixed TTL of 5 when --ttl differs, and its noendpoints (svcdns's
 *     --no-endpoints, as kubernetes's noendpoints, leaves the multicluster
 *     zones' endpoints). A zone that is both a --domain and a
 *     --multicluster is reported and kept a --domain; no --domain left
 *     beside --multicluster is reported.
 *   - log: only the plain form (all names, all classes, the default
 *     format) becomes --log-queries; another is reported and not converted.
 *   - hosts [FILE]: --hosts FILE (/etc/hosts by default) with its ttl,
 *     reload and no_reverse; zones, inline entries, or no fallthrough
 *     (svcdns always falls through) are reported.
 *   - bind ADDR...: --listen ADDR each; an interface name is reported.
 *   - errors and its options, loop and reload: nothing (built in).
 *   - bufsize N: --udp-size N.
 * Durations ("5s", "1m30s", "500ms": Go's syntax) are converted to the
 * flag's unit; one that is not a whole number of it, or is out of the
 * flag's range, is reported.
 *
 * Messages on errs, one a line, Corefile text escaped to stay on it:
 * "name:line: WHAT: WHY" for what has no equivalent (the status becomes 2),
 * "name:line: note: WHAT: ..." for what converted in another form (the
 * status stays), "name:line: WHY: not a Corefile" for a text refused (1;
 * nothing on out). At most 200 are written, then one line counting the
 * rest. Running out of memory also returns 1 ("name: out of memory").
 *
 * No state outside a call; nothing is retained; the caller owns out and
 * errs. Any bytes are safe to pass. */
#ifndef SVCDNS_COREFILE_H
#define SVCDNS_COREFILE_H

#include <stddef.h>
#include <stdio.h>

/* Converts text (len bytes, the Corefile named name, for messages) into svcdns's
   options, one per line ("--domain cluster.local"), written to out; each
   directive svcdns has no equivalent for is reported to errs as
   "name:line: ...". Returns 0 when everything converted, 2 when something did
   not (the lines that did are still printed), 1 when the text is not a
   Corefile (unbalanced braces, ...), with a message on errs. */
int corefile_convert(const char *text, size_t len, const char *name, FILE *out, FILE *errs);

#endif

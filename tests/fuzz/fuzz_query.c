/* fuzz_query.c - the query hot path (header, question, EDNS, TCP framing)
 * against an answer table built once from zones/demo. Each input is asked
 * as a UDP datagram, as one TCP message, and read as a TCP byte stream of
 * length-prefixed messages the way net_tcp.c splits it. Every reply must
 * fit its transport, echo the query's ID with QR set, and parse with ldns.
 * The client is a pod of the demo (db-0, namespace data, on node-a in
 * zone-a) with --autopath and --prefer-zone on, so names under
 * data.svc.cluster.local that do not exist walk its search path and the
 * headless services' addresses of its zone come first. */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer_build.h"
#include "answer_lookup.h"
#include "answer_table.h"
#include "dname.h"
#include "fuzz.h"
#include "kube_object.h"
#include "log.h"
#include "pod_map.h"
#include "query.h"
#include "records.h"
#include "source_dir.h"
#include "svc_cache.h"

#ifndef FUZZ_ZONES_DIR
#define FUZZ_ZONES_DIR "zones/demo"
#endif

static struct answer_table *table;
static uint8_t out[QUERY_MAX_MSG];
static struct query_zone zones_wire[2];
static struct query_opts opts = {.udp_cap = 1232, .refuse_outside = true,
                                 .round_robin = true, /* the default */
                                 .autopath = true, .prefer_zone = true, .autopath_ttl = 5,
                                 .zones = zones_wire, .n_zones = 2};
static struct sockaddr_in client; /* db-0's address */

static void check_reply(const uint8_t *msg, size_t len, bool tcp);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const zones[] = {"cluster.local", "example.internal"};
	const char *dir = getenv("SVCDNS_FUZZ_ZONES");
	struct kube_ip ns[2];
	struct records_config cfg;
	struct svc_cache *cache;
	struct source_dir *src;
	struct records_set *set;
	struct pod_map *pods;
	char err[256];

	(void)argc;
	(void)argv;
	log_init("fuzz_query", LOG_LEVEL_ERROR);
	if (!dir)
		dir = FUZZ_ZONES_DIR;
	cache = svc_cache_new();
	pods = pod_map_new();
	if (cache && pods)
		svc_cache_pod_map(cache, pods, true);
	src = cache ? source_dir_new(dir, cache) : NULL;
	if (!src || source_dir_scan(src, err, sizeof(err)) < 0 ||
	    svc_cache_count(cache, KUBE_KIND_SERVICE) == 0) {
		fprintf(stderr, "fuzz_query: cannot load %s (set SVCDNS_FUZZ_ZONES)\n",
		        dir);
		exit(1);
	}
	kube_ip_parse("10.96.0.10", &ns[0]);
	kube_ip_parse("fd00::10", &ns[1]);
	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = zones;
	cfg.n_zones = 2;
	cfg.ttl = 5;
	cfg.pods = RECORDS_PODS_INSECURE;
	cfg.ns_addrs = ns;
	cfg.n_ns_addrs = 2;
	set = records_build(cache, &cfg, 1, err, sizeof(err));
	table = set ? answer_build_table(set, true, err, sizeof(err)) : NULL;
	if (!table) {
		fprintf(stderr, "fuzz_query: %s\n", err);
		exit(1);
	}
	records_set_free(set);
	source_dir_free(src);
	svc_cache_free(cache);
	/* the map is kept: the queries' client is one of its pods */
	pod_map_put_node(pods, "node-a", "zone-a"); /* db-0's */
	pod_map_put_node(pods, "node-b", "zone-b");
	pod_map_set_synced(pods);
	opts.pods = pods;
	for (size_t z = 0; z < 2; z++)
		zones_wire[z].len = dname_from_text(zones[z], zones_wire[z].name);
	client.sin_family = AF_INET;
	inet_pton(AF_INET, "10.244.1.10", &client.sin_addr);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	check_reply(data, size, false);
	check_reply(data, size, true);
	/* The same bytes as a TCP stream: whole messages only, as net_tcp. */
	while (pos + 2 <= size) {
		size_t n = (size_t)data[pos] << 8 | data[pos + 1];
		if (pos + 2 + n > size)
			break;
		check_reply(data + pos + 2, n, true);
		pos += 2 + n;
	}
	return 0;
}

static void check_reply(const uint8_t *msg, size_t len, bool tcp)
{
	size_t reply_len = (size_t)-1;
	enum query_result r;
	ldns_pkt *pkt = NULL;

	/* Copy to an exact-size heap buffer so ASan sees any over-read. */
	uint8_t *copy = malloc(len ? len : 1);
	FUZZ_ASSERT(copy);
	memcpy(copy, msg, len);
	r = query_answer(table, &opts, copy, len, tcp, (const struct sockaddr *)&client, out,
	                 &reply_len);
	free(copy);
	if (r == QUERY_DROP) {
		FUZZ_ASSERT(len < 12 || (msg[2] & 0x80));
		return;
	}
	FUZZ_ASSERT(r == QUERY_REPLY); /* refuse_outside: never FORWARD */
	FUZZ_ASSERT(reply_len >= 12 && reply_len <= QUERY_MAX_MSG);
	if (!tcp)
		FUZZ_ASSERT(reply_len <= opts.udp_cap);
	FUZZ_ASSERT(out[0] == msg[0] && out[1] == msg[1]);
	FUZZ_ASSERT(out[2] & 0x80);
	/* What we send must be a well-formed message. */
	FUZZ_ASSERT(ldns_wire2pkt(&pkt, out, reply_len) == LDNS_STATUS_OK);
	if (!tcp && !ldns_pkt_edns(pkt))
		FUZZ_ASSERT(reply_len <= 512);
	ldns_pkt_free(pkt);
}

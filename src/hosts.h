/* hosts.h - names from a hosts(5) file, answered before the cluster's
 * and the forwarder's, as CoreDNS's hosts plugin with fallthrough does
 * (k3s's default Corefile serves its nodes' names this way).
 *
 * A table is compiled from the file's text: for each name its A and AAAA
 * answers, for each address's reverse name its PTR answer, encoded once
 * (the owner a pointer to the question) so that a lookup only points an
 * answer_ref at them. A name the file has answers every other type with
 * an empty NOERROR (no SOA: a hosts file has none); a name it lacks falls
 * through. "*.example.org" stands for any one label.
 *
 * Ownership: a table is immutable once built; hosts_table_free releases
 * it. A hosts_slot publishes one table to the query threads through RCU
 * (readers between rcu_read_lock and rcu_read_unlock); hosts_file owns
 * the tables it publishes. */
#ifndef SVCDNS_HOSTS_H
#define SVCDNS_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct answer_ref;
struct hosts_table;

/* Per name and address family, and names per address, at most this many
   records: a larger answer would not fit a message. */
#define HOSTS_RRSET_MAX 1024

struct hosts_options {
	uint32_t ttl;
	bool no_reverse; /* no PTR answers */
};

/* Compiles the text of a hosts file (len bytes, need not end in a
   newline). Lines that are not an address and names are skipped and
   counted in *skipped (may be NULL). NULL on allocation failure. */
struct hosts_table *hosts_table_build(const char *text, size_t len,
                                      const struct hosts_options *opts, size_t *skipped);
void hosts_table_free(struct hosts_table *t);

/* Names and reverse names the table answers. */
size_t hosts_table_names(const struct hosts_table *t);

/* The answer to (lname, qtype) when the table has the name: ref becomes
   an ANSWER_FOUND (records or none) to give reply_answer. False when the
   name is not in the table (fall through). lname: lower-case wire. */
bool hosts_table_lookup(const struct hosts_table *t, const uint8_t *lname, size_t len,
                        uint16_t qtype, struct answer_ref *ref);

/* ---- publication ---- */
struct hosts_slot {
	struct hosts_table *current; /* NULL: nothing to answer from */
};

/* The table published, for a reader inside an RCU read-side section. */
struct hosts_table *hosts_slot_acquire(struct hosts_slot *slot);

/* ---- the file ---- */
struct hosts_file {
	const char *path;          /* not copied */
	struct hosts_options opts;
	struct hosts_slot slot;
	bool loaded;               /* a version of the file was read */
	struct timespec mtime;     /* of the version published */
	long long size;
};

/* Reads path when it changed since the last read (mtime or size) and
   publishes its table; the table it replaces is freed after a grace
   period. Returns 1 when a new table was published (msg: what it holds),
   0 when nothing changed, -1 when the file cannot be read (msg: why; the
   last table keeps being served). */
int hosts_file_refresh(struct hosts_file *f, char *msg, size_t msglen);

/* Unpublishes (after the query threads are gone) and frees. */
void hosts_file_release(struct hosts_file *f);

#endif

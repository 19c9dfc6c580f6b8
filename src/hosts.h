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
 * (readers between rcu_read_lock and rcu_read_unlock); hosts_files owns
 * the tables it publishes and each file's last text. */
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

/* One hosts file's text (len bytes, need not end in a newline), and the
   name its lines are reported under. */
struct hosts_text {
	const char *name;
	const char *text;
	size_t len;
};

/* Receives one message ("FILE:LINE: why the line was skipped", or what a
   refresh did). */
typedef void (*hosts_report_fn)(void *ctx, bool warning, const char *msg);

/* Compiles the texts, in order, into one table. A line that is not an
   address and names is skipped and reported (the first few of each text,
   then how many more); report may be NULL. NULL on allocation failure. */
struct hosts_table *hosts_table_build(const struct hosts_text *texts, size_t n,
                                      const struct hosts_options *opts,
                                      hosts_report_fn report, void *ctx);
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

/* ---- the files ---- */
struct hosts_file {
	const char *path;          /* not copied */
	char *text;                /* its last contents read, or NULL */
	size_t len;
	struct timespec mtime;     /* of that version */
	long long size;
	bool unreadable;           /* said so; quiet until it can be read */
};

struct hosts_files {
	struct hosts_file *files;
	size_t n;
	struct hosts_options opts;
	struct hosts_slot slot;
};

/* Sets up paths (not copied) with nothing read yet. -1 on allocation
   failure. */
int hosts_files_init(struct hosts_files *h, const char *const *paths, size_t n,
                     const struct hosts_options *opts);

/* Reads each file that changed since its last read (mtime or size) and,
   when one did, publishes a new table of them all; the table it replaces
   is freed after a grace period. A file that cannot be read keeps its
   last contents (reported once). Reports what it did. Returns 1 when a
   new table was published, 0 when nothing changed, -1 on allocation
   failure (the last table stays). */
int hosts_files_refresh(struct hosts_files *h, hosts_report_fn report, void *ctx);

/* Unpublishes (after the query threads are gone) and frees. */
void hosts_files_release(struct hosts_files *h);

#endif

/* resolve.c - asks the C library's stub resolver what a pod's program would ask.
 *
 * Built twice by run.sh: with the system compiler (glibc) and with
 * musl-gcc -static (what Alpine images run).  It reads questions, one a
 * line, "KIND<TAB>QUERY", and prints "KIND<TAB>QUERY<TAB>RESULT":
 *
 *   host   getaddrinfo(AF_UNSPEC)  every address, sorted, space-separated
 *   host4  getaddrinfo(AF_INET)
 *   host6  getaddrinfo(AF_INET6)
 *   cname  getaddrinfo(AF_UNSPEC, AI_CANONNAME)  the canonical name, with a final dot
 *   order, order4, order6  as host, host4, host6, but every address in the
 *          order getaddrinfo returned them (after its own destination
 *          address sorting, RFC 3484 in glibc, RFC 6724 in musl): the first
 *          is the one a program that connects to the first address uses
 *   ptr    gethostbyaddr   the name and its aliases, sorted (glibc 2.36 and
 *          musl give one name whatever the number of PTR records)
 *
 * A failure prints one word the harness compares across clients:
 *   NOTFOUND  the name does not exist or has no address of that family
 *             (EAI_NONAME, EAI_NODATA: the resolver cannot say which)
 *   TEMPFAIL  EAI_AGAIN / TRY_AGAIN: "Temporary failure in name resolution"
 *   ERROR(x)  anything else, x naming it
 * followed, for getaddrinfo, by the EAI name in brackets so a report shows
 * exactly what the library said, e.g. "NOTFOUND [EAI_NODATA]".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_ITEMS 4096
#define ITEM_LEN 256

static char items[MAX_ITEMS][ITEM_LEN];
static size_t n_items;

static int cmp_item(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void add_item(const char *s)
{
	if (n_items < MAX_ITEMS)
		snprintf(items[n_items++], ITEM_LEN, "%s", s);
}

/* Prints the collected items sorted, duplicates dropped, space-separated. */
static void print_items(void)
{
	size_t i;
	const char *prev = NULL;

	qsort(items, n_items, ITEM_LEN, cmp_item);
	for (i = 0; i < n_items; i++) {
		if (prev && strcmp(prev, items[i]) == 0)
			continue;
		printf("%s%s", prev ? " " : "", items[i]);
		prev = items[i];
	}
}

static const char *eai_name(int e)
{
	switch (e) {
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_SYSTEM: return "EAI_SYSTEM";
#ifdef EAI_NODATA
	case EAI_NODATA: return "EAI_NODATA";
#endif
	default: return "EAI_?";
	}
}

static void print_eai(int e)
{
	const char *word;

	if (e == EAI_NONAME)
		word = "NOTFOUND";
#ifdef EAI_NODATA
	else if (e == EAI_NODATA)
		word = "NOTFOUND";
#endif
	else if (e == EAI_AGAIN)
		word = "TEMPFAIL";
	else
		word = NULL;
	if (word)
		printf("%s [%s]", word, eai_name(e));
	else
		printf("ERROR(%s: %s)", eai_name(e), gai_strerror(e));
}

/* Prints the collected items in the order they came, space-separated. */
static void print_items_in_order(void)
{
	size_t i;

	for (i = 0; i < n_items; i++)
		printf("%s%s", i ? " " : "", items[i]);
}

static void lookup_host(const char *name, int family, int canon, int ordered)
{
	struct addrinfo hints, *res, *ai;
	char buf[INET6_ADDRSTRLEN];
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM; /* one entry per address */
	hints.ai_flags = canon ? AI_CANONNAME : 0;
	e = getaddrinfo(name, NULL, &hints, &res);
	if (e != 0) {
		print_eai(e);
		return;
	}
	if (canon) {
		/* the resolver's canonical name has no final dot; the others do */
		printf("%s.", res->ai_canonname ? res->ai_canonname : "(none)");
	} else {
		for (ai = res; ai; ai = ai->ai_next) {
			const void *a = ai->ai_family == AF_INET
				? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
			if (inet_ntop(ai->ai_family, a, buf, sizeof(buf)))
				add_item(buf);
		}
		if (ordered)
			print_items_in_order();
		else
			print_items();
	}
	freeaddrinfo(res);
}

static void lookup_ptr(const char *addr)
{
	unsigned char bin[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct hostent *h;
	char name[ITEM_LEN];
	char **alias;

	if (inet_pton(family, addr, bin) != 1) {
		printf("ERROR(not an address)");
		return;
	}
	h = gethostbyaddr(bin, family == AF_INET ? 4 : 16, family);
	if (!h) {
		switch (h_errno) {
		case HOST_NOT_FOUND:
		case NO_DATA:
			printf("NOTFOUND [h_errno %d]", h_errno);
			break;
		case TRY_AGAIN:
			printf("TEMPFAIL [TRY_AGAIN]");
			break;
		default:
			printf("ERROR(h_errno %d)", h_errno);
		}
		return;
	}
	snprintf(name, sizeof(name), "%s.", h->h_name);
	add_item(name);
	for (alias = h->h_aliases; alias && *alias; alias++) {
		snprintf(name, sizeof(name), "%s.", *alias);
		add_item(name);
	}
	print_items();
}

int main(void)
{
	char line[1024], *kind, *query, *nl;

	while (fgets(line, sizeof(line), stdin)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		kind = line;
		query = strchr(line, '\t');
		if (!query)
			continue;
		*query++ = '\0';
		n_items = 0;
		printf("%s\t%s\t", kind, query);
		if (strcmp(kind, "host") == 0)
			lookup_host(query, AF_UNSPEC, 0, 0);
		else if (strcmp(kind, "host4") == 0)
			lookup_host(query, AF_INET, 0, 0);
		else if (strcmp(kind, "host6") == 0)
			lookup_host(query, AF_INET6, 0, 0);
		else if (strcmp(kind, "cname") == 0)
			lookup_host(query, AF_UNSPEC, 1, 0);
		else if (strcmp(kind, "order") == 0)
			lookup_host(query, AF_UNSPEC, 0, 1);
		else if (strcmp(kind, "order4") == 0)
			lookup_host(query, AF_INET, 0, 1);
		else if (strcmp(kind, "order6") == 0)
			lookup_host(query, AF_INET6, 0, 1);
		else if (strcmp(kind, "ptr") == 0)
			lookup_ptr(query);
		else
			printf("ERROR(unknown kind)");
		printf("\n");
		fflush(stdout);
	}
	return 0;
}

/* config.h - one table of options (name, type, default, range, help) drives
 * command-line parsing, range checks and --help, for both programs.
 *
 * Ownership: parsed strings point into argv (not copied); string lists are
 * arrays allocated here and released by config_free(). */
#ifndef SVCDNS_CONFIG_H
#define SVCDNS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum config_type {
	CONFIG_FLAG,    /* bool, no argument */
	CONFIG_STRING,  /* const char * */
	CONFIG_LIST,    /* struct config_list, option repeatable */
	CONFIG_UINT,    /* unsigned long within [min, max] */
	CONFIG_CHOICE   /* int: index into choices */
};

struct config_list {
	const char **items;
	size_t n;
};

struct config_option {
	const char *name;    /* long name without "--" */
	enum config_type type;
	const char *metavar; /* shown in --help, e.g. "DIR" */
	const char *def;     /* default as text (NULL: none); lists: one item */
	unsigned long min, max;
	const char *const *choices; /* NULL-terminated, CONFIG_CHOICE only */
	size_t offset;       /* offsetof() the field in the caller's struct */
	const char *help;
};

/* Table ends with an entry whose name is NULL. */

/* Fills out from defaults, then argv. Parsing stops at "--" or the first
   non-option argument; *rest is set to its index (argc if none).
   Returns 0; 1 when --help or --version was given (already printed to
   stdout); -1 on a usage error with a one-line message in err naming the
   bad value. */
int config_parse(const struct config_option *table, void *out, int argc,
                 char **argv, int *rest, const char *synopsis,
                 const char *version, char *err, size_t errlen);

/* Writes the option list, as --help shows it. */
void config_usage(const struct config_option *table, FILE *fp,
                  const char *synopsis);

/* Releases the lists config_parse allocated in out. */
void config_free(const struct config_option *table, void *out);

#endif

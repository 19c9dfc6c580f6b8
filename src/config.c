/* config.c - table-driven option parsing shared by svcdns and svcdns-env. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const struct config_option *find_option(const struct config_option *table,
                                               const char *name, size_t len);
static int set_value(const struct config_option *opt, void *out,
                     const char *value, char *err, size_t errlen);
static int list_append(struct config_list *list, const char *item);

#define FIELD(out, opt, type) ((type *)((char *)(out) + (opt)->offset))

int config_parse(const struct config_option *table, void *out, int argc,
                 char **argv, int *rest, const char *synopsis,
                 const char *version, char *err, size_t errlen)
{
	const struct config_option *opt;
	int i;

	/* Defaults first, so a later error still leaves out consistent. */
	for (opt = table; opt->name; opt++) {
		if (opt->type == CONFIG_LIST) {
			struct config_list *l = FIELD(out, opt, struct config_list);
			l->items = NULL;
			l->n = 0;
		} else if (opt->type == CONFIG_FLAG) {
			*FIELD(out, opt, bool) = false;
		} else if (opt->type == CONFIG_STRING) {
			*FIELD(out, opt, const char *) = opt->def;
		} else if (opt->def && set_value(opt, out, opt->def, err, errlen) < 0) {
			return -1;
		} else if (!opt->def && opt->type == CONFIG_UINT) {
			*FIELD(out, opt, unsigned long) = 0;
		} else if (!opt->def) {
			*FIELD(out, opt, int) = 0;
		}
	}

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq, *value = NULL;
		size_t namelen;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(arg, "--", 2) != 0)
			break;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			config_usage(table, stdout, synopsis);
			return 1;
		}
		if (strcmp(arg, "--version") == 0) {
			printf("%s\n", version);
			return 1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		namelen = eq ? (size_t)(eq - arg) : strlen(arg);
		opt = find_option(table, arg, namelen);
		if (!opt) {
			snprintf(err, errlen, "unknown option '--%.*s' (see --help)",
			         (int)namelen, arg);
			return -1;
		}
		if (opt->type == CONFIG_FLAG) {
			if (eq) {
				snprintf(err, errlen, "option '--%s' takes no value",
				         opt->name);
				return -1;
			}
			*FIELD(out, opt, bool) = true;
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "option '--%s' needs a value (%s)",
			         opt->name, opt->metavar ? opt->metavar : "VALUE");
			return -1;
		}
		if (set_value(opt, out, value, err, errlen) < 0)
			return -1;
	}
	/* Lists with a default get it only when never given. */
	for (opt = table; opt->name; opt++) {
		if (opt->type == CONFIG_LIST && opt->def) {
			struct config_list *l = FIELD(out, opt, struct config_list);
			if (l->n == 0 && list_append(l, opt->def) < 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	*rest = i;
	return 0;
}

void config_usage(const struct config_option *table, FILE *fp,
                  const char *synopsis)
{
	const struct config_option *opt;

	fprintf(fp, "Usage: %s\n\nOptions:\n", synopsis);
	for (opt = table; opt->name; opt++) {
		char left[64];

		if (opt->type == CONFIG_FLAG)
			snprintf(left, sizeof(left), "--%s", opt->name);
		else
			snprintf(left, sizeof(left), "--%s %s", opt->name,
			         opt->metavar ? opt->metavar : "VALUE");
		fprintf(fp, "  %-26s %s", left, opt->help);
		if (opt->type == CONFIG_CHOICE) {
			const char *const *c;
			fputs(" (", fp);
			for (c = opt->choices; *c; c++)
				fprintf(fp, "%s%s", c == opt->choices ? "" : "|", *c);
			fputs(")", fp);
		}
		if (opt->type == CONFIG_UINT && opt->max)
			fprintf(fp, " [%lu-%lu]", opt->min, opt->max);
		if (opt->type == CONFIG_LIST)
			fputs(" (repeatable)", fp);
		if (opt->def)
			fprintf(fp, " (default: %s)", opt->def);
		fputc('\n', fp);
	}
	fprintf(fp, "  %-26s %s\n  %-26s %s\n", "--help", "show this help and exit",
	        "--version", "show the version and exit");
}

void config_free(const struct config_option *table, void *out)
{
	const struct config_option *opt;

	for (opt = table; opt->name; opt++) {
		if (opt->type == CONFIG_LIST) {
			struct config_list *l = FIELD(out, opt, struct config_list);
			free(l->items);
			l->items = NULL;
			l->n = 0;
		}
	}
}

static const struct config_option *find_option(const struct config_option *table,
                                               const char *name, size_t len)
{
	for (; table->name; table++)
		if (strlen(table->name) == len && memcmp(table->name, name, len) == 0)
			return table;
	return NULL;
}

static int set_value(const struct config_option *opt, void *out,
                     const char *value, char *err, size_t errlen)
{
	switch (opt->type) {
	case CONFIG_STRING:
		*FIELD(out, opt, const char *) = value;
		return 0;
	case CONFIG_LIST:
		if (list_append(FIELD(out, opt, struct config_list), value) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case CONFIG_UINT: {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || end == value || *end || value[0] == '-' ||
		    v < opt->min || v > opt->max) {
			snprintf(err, errlen,
			         "invalid value '%s' for --%s: expected a number from %lu to %lu",
			         value, opt->name, opt->min, opt->max);
			return -1;
		}
		*FIELD(out, opt, unsigned long) = v;
		return 0;
	}
	case CONFIG_CHOICE: {
		int k;
		for (k = 0; opt->choices[k]; k++) {
			if (strcmp(opt->choices[k], value) == 0) {
				*FIELD(out, opt, int) = k;
				return 0;
			}
		}
		snprintf(err, errlen, "invalid value '%s' for --%s", value, opt->name);
		return -1;
	}
	case CONFIG_FLAG:
		break;
	}
	return -1;
}

static int list_append(struct config_list *list, const char *item)
{
	const char **grown = realloc(list->items, (list->n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	grown[list->n++] = item;
	list->items = grown;
	return 0;
}

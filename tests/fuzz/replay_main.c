/* replay_main.c - a main() for the fuzz targets in the normal build: runs
 * every file of the target's seed corpus and regression directory (or the
 * files and directories named on the command line) through
 * LLVMFuzzerTestOneInput once, so make check (plain and sanitizer builds)
 * replays every input that ever found a bug, without clang. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME must name the target (e.g. query)"
#endif

static int replay_path(const char *path, size_t *count);
static int replay_file(const char *path);

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, bad = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			bad |= replay_path(argv[i], &count);
	} else {
		const char *testdir = getenv("TESTDIR");
		char path[4096];

		if (!testdir) {
			fprintf(stderr, "replay_%s: set TESTDIR or name inputs\n", FUZZ_NAME);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/fuzz/corpus/%s", testdir, FUZZ_NAME);
		bad |= replay_path(path, &count);
		snprintf(path, sizeof(path), "%s/fuzz/regressions/%s", testdir, FUZZ_NAME);
		if (access(path, F_OK) == 0)
			bad |= replay_path(path, &count);
	}
	printf("replay_%s: %zu inputs\n", FUZZ_NAME, count);
	return bad || count == 0 ? 1 : 0;
}

static int replay_path(const char *path, size_t *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int bad = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		char sub[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		bad |= replay_path(sub, count);
	}
	closedir(d);
	return bad;
}

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!fp) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);
			if (!nb) {
				free(buf);
				fclose(fp);
				return 1;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	fclose(fp);
	/* A replay failure aborts inside the target, naming the check; say
	   which file first. */
	fprintf(stderr, "replay_%s: %s\n", FUZZ_NAME, path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* fuzz_corefile.c - the Corefile converter (corefile_convert) on arbitrary
 * bytes: it returns 0, 1 or 2; a text it refuses (1) prints no options; and
 * what it prints is options only, one a line ("--name" first, no control
 * bytes), whatever the input held. Messages go to /dev/null. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corefile.h"
#include "fuzz.h"

/* Larger than anything the converter can print (64 values of 1 KiB for a
   handful of repeatable flags). */
#define OUT_MAX (1u << 20)

static FILE *devnull;
static char *out_buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	out_buf = malloc(OUT_MAX);
	if (!devnull || !out_buf) {
		perror("fuzz_corefile");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes: a read past the end is caught. */
	char *text = malloc(size ? size : 1);
	FILE *out;
	size_t len, i;
	int rc;

	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	out_buf[0] = '\0'; /* fmemopen ends what it wrote with a NUL */
	out = fmemopen(out_buf, OUT_MAX, "w");
	FUZZ_ASSERT(out);
	rc = corefile_convert(text, size, "fuzz", out, devnull);
	FUZZ_ASSERT(fclose(out) == 0);
	free(text);
	len = strlen(out_buf);
	FUZZ_ASSERT(len < OUT_MAX - 1);
	FUZZ_ASSERT(rc == 0 || rc == 1 || rc == 2);
	if (rc == 1)
		FUZZ_ASSERT(len == 0);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)out_buf[i];

		if (i == 0 || out_buf[i - 1] == '\n')
			FUZZ_ASSERT(len - i >= 3 && ch == '-' && out_buf[i + 1] == '-');
		FUZZ_ASSERT(ch == '\n' || (ch >= 0x20 && ch != 0x7f));
	}
	FUZZ_ASSERT(len == 0 || out_buf[len - 1] == '\n');
	return 0;
}

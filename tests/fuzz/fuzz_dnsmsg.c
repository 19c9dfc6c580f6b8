/* fuzz_dnsmsg.c - the forwarder's reply parser (dnsmsg_parse) on arbitrary
 * bytes: everything it indexes must lie inside the message; and every
 * record of a message it accepts can be copied with its names expanded
 * (dnsmsg_copy_rr, used for ExternalName answers) without overrunning the
 * output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsmsg m;
	uint8_t *copy = malloc(size ? size : 1);
	size_t i;

	FUZZ_ASSERT(copy);
	memcpy(copy, data, size);
	if (dnsmsg_parse(copy, size, &m) == 0) {
		FUZZ_ASSERT(size >= 12 && m.qdcount == 1);
		FUZZ_ASSERT(m.question_end >= 12 + 5 && m.question_end <= size);
		FUZZ_ASSERT(m.qname_len >= 1 && m.qname_len <= 255);
		FUZZ_ASSERT(m.qname[m.qname_len - 1] == 0);
		FUZZ_ASSERT(m.n_ttls <= DNSMSG_MAX_RRS);
		for (i = 0; i < m.n_ttls; i++)
			FUZZ_ASSERT(m.ttl_at[i] >= m.question_end &&
			            (size_t)m.ttl_at[i] + 4 <= size);
		if (m.has_opt)
			FUZZ_ASSERT(m.opt_start >= m.question_end &&
			            m.opt_start + 11 <= m.opt_end && m.opt_end <= size);
		FUZZ_ASSERT(m.n_ttls + m.has_opt ==
		            (size_t)m.an + m.ns + m.ar);
		{
			static uint8_t out[70000];
			size_t pos = m.question_end, n, r;
			for (r = 0; r < (size_t)m.an + m.ns + m.ar; r++) {
				size_t before = pos;
				n = dnsmsg_copy_rr(copy, size, &pos, out, sizeof(out));
				if (!n)
					break;
				FUZZ_ASSERT(n <= sizeof(out) && pos > before && pos <= size);
			}
		}
	}
	free(copy);
	return 0;
}

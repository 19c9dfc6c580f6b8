/* fuzz.h - the libFuzzer entry points every tests/fuzz/fuzz_*.c defines, so
 * the same files build both as libFuzzer targets (make fuzz, clang) and as
 * corpus replayers under the normal build (make check, replay_main.c). */
#ifndef SVCDNS_FUZZ_H
#define SVCDNS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fails the run loudly: libFuzzer saves the input, the replayer names it. */
#define FUZZ_ASSERT(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", \
			        __FILE__, __LINE__, #cond);                  \
			abort();                                              \
		}                                                             \
	} while (0)

#endif

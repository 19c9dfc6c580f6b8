/* fuzz_kubeconfig.c - the kubeconfig reader (libyaml, base64 blobs, path
 * joining) on arbitrary files, and the base64 decoder on arbitrary text.
 * kubeconfig_load reads only the file it is given, so naming other files
 * inside the input cannot make the run touch them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "kubeconfig.h"
#include "log.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	log_init("fuzz_kubeconfig", LOG_LEVEL_ERROR);
	snprintf(path, sizeof(path), "/tmp/svcdns-fuzz-kubeconfig.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_kubeconfig: mkstemp");
		exit(1);
	}
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubeconfig kc;
	char err[512];
	FILE *fp;
	char *text;
	unsigned char *bin;
	size_t n = 0;

	fp = fopen(path, "wb");
	FUZZ_ASSERT(fp);
	FUZZ_ASSERT(fwrite(data, 1, size, fp) == size || size == 0);
	FUZZ_ASSERT(fclose(fp) == 0);
	memset(&kc, 0, sizeof(kc));
	err[0] = '\0';
	if (kubeconfig_load(path, NULL, &kc, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		FUZZ_ASSERT(kc.server == NULL && kc.token == NULL);
	} else {
		FUZZ_ASSERT(kc.server != NULL);
	}
	kubeconfig_clear(&kc);

	text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	bin = kubeconfig_base64_decode(text, &n);
	if (bin)
		FUZZ_ASSERT(n <= size / 4 * 3 + 3 && bin[n] == '\0');
	free(bin);
	free(text);
	return 0;
}

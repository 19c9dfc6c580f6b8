/* test_kubeconfig.c - kubeconfig reading (current context, -data fields,
 * relative paths, errors) and in-cluster detection, on files this test
 * writes into a private temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube_client.h"
#include "kubeconfig.h"

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const char *path_of(const char *name)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_kubeconfig.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {"kc1", "kc2", "kc3", "kc4", "kc5",
	                                    "token", "ca.crt", "namespace"};
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path_of(names[i]));
	rmdir(tmpdir);
	return 0;
}

static void test_base64(void **state)
{
	size_t n;
	unsigned char *p;
	(void)state;
	p = kubeconfig_base64_decode("aGVsbG8gd29ybGQ=", &n);
	assert_non_null(p);
	assert_int_equal(n, 11);
	assert_memory_equal(p, "hello world", 11);
	free(p);
	p = kubeconfig_base64_decode("aGVs\nbG8=\n", &n);
	assert_non_null(p);
	assert_int_equal(n, 5);
	free(p);
	p = kubeconfig_base64_decode("", &n);
	assert_non_null(p);
	assert_int_equal(n, 0);
	free(p);
	assert_null(kubeconfig_base64_decode("a*bc", &n));
	assert_null(kubeconfig_base64_decode("aGVs=bG8", &n));
	assert_null(kubeconfig_base64_decode("aGVsbG8", &n));  /* unpadded */
	assert_null(kubeconfig_base64_decode("aGVsbG8-", &n)); /* URL alphabet */
	p = kubeconfig_base64_decode("aGVs\r\n bG8=\r\n", &n);
	assert_non_null(p);
	assert_memory_equal(p, "hello", 5);
	free(p);
	{
		/* larger than a DNS rdata (ldns's decoder stops at 64 KiB) */
		size_t big = 120000, i;
		char *b64 = malloc(big / 3 * 4 + 1);
		assert_non_null(b64);
		for (i = 0; i < big / 3 * 4; i++)
			b64[i] = (i % 4 == 0) ? 'Q' : 'A'; /* "QAAA": 0x40 0 0 */
		b64[big / 3 * 4] = '\0';
		p = kubeconfig_base64_decode(b64, &n);
		assert_non_null(p);
		assert_int_equal(n, big);
		assert_int_equal(p[0], 0x40);
		assert_int_equal(p[big - 3], 0x40);
		assert_int_equal(p[big - 1], 0);
		free(p);
		free(b64);
	}
}

static void test_current_context(void **state)
{
	struct kubeconfig kc;
	struct kube_client_config cfg;
	char err[256];
	(void)state;
	/* written the way kubectl writes it: block style, quoted strings */
	write_file("kc1",
	           "apiVersion: v1\n"
	           "kind: Config\n"
	           "clusters:\n"
	           "- cluster:\n"
	           "    server: https://other:6443\n"
	           "  name: other\n"
	           "- cluster:\n"
	           "    certificate-authority-data: aGVsbG8=\n"
	           "    server: \"https://10.0.0.1:6443\"\n"
	           "  name: c1\n"
	           "contexts:\n"
	           "- context: {cluster: other, user: u2}\n"
	           "  name: ctx-other\n"
	           "- context:\n"
	           "    cluster: c1\n"
	           "    user: u1\n"
	           "    namespace: prod\n"
	           "  name: ctx\n"
	           "current-context: ctx\n"
	           "users:\n"
	           "- name: u1\n"
	           "  user:\n"
	           "    token: 'abc.def'\n"
	           "    client-certificate-data: Y2VydA==\n"
	           "    client-key-data: a2V5\n"
	           "- name: u2\n"
	           "  user:\n"
	           "    tokenFile: token\n");
	assert_int_equal(kubeconfig_load(path_of("kc1"), NULL, &kc, err,
	                                 sizeof(err)), 0);
	assert_string_equal(kc.server, "https://10.0.0.1:6443");
	assert_int_equal(kc.ca_data_len, 5);
	assert_memory_equal(kc.ca_data, "hello", 5);
	assert_null(kc.ca_file);
	assert_false(kc.insecure);
	assert_string_equal(kc.token, "abc.def");
	assert_null(kc.token_file);
	assert_int_equal(kc.cert_data_len, 4);
	assert_memory_equal(kc.cert_data, "cert", 4);
	assert_int_equal(kc.key_data_len, 3);
	assert_string_equal(kc.namespace_, "prod");

	memset(&cfg, 0, sizeof(cfg));
	kubeconfig_to_client(&kc, &cfg);
	assert_ptr_equal(cfg.server, kc.server);
	assert_ptr_equal(cfg.ca_data, kc.ca_data);
	assert_int_equal(cfg.key_data_len, 3);
	kubeconfig_clear(&kc);
	assert_null(kc.server);

	/* another context by name; tokenFile relative to the file */
	assert_int_equal(kubeconfig_load(path_of("kc1"), "ctx-other", &kc, err,
	                                 sizeof(err)), 0);
	assert_string_equal(kc.server, "https://other:6443");
	assert_string_equal(kc.token_file, path_of("token"));
	assert_null(kc.token);
	kubeconfig_clear(&kc);
}

static void test_files_and_insecure(void **state)
{
	struct kubeconfig kc;
	char err[256];
	(void)state;
	write_file("kc2",
	           "current-context: x\n"
	           "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	           "clusters:\n"
	           "- name: c\n"
	           "  cluster:\n"
	           "    server: https://h\n"
	           "    certificate-authority: ca.crt\n"
	           "    insecure-skip-tls-verify: true\n"
	           "users:\n"
	           "- name: u\n"
	           "  user:\n"
	           "    client-certificate: /abs/client.crt\n"
	           "    client-key: sub/client.key\n");
	assert_int_equal(kubeconfig_load(path_of("kc2"), NULL, &kc, err,
	                                 sizeof(err)), 0);
	assert_string_equal(kc.ca_file, path_of("ca.crt"));
	assert_true(kc.insecure);
	assert_string_equal(kc.client_cert, "/abs/client.crt");
	assert_string_equal(kc.client_key, path_of("sub/client.key"));
	assert_null(kc.namespace_);
	kubeconfig_clear(&kc);
}

static void test_errors(void **state)
{
	struct kubeconfig kc;
	char err[256];
	(void)state;
	assert_int_equal(kubeconfig_load(path_of("missing"), NULL, &kc, err,
	                                 sizeof(err)), -1);
	assert_non_null(strstr(err, "missing"));

	write_file("kc3", "current-context: nope\ncontexts: []\n");
	assert_int_equal(kubeconfig_load(path_of("kc3"), NULL, &kc, err,
	                                 sizeof(err)), -1);
	assert_non_null(strstr(err, "context \"nope\" not found"));

	write_file("kc4", "current-context: x\n"
	                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	                  "users: [{name: u, user: {exec: {command: aws}}}]\n");
	assert_int_equal(kubeconfig_load(path_of("kc4"), NULL, &kc, err,
	                                 sizeof(err)), -1);
	assert_non_null(strstr(err, "not supported"));
	assert_null(kc.server);

	write_file("kc5", "a: [unclosed\n");
	assert_int_equal(kubeconfig_load(path_of("kc5"), NULL, &kc, err,
	                                 sizeof(err)), -1);
	assert_non_null(strstr(err, "line"));

	write_file("kc5", "current-context: x\n"
	                  "contexts: [{name: x, context: {cluster: c}}]\n"
	                  "clusters: [{name: c, cluster: {certificate-authority-data: '!!'}}]\n");
	assert_int_equal(kubeconfig_load(path_of("kc5"), NULL, &kc, err,
	                                 sizeof(err)), -1);
	assert_non_null(strstr(err, "no server"));
}

static void test_in_cluster(void **state)
{
	struct kubeconfig kc;
	char err[256];
	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_false(kubeconfig_in_cluster_available());
	assert_int_equal(kubeconfig_in_cluster(&kc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv(KUBECONFIG_SA_DIR_ENV, tmpdir, 1);
	assert_true(kubeconfig_in_cluster_available());
	/* no token file yet */
	assert_int_equal(kubeconfig_in_cluster(&kc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "token"));

	write_file("token", "eyJhbGciOi\n");
	write_file("ca.crt", "-----BEGIN CERTIFICATE-----\n");
	write_file("namespace", "kube-system\n");
	assert_int_equal(kubeconfig_in_cluster(&kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://10.96.0.1:443");
	assert_string_equal(kc.token_file, path_of("token"));
	assert_string_equal(kc.ca_file, path_of("ca.crt"));
	assert_string_equal(kc.namespace_, "kube-system");
	kubeconfig_clear(&kc);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kubeconfig_in_cluster(&kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://[fd00::1]:443");
	kubeconfig_clear(&kc);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv(KUBECONFIG_SA_DIR_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_current_context),
		cmocka_unit_test(test_files_and_insecure),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_in_cluster),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

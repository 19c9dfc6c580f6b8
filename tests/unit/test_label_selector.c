/* test_label_selector.c - Kubernetes label selectors: every operator's
 * meaning (apimachinery's: != and notin also match a missing key, > and <
 * only integers), whitespace, prefixed keys, empty values, and the syntax
 * errors kubectl -l rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "label_selector.h"

/* "k=v,k2=v2" -> "k\0v\0k2\0v2\0" */
static size_t labels_of(const char *text, char *out)
{
	size_t n = 0;

	for (; *text; text++)
		out[n++] = (*text == '=' || *text == ',') ? '\0' : *text;
	if (n)
		out[n++] = '\0';
	return n;
}

static bool sel(const char *selector, const char *labels)
{
	char err[256], buf[512];
	struct label_selector *s = label_selector_parse(selector, err, sizeof(err));
	size_t n = labels_of(labels, buf);
	bool m;

	if (!s)
		fail_msg("%s", err);
	m = label_selector_matches(s, buf, n);
	label_selector_free(s);
	return m;
}

static void test_operators(void **state)
{
	(void)state;
	assert_true(sel("", "app=web"));
	assert_true(sel("   ", ""));
	assert_true(sel("app=web", "app=web,tier=fe"));
	assert_true(sel("app==web", "app=web"));
	assert_false(sel("app=web", "app=db"));
	assert_false(sel("app=web", "tier=fe"));
	assert_true(sel("app!=web", "app=db"));
	assert_true(sel("app!=web", "tier=fe")); /* a missing key is not web */
	assert_false(sel("app!=web", "app=web"));
	assert_true(sel("app", "app=")); /* exists, with an empty value */
	assert_false(sel("app", "tier=fe"));
	assert_true(sel("!app", "tier=fe"));
	assert_false(sel("!app", "app=web"));
	assert_true(sel("env in (staging, qa)", "env=qa"));
	assert_false(sel("env in (staging,qa)", "env=prod"));
	assert_false(sel("env in (staging,qa)", "app=web"));
	assert_true(sel("env notin (staging,qa)", "env=prod"));
	assert_true(sel("env notin (staging,qa)", "app=web"));
	assert_false(sel("env notin (staging,qa)", "env=staging"));
	assert_true(sel("env in(qa)", "env=qa"));
	assert_true(sel("replicas>2", "replicas=3"));
	assert_false(sel("replicas>2", "replicas=2"));
	assert_false(sel("replicas>2", "replicas=many"));
	assert_false(sel("replicas>2", "app=web"));
	assert_true(sel("replicas<2", "replicas=1"));
	assert_true(sel("app=", "app="));
	assert_false(sel("app=", "app=web"));
	/* every requirement must hold */
	assert_true(sel("environment in (staging, qa),application=nginx", "environment=qa,application=nginx"));
	assert_false(sel("environment in (staging, qa),application=nginx", "environment=qa,application=apache"));
	assert_true(sel(" app = web , !canary , tier notin ( db ) ", "app=web,tier=fe"));
	assert_true(sel("kubernetes.io/metadata.name=shop", "kubernetes.io/metadata.name=shop"));
	assert_true(sel("example.com/team in (a-1,b_2,c.3)", "example.com/team=b_2"));
}

static void test_errors(void **state)
{
	static const char *const bad[] = {
		"app=web,", ",app", "=web", "app in ()", "app in (a", "app in a", "app notin",
		"app=-web", "app=web-", "app = a b", "app>x", "app<", "/name=x", "Pre.fix/name=x",
		"app=web)", "a@b=c", "app ~ web", "!", "!app=web",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x",
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct label_selector *s;
		err[0] = '\0';
		s = label_selector_parse(bad[i], err, sizeof(err));
		if (s)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(strstr(err, "label selector"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

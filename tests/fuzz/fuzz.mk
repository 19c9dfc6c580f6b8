# tests/fuzz/fuzz.mk - libFuzzer targets (make fuzz) and their corpus
# replayers (make check); included by Makefile.am.
#
# make fuzz compiles the library sources again with clang into $(FUZZ_DIR)
# (ASan + UBSan + fuzzer instrumentation; the normal objects are left
# alone), links one binary per target, and runs each for FUZZ_SECONDS with
# its seed corpus and dictionary. New inputs go to $(FUZZ_DIR)/corpus, never
# to the source tree; a crash or assertion leaves its input in
# $(FUZZ_DIR)/artifacts and fails the run. Copy such a file to
# tests/fuzz/regressions/<target>/ once the bug is fixed: make check
# replays every corpus and regression file through the same code, built
# with the normal compiler.
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=query FUZZ_FLAGS=-jobs=1

FUZZ_TARGETS = query kube_json_document kube_json_watch kubeconfig dnsmsg corefile
FUZZ_SECONDS = 60
FUZZ_FLAGS =
FUZZ_CC = clang
FUZZ_DIR = fuzz-build
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_COMPILE = -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_INCLUDES = $(DEFS) -I. -I$(srcdir) $(AM_CPPFLAGS) \
	-I$(srcdir)/tests/fuzz \
	-DFUZZ_ZONES_DIR='"$(abs_top_srcdir)/zones/demo"' \
	$(LDNS_CFLAGS) $(EVENT_CFLAGS) $(CURL_CFLAGS) $(YAJL_CFLAGS) \
	$(URCU_CFLAGS) $(YAML_CFLAGS)
FUZZ_LIB_OBJS = $(patsubst src/%.c,$(FUZZ_DIR)/lib/%.o,\
	$(filter %.c,$(libsvcdns_a_SOURCES)))
FUZZ_HDRS = $(addprefix $(srcdir)/,$(filter %.h,$(libsvcdns_a_SOURCES))) \
	$(srcdir)/tests/fuzz/fuzz.h
FUZZ_BINS = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_DIR)/lib/%.o: $(srcdir)/src/%.c $(FUZZ_HDRS)
	@mkdir -p $(FUZZ_DIR)/lib
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_INCLUDES) $(FUZZ_COMPILE) \
		-fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libsvcdns.a: $(FUZZ_LIB_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) cr $@ $(FUZZ_LIB_OBJS) && $(RANLIB) $@

$(FUZZ_DIR)/fuzz_%: $(srcdir)/tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libsvcdns.a \
		$(FUZZ_HDRS)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_INCLUDES) $(FUZZ_COMPILE) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libsvcdns.a $(DEPS_LIBS) \
		$(LIBS)

fuzz-bins: $(FUZZ_BINS)

# Every target runs even when an earlier one failed; the run fails if any
# did. The regression directory is read first, as a corpus, so an old bug
# coming back fails within the first second.
fuzz: fuzz-bins
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
		case $$t in query|dnsmsg) dict=dns.dict ;; kubeconfig) dict=kubeconfig.dict ;; \
			corefile) dict=corefile.dict ;; *) dict=json.dict ;; esac; \
		seeds=$(srcdir)/tests/fuzz/corpus/$$t; \
		reg=$(srcdir)/tests/fuzz/regressions/$$t; \
		test -d $$reg || reg=; \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		SVCDNS_FUZZ_ZONES=$(abs_top_srcdir)/zones/demo \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 \
			-dict=$(srcdir)/tests/fuzz/$$dict \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- $(FUZZ_FLAGS) \
			$(FUZZ_DIR)/corpus/$$t $$seeds $$reg \
			>$(FUZZ_DIR)/$$t.log 2>&1 || failed="$$failed $$t"; \
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' \
			$(FUZZ_DIR)/$$t.log | tail -n 2; \
	done; \
	if test -n "$$failed"; then \
		echo "fuzz: FAILED:$$failed (see $(FUZZ_DIR)/<target>.log and $(FUZZ_DIR)/artifacts)"; \
		exit 1; \
	fi; \
	echo "fuzz: every target ran $(FUZZ_SECONDS) s without a crash"

fuzz-clean:
	rm -rf $(FUZZ_DIR)

.PHONY: fuzz fuzz-bins fuzz-clean

# ---- the same targets as corpus replayers, in make check ----------------
FUZZ_REPLAYS = tests/fuzz/replay_query tests/fuzz/replay_kube_json_document \
	tests/fuzz/replay_kube_json_watch tests/fuzz/replay_kubeconfig \
	tests/fuzz/replay_dnsmsg tests/fuzz/replay_corefile
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
FUZZ_REPLAY_LIBS = libsvcdns.a $(DEPS_LIBS)
FUZZ_REPLAY_DEFS = $(AM_CPPFLAGS) -I$(srcdir)/tests/fuzz \
	-DFUZZ_ZONES_DIR='"$(abs_top_srcdir)/zones/demo"'
tests_fuzz_replay_query_SOURCES = tests/fuzz/fuzz_query.c \
	tests/fuzz/replay_main.c tests/fuzz/fuzz.h
tests_fuzz_replay_query_CPPFLAGS = $(FUZZ_REPLAY_DEFS) -DFUZZ_NAME='"query"'
tests_fuzz_replay_query_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_kube_json_document_SOURCES = \
	tests/fuzz/fuzz_kube_json_document.c tests/fuzz/replay_main.c
tests_fuzz_replay_kube_json_document_CPPFLAGS = $(FUZZ_REPLAY_DEFS) \
	-DFUZZ_NAME='"kube_json_document"'
tests_fuzz_replay_kube_json_document_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_kube_json_watch_SOURCES = \
	tests/fuzz/fuzz_kube_json_watch.c tests/fuzz/replay_main.c
tests_fuzz_replay_kube_json_watch_CPPFLAGS = $(FUZZ_REPLAY_DEFS) \
	-DFUZZ_NAME='"kube_json_watch"'
tests_fuzz_replay_kube_json_watch_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_kubeconfig_SOURCES = tests/fuzz/fuzz_kubeconfig.c \
	tests/fuzz/replay_main.c
tests_fuzz_replay_kubeconfig_CPPFLAGS = $(FUZZ_REPLAY_DEFS) \
	-DFUZZ_NAME='"kubeconfig"'
tests_fuzz_replay_kubeconfig_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_dnsmsg_SOURCES = tests/fuzz/fuzz_dnsmsg.c tests/fuzz/replay_main.c
tests_fuzz_replay_dnsmsg_CPPFLAGS = $(FUZZ_REPLAY_DEFS) -DFUZZ_NAME='"dnsmsg"'
tests_fuzz_replay_dnsmsg_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_corefile_SOURCES = tests/fuzz/fuzz_corefile.c tests/fuzz/replay_main.c
tests_fuzz_replay_corefile_CPPFLAGS = $(FUZZ_REPLAY_DEFS) -DFUZZ_NAME='"corefile"'
tests_fuzz_replay_corefile_LDADD = $(FUZZ_REPLAY_LIBS)

EXTRA_DIST += tests/fuzz/corpus tests/fuzz/regressions tests/fuzz/make_seeds.py \
	tests/fuzz/dns.dict tests/fuzz/json.dict tests/fuzz/kubeconfig.dict tests/fuzz/corefile.dict

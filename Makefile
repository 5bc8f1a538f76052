# udplab - build the lessons, the lab solutions and the tools; run the tests.
#
#   make               build every program into build/ (gcc)
#   make CC=clang      the same with clang
#   make demo          install what is missing, then send a datagram and
#                      watch it come back
#   make check         install what is missing, then run the whole suite:
#                      gcc and clang, AddressSanitizer+UBSan, valgrind
#   make test-lab LAB=01 SRC=path/to/hexdump-server.c
#                      grade your own lab program as your instructor will:
#                      each test of its lab's suite, its points, the total
#   make grade LAB=05 SUB=path
#                      grade one submission (a folder, a .c file, a .zip or
#                      a .tar.gz) in a sandbox: a table, and result.json
#   make rubric LAB=05 add the suite's tests that tests/lab_05.rubric lacks
#   make bench         install what is missing, then measure lesson 04's
#                      echo server against a bare loop, Python, socat and
#                      sockperf (a few minutes; bench-smoke: seconds)
#   make handouts      install what is missing, then turn every lesson into
#                      a handout, HTML and PDF: build/handouts/index.html
#   make fuzz          run each libFuzzer target (tests/fuzz/) for FUZZ_TIME
#                      seconds (60), after its corpus as regression tests
#   make clean         remove build/
#
# Your own CFLAGS, CPPFLAGS and LDFLAGS are added after ours, so
# "make CFLAGS=-O0" works.

ifeq ($(origin CC),default)
CC = gcc
endif

BUILD ?= build

STD_CFLAGS = -std=c17 -Wall -Wextra -Wpedantic -Werror -g -O2 -MMD -MP
STD_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -Icommon

# SANITIZE=1 builds the programs (not the test runner) with ASan+UBSan.
# -fno-sanitize-recover makes every UBSan report fatal, not a warning the
# program runs past.
ifeq ($(SANITIZE),1)
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
endif

ALL_CFLAGS = $(STD_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_CPPFLAGS = $(STD_CPPFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
# The C library's maths (sqrt for the pinger's deviation) is a library of
# its own on Linux, libm: every program may use it, a student's too.
ALL_LDLIBS = -lm $(LDLIBS)

# Every program is one .c file with common/net.c; its name is the file's.
# They are named here, not found by wildcard: a student's own file in a
# lesson folder (lessons/01-bare-server/hexdump-server.c, as a LAB.md
# suggests) is theirs to build with "make test-lab", not ours.
LESSON_SRCS := lessons/01-bare-server/bare-server.c \
               lessons/02-fixed-reply/fixed-reply.c \
               lessons/03-client/client.c \
               lessons/04-echo-server/echo-server.c \
               lessons/05-echo-client/echo-client.c \
               lessons/06-stopping-cleanly/counting-echo.c
# A student's copy (make starter) has no solutions/ and no bench/: what is
# not there is not built.
SOLUTION_SRCS := $(wildcard solutions/01-bare-server/hexdump-server.c \
                 solutions/02-fixed-reply/daytime-server.c \
                 solutions/03-client/checked-client.c \
                 solutions/04-echo-server/safe-echo.c \
                 solutions/05-echo-client/pinger.c)
TOOL_SRCS := tools/relay.c
# The benchmark's own programs (bench/run drives them and the peers).
BENCH_SRCS := $(wildcard bench/loadgen.c bench/bare-echo.c bench/batch-echo.c)
PROG_SRCS := $(LESSON_SRCS) $(SOLUTION_SRCS) $(TOOL_SRCS) $(BENCH_SRCS)
# What grading needs: the lessons and the relay, which the lab suites run
# beside the program under test, and the runners.
GRADER_PROGS := $(addprefix $(BUILD)/,$(basename $(notdir \
    $(LESSON_SRCS) $(TOOL_SRCS))))
PROGS := $(addprefix $(BUILD)/,$(basename $(notdir $(PROG_SRCS))))
# Any other .c file in a lesson folder (a student's), named in a note at
# the end of "make".
OTHER_SRCS := $(filter-out $(PROG_SRCS),$(wildcard lessons/*/*.c))

# The deliberately wrong lab solutions: each is the reference solution with
# one mistake, kept as a patch (tests/wrong/NN-lab/MISTAKE/mistake.diff) so
# that the mistake is all it shows, and built without sanitizers into
# $(BUILD)/wrong/NN-lab/MISTAKE.
WRONG_DIRS := $(sort $(dir $(wildcard tests/wrong/*/*/mistake.diff)))
WRONG_PROGS := $(patsubst tests/wrong/%/,$(BUILD)/wrong/%,$(WRONG_DIRS))

# The Criterion suites: tests/lessons_*.c make one runner, tests/floods.c
# another, and each lab its own.
HARNESS_OBJ := $(BUILD)/obj/tests/harness.o
LESSON_TEST_SRCS := $(sort $(wildcard tests/lessons_*.c))
LAB_TEST_SRCS := $(sort $(filter-out %.extra.c,$(wildcard tests/lab_*.c)))
# An instructor's own tests for lab NN, which students' copies lack:
# $(EXTRA_TESTS)/lab_NN.extra.c, linked into lab NN's runner when it is
# there, and priced in $(EXTRA_TESTS)/lab_NN.extra.rubric.
EXTRA_TESTS ?= tests
TEST_RUNNERS := $(BUILD)/tests/lessons $(BUILD)/tests/floods \
                $(patsubst tests/%.c,$(BUILD)/tests/%,$(LAB_TEST_SRCS))

.PHONY: all tests wrong demo check check-one test-lab grade grade-all rubric grader \
        gradescope starter bench bench-grade \
        bench-smoke \
        handouts check-handouts fuzz deps-build deps-test deps-grade deps-bench \
        deps-handouts clean
.DEFAULT_GOAL := all
# A recipe that fails leaves no half-made target to pass for a made one.
.DELETE_ON_ERROR:
# No object file is thrown away as intermediate: the next make would
# compile it again.
.SECONDARY:

all: $(PROGS)
ifneq ($(OTHER_SRCS),)
	@for f in $(OTHER_SRCS); do \
	    nn=$$(basename "$$(dirname "$$f")" | cut -d- -f1); \
	    echo "make: $$f is not one of udplab's programs, so it was not" \
	        "built; test it with: make test-lab LAB=$$nn SRC=$$f"; done
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

define prog_rule
$(BUILD)/$(basename $(notdir $(1))): $(BUILD)/obj/$(1:.c=.o) \
    $(BUILD)/obj/common/net.o
endef
$(foreach s,$(PROG_SRCS),$(eval $(call prog_rule,$(s))))

$(PROGS):
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# Wrong solutions: plain flags, whatever SANITIZE says, so that each fails
# the lab's tests for its mistake and not for a sanitizer report.  A patch
# that no longer applies to its solution stops the build: update the patch.
wrong_solution = $(filter solutions/$(patsubst %/,%,$(dir $(1)))/%,\
    $(SOLUTION_SRCS))
.SECONDEXPANSION:
$(BUILD)/wrong/%: tests/wrong/%/mistake.diff $$(call wrong_solution,$$*) \
    common/net.c common/net.h
	@mkdir -p $@.src
	patch -s -o $@.src/$(notdir $(word 2,$^)) $(word 2,$^) $<
	$(CC) $(STD_CPPFLAGS) $(STD_CFLAGS) -MF /dev/null -o $@ \
	    $@.src/$(notdir $(word 2,$^)) common/net.c $(CFLAGS) $(LDFLAGS) \
	    $(ALL_LDLIBS)

# Test runners: never sanitized themselves (they test sanitized programs).
TEST_CFLAGS = $(STD_CFLAGS) $(CFLAGS) -pthread
TEST_LIBS = -lcriterion -pthread

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/lessons: $(LESSON_TEST_SRCS:%.c=$(BUILD)/obj/%.o) $(HARNESS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

# The floods run alone, one test at a time (tests/floods.c says why).
$(BUILD)/tests/floods: $(BUILD)/obj/tests/floods.o $(HARNESS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

$(BUILD)/obj/extra/%.o: $(EXTRA_TESTS)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Itests $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/lab_%: $(BUILD)/obj/tests/lab_%.o $(HARNESS_OBJ) \
    $$(if $$(wildcard $(EXTRA_TESTS)/lab_$$*.extra.c),$\
    $(BUILD)/obj/extra/lab_$$*.extra.o)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

tests: $(PROGS) $(TEST_RUNNERS)

# The wrong solutions, which only the plain build's check runs.
wrong: $(WRONG_PROGS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Grading (scripts/grade): each test of the lab's suite alone, in a sandbox
# (scripts/sandbox-exec), scored with tests/lab_NN.rubric.  test-lab is the
# same grader, so that a student sees the points before handing in; it
# exits 1 unless every test passed.  GRADE_FLAGS: more of the grader's
# options (scripts/grade --help).
check_lab = if [ -z "$(LAB)" ] || [ -z "$(2)" ]; then \
	    echo "usage: make $(1) LAB=NN $(3)=path" >&2; exit 2; fi; \
	if [ ! -f tests/lab_$(LAB).c ]; then \
	    echo "make $(1): no lab $(LAB); the labs are:" \
	        $(patsubst tests/lab_%.c,%,$(LAB_TEST_SRCS)) >&2; exit 2; fi; \
	if [ ! -e "$(2)" ]; then \
	    echo "make $(1): $(2): no such file" >&2; exit 2; fi

test-lab: deps-grade
	@$(call check_lab,test-lab,$(SRC),SRC)
	@$(MAKE) --no-print-directory -s $(GRADER_PROGS) $(BUILD)/tests/lab_$(LAB)
	@./scripts/grade --build $(BUILD) --strict \
	    --out $(BUILD)/mine/lab_$(LAB) $(GRADE_FLAGS) $(LAB) "$(SRC)"

grade: deps-grade
	@$(call check_lab,grade,$(SUB),SUB)
	@$(MAKE) --no-print-directory -s $(GRADER_PROGS) $(BUILD)/tests/lab_$(LAB)
	@./scripts/grade --build $(BUILD) --extra-dir $(EXTRA_TESTS) \
	    $(GRADE_FLAGS) $(LAB) "$(SUB)"

# The programs and runners grading needs, and nothing else: what a
# grading machine builds (the Gradescope autograder's setup.sh).
grader: $(GRADER_PROGS) $(patsubst tests/%.c,$(BUILD)/tests/%,$(LAB_TEST_SRCS))

# Gradescope's autograder for lab LAB: a zip of what grading needs (not
# solutions/, not tests/wrong/), setup.sh and run_autograder (autograder/).
GRADESCOPE_FILES = Makefile common lessons tools tests/harness.c \
    tests/harness.h tests/lab_$(LAB).c tests/lab_$(LAB).rubric \
    $(wildcard $(EXTRA_TESTS)/lab_$(LAB).extra.c \
    $(EXTRA_TESTS)/lab_$(LAB).extra.rubric) scripts/grade \
    scripts/sandbox-exec scripts/report scripts/install-deps
gradescope:
	@if [ ! -f "tests/lab_$(LAB).c" ]; then \
	    echo "usage: make gradescope LAB=NN (the labs are:" \
	        $(patsubst tests/lab_%.c,%,$(LAB_TEST_SRCS))")" >&2; exit 2; fi
	@rm -rf $(BUILD)/gradescope/lab_$(LAB)
	@mkdir -p $(BUILD)/gradescope/lab_$(LAB)/tests
	@tar -cf - $(filter-out $(wildcard $(EXTRA_TESTS)/*),$(GRADESCOPE_FILES)) \
	    | tar -xf - -C $(BUILD)/gradescope/lab_$(LAB)
	@for f in $(filter $(wildcard $(EXTRA_TESTS)/*),$(GRADESCOPE_FILES)); \
	    do cp "$$f" $(BUILD)/gradescope/lab_$(LAB)/tests/; done
	@cp autograder/setup.sh autograder/run_autograder \
	    autograder/prairielearn-run \
	    $(BUILD)/gradescope/lab_$(LAB)/
	@echo $(LAB) >$(BUILD)/gradescope/lab_$(LAB)/udplab-lab
	@rm -f $(BUILD)/gradescope/lab_$(LAB).zip
	@cd $(BUILD)/gradescope/lab_$(LAB) && python3 -m zipfile -c \
	    ../lab_$(LAB).zip *
	@echo "make gradescope: $(BUILD)/gradescope/lab_$(LAB).zip"

# A whole class (scripts/grade-all): every submission in SUBS, graded in
# parallel with GNU parallel; a rerun resumes; STUDENT=NAME regrades one.
grade-all: deps-grade
	@if [ ! -f "tests/lab_$(LAB).c" ] || [ ! -d "$(SUBS)" ]; then \
	    echo "usage: make grade-all LAB=NN SUBS=folder [STUDENT=name]" >&2; \
	    exit 2; fi
	@$(MAKE) --no-print-directory -s $(GRADER_PROGS) $(BUILD)/tests/lab_$(LAB)
	@./scripts/grade-all --build $(BUILD) $(if $(STUDENT),--student \
	    "$(STUDENT)") $(if $(GRADE_FLAGS),--grade-flags "$(GRADE_FLAGS)") \
	    $(LAB) "$(SUBS)"

# What a class gets, the template of a course repository: the lessons,
# common/, the LAB.md files, the suites and the harness, this Makefile, the
# grader, a student's README and a GitHub Actions workflow that grades each
# push.  Not solutions/, tests/wrong/, the rubrics or hidden tests.
STARTER := $(BUILD)/starter
STARTER_FILES := Makefile common lessons tools tests/harness.c \
    tests/harness.h $(LESSON_TEST_SRCS) tests/floods.c $(LAB_TEST_SRCS) \
    tests/slides scripts/grade scripts/sandbox-exec scripts/report \
    scripts/install-deps scripts/run-suites scripts/demo
starter:
	@rm -rf $(STARTER)
	@mkdir -p $(STARTER)/.github/workflows
	@tar -cf - $(STARTER_FILES) | tar -xf - -C $(STARTER)
	@cp autograder/starter-README.md $(STARTER)/README.md
	@cp autograder/grade.yml $(STARTER)/.github/workflows/grade.yml
	@printf 'build/\n' >$(STARTER)/.gitignore
	@echo "make starter: $(STARTER) (copy it into the course's repository)"

rubric:
	@if [ ! -f "tests/lab_$(LAB).c" ]; then \
	    echo "usage: make rubric LAB=NN (the labs are:" \
	        $(patsubst tests/lab_%.c,%,$(LAB_TEST_SRCS))")" >&2; exit 2; fi
	@$(MAKE) --no-print-directory -s $(BUILD)/tests/lab_$(LAB)
	@./scripts/grade --build $(BUILD) --extra-dir $(EXTRA_TESTS) \
	    --update-rubric $(LAB)

# ---------------------------------------------------------------------------
# Setup: install what is missing from Debian's packages (needs root or sudo).

deps-build:
	@./scripts/install-deps build

deps-test:
	@./scripts/install-deps test

deps-grade:
	@./scripts/install-deps grade

deps-bench:
	@./scripts/install-deps bench

deps-handouts:
	@./scripts/install-deps handouts

# The main job: one echo server, one client, one datagram there and back.
demo: deps-build
	@$(MAKE) --no-print-directory all
	@./scripts/demo $(BUILD)

# The benchmark (bench/run): lesson 04 side by side with a bare loop, a
# batched server, the slides' Python, socat and sockperf.  The smoke run
# takes seconds, to see that it still works; its figures mean little.
bench: deps-bench
	@$(MAKE) --no-print-directory all
	@./bench/run $(BUILD)

# Grading a class, timed (bench/grade): N lab-05 submissions (200) graded
# in the sandbox, beside the same suites run bare, in one run.
BENCH_GRADE_N ?= 200
bench-grade: deps-grade
	@$(MAKE) --no-print-directory -s grader
	@./bench/grade $(BUILD) $(BENCH_GRADE_N)

bench-smoke: deps-bench
	@$(MAKE) --no-print-directory all
	@./bench/run $(BUILD) smoke

# ---------------------------------------------------------------------------
# Handouts (handouts/): pandoc reads each lesson's program with
# handouts/c-source.lua, its comments as the prose and its code as the code;
# handouts/handout.lua adds the slide and its Python, a real run, the
# datagrams on the wire (handouts/run-lesson captures both) and the LAB.md;
# Chromium prints the page to PDF with the same stylesheet.
HANDOUTS := $(BUILD)/handouts
LESSON_NAMES := $(notdir $(patsubst %/,%,$(dir $(LESSON_SRCS))))
HANDOUT_HTML := $(LESSON_NAMES:%=$(HANDOUTS)/%.html)
HANDOUT_PDF := $(LESSON_NAMES:%=$(HANDOUTS)/%.pdf)
HANDOUT_TOOLS := handouts/c-source.lua handouts/handout.lua \
                 handouts/handout.html handouts/handout.css
PANDOC_HTML = pandoc --template handouts/handout.html \
    --css handouts/handout.css --self-contained --preserve-tabs \
    --highlight-style=tango
# Chromium as root needs --no-sandbox; the rest keeps it off the network.
# Each PDF gets a profile (and a HOME) of its own, so that make -j works and
# nothing is left outside build/.
CHROMIUM = chromium --headless $(if $(filter 0,$(shell id -u)),--no-sandbox) \
    --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update \
    --disable-sync --no-pdf-header-footer
# The programs each lesson's run uses, and the slides' Python the pages show.
RUN_PROGS_01 := bare-server
RUN_PROGS_02 := fixed-reply client
RUN_PROGS_03 := fixed-reply client
RUN_PROGS_04 := echo-server echo-client
RUN_PROGS_05 := echo-server echo-client
RUN_PROGS_06 := counting-echo echo-client
SLIDE_PYTHON := $(wildcard tests/slides/*.py)
# Whether tcpdump is here: a run made without it is made again once it is.
CAPTURE := $(strip $(if $(shell PATH="$$PATH:/usr/sbin:/sbin" \
    command -v tcpdump),capture,nocapture))

handouts: deps-handouts
	@$(MAKE) --no-print-directory $(HANDOUT_HTML) $(HANDOUT_PDF) \
	    $(HANDOUTS)/index.html
	@echo "make handouts: open $(HANDOUTS)/index.html"

# The run and its capture; the stamp marks one that ended well.
$(HANDOUTS)/run/%/done.$(CAPTURE): handouts/run-lesson \
    $$(addprefix $(BUILD)/,$$(RUN_PROGS_$$(firstword $$(subst -, ,$$*))))
	@mkdir -p $(@D)
	@rm -f $(@D)/done.*
	./handouts/run-lesson $(firstword $(subst -, ,$*)) $(BUILD) $(@D)
	@touch $@

# handout_rule NAME PREV NEXT: one lesson's page, linked to its neighbours.
define handout_rule
$(HANDOUTS)/$(1).html: $(filter lessons/$(1)/%,$(LESSON_SRCS)) \
    handouts/slides/$(1).md $(wildcard lessons/$(1)/LAB.md) \
    $(HANDOUTS)/run/$(1)/done.$(CAPTURE) $(HANDOUT_TOOLS) $(SLIDE_PYTHON)
	$$(PANDOC_HTML) -f handouts/c-source.lua -L handouts/handout.lua \
	    -M lesson=$(firstword $(subst -, ,$(1))) -M index=index.html \
	    $(if $(2),-M prev=$(2).html) $(if $(3),-M next=$(3).html) \
	    -M slides=handouts/slides/$(1).md -M run=$(HANDOUTS)/run/$(1) \
	    -M source=$$< \
	    $(if $(wildcard lessons/$(1)/LAB.md),-M lab=lessons/$(1)/LAB.md) \
	    -o $$@ $$<
endef
lesson_at = $(if $(filter-out 0,$(1)),$(word $(1),$(LESSON_NAMES)))
$(foreach i,$(shell seq $(words $(LESSON_NAMES))),$(eval $(call \
    handout_rule,$(word $(i),$(LESSON_NAMES)),$(call \
    lesson_at,$(shell expr $(i) - 1)),$(call \
    lesson_at,$(shell expr $(i) + 1)))))

$(HANDOUTS)/index.html: handouts/index.md handouts/index.lua \
    handouts/c-source.lua $(LESSON_SRCS) handouts/handout.html \
    handouts/handout.css
	@mkdir -p $(@D)
	$(PANDOC_HTML) -L handouts/index.lua $(foreach s,$(LESSON_SRCS),\
	    -M lessons=$(notdir $(patsubst %/,%,$(dir $(s)))):$(s)) -o $@ $<

# Chromium talks on stderr even when all is well: its log is shown only
# when it fails.
$(HANDOUTS)/%.pdf: $(HANDOUTS)/%.html
	@mkdir -p $(HANDOUTS)/.chromium/$*
	HOME=$(abspath $(HANDOUTS))/.chromium/$* $(CHROMIUM) \
	    --user-data-dir=$(abspath $(HANDOUTS))/.chromium/$* \
	    --print-to-pdf=$@ file://$(abspath $<) 2>$@.log || \
	    { cat $@.log >&2; rm -f $@; exit 1; }

# The handouts' tests: each page holds its whole program, its real run and
# capture, and the index lists every lesson in order; and a second make
# has nothing left to do.
check-handouts: handouts
	@python3 tests/handouts.py $(HANDOUTS) $(LESSON_SRCS)
	@$(MAKE) --no-print-directory -q $(HANDOUT_HTML) $(HANDOUT_PDF) \
	    $(HANDOUTS)/index.html || { echo "check-handouts: a second" \
	    "make handouts would build again" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Fuzzing (tests/fuzz/): each target feeds libFuzzer's inputs to code that
# handles received bytes or user input, and checks the result against a
# plain oracle, under ASan+UBSan.  tests/fuzz/corpus/NAME/ holds its seeds
# and the inputs of every crash found (a crash found becomes one there):
# each is run once first, then the fuzzer goes on for FUZZ_TIME seconds,
# its new inputs in $(BUILD)/fuzz/NAME.corpus, any crash in $(BUILD)/fuzz/.
FUZZ_TARGETS := escape parse_number hexdump buckets pinger relay
FUZZ_TIME ?= 60
FUZZ_FLAGS = -std=c17 $(STD_CPPFLAGS) -g -O1 -Wall -Wextra -Wpedantic \
    -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# The solutions a target includes, its main() renamed.
FUZZ_DEPS_hexdump := solutions/01-bare-server/hexdump-server.c
FUZZ_DEPS_buckets := solutions/04-echo-server/safe-echo.c
FUZZ_DEPS_pinger := solutions/05-echo-client/pinger.c
FUZZ_DEPS_relay := tools/relay.c

$(BUILD)/fuzz/%: tests/fuzz/%.c common/net.c common/net.h $$(FUZZ_DEPS_$$*)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $< common/net.c -lm

fuzz: deps-test
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/fuzz/$$t.corpus || exit 1; \
	    rm -f $(BUILD)/fuzz/$$t-crash-* $(BUILD)/fuzz/$$t-leak-* \
	        $(BUILD)/fuzz/$$t-timeout-*; \
	    $(BUILD)/fuzz/$$t -runs=0 -artifact_prefix=$(BUILD)/fuzz/$$t- \
	        tests/fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1 || \
	        { tail -n 40 $(BUILD)/fuzz/$$t.log; echo "fuzz $$t: an input" \
	        "of tests/fuzz/corpus/$$t/ fails (above)" >&2; exit 1; }; \
	    $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -max_len=8192 \
	        -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$$t- \
	        $(BUILD)/fuzz/$$t.corpus tests/fuzz/corpus/$$t \
	        >$(BUILD)/fuzz/$$t.log 2>&1 || \
	        { tail -n 40 $(BUILD)/fuzz/$$t.log; echo "fuzz $$t: failed;" \
	        "the input is" $$(ls $(BUILD)/fuzz/$$t-crash-* \
	        $(BUILD)/fuzz/$$t-leak-* $(BUILD)/fuzz/$$t-timeout-* \
	        2>/dev/null): "copy it into tests/fuzz/corpus/$$t/ once" \
	        "fixed" >&2; exit 1; }; \
	    echo "fuzz $$t: $$(sed -n 's/^stat::number_of_executed_units: //p' \
	        $(BUILD)/fuzz/$$t.log) runs in $(FUZZ_TIME) s, no failure"; \
	done

# The whole suite, with both compilers, sanitizers and valgrind; and the
# grader's own tests (scripts/check-grader), on the first compiler's plain
# build, where they grade the reference solutions in place of run-suites.
# The other compilers' plain builds are built (every warning an error) and
# their tests run in their ASan+UBSan builds: the same programs, checked
# harder, in CI's 15 minutes.
# The builds use every core (the tests that follow are one recipe, alone).
NPROC := $(shell nproc 2>/dev/null || echo 2)
# JOBS is Criterion's parallelism; TIME_FACTOR stretches every deadline.
COMPILERS ?= gcc clang

check: deps-test
	@wrong=1; for cc in $(COMPILERS); do \
	  if [ -n "$$wrong" ]; then \
	      $(MAKE) --no-print-directory -j$(NPROC) check-one CC=$$cc \
	          BUILD=build/check-$$cc LABEL="$$cc" WRONG=1 SOAK=1 \
	          GRADED=1 || exit 1; \
	      ./scripts/check-grader build/check-$$cc || exit 1; \
	  else \
	      $(MAKE) --no-print-directory -j$(NPROC) tests CC=$$cc \
	          BUILD=build/check-$$cc || exit 1; \
	      echo "[$$cc] built warning-free; its tests run in the" \
	          "ASan+UBSan build, next"; \
	  fi; \
	  wrong=; \
	  $(MAKE) --no-print-directory -j$(NPROC) check-one CC=$$cc \
	      SANITIZE=1 \
	      BUILD=build/check-$$cc-asan TIME_FACTOR=3 \
	      LABEL="$$cc ASan+UBSan" || exit 1; \
	done
	@$(MAKE) --no-print-directory check-one CC=$(firstword $(COMPILERS)) \
	    BUILD=build/check-$(firstword $(COMPILERS)) VALGRIND=1 \
	    TIME_FACTOR=8 LABEL="$(firstword $(COMPILERS)) valgrind"
	@echo "make check: every suite passed"

TIME_FACTOR ?= 1
check-one: tests $(if $(WRONG),wrong)
	@BUILD=$(BUILD) LABEL="$(LABEL)" UDPLAB_TIME_FACTOR=$(TIME_FACTOR) \
	    UDPLAB_VALGRIND=$(VALGRIND) UDPLAB_WRONG=$(WRONG) \
	    UDPLAB_SANITIZED=$(SANITIZE) UDPLAB_SOAK=$(SOAK) \
	    UDPLAB_GRADED=$(GRADED) \
	    UDPLAB_PROGRAM= UDPLAB_SUITES= \
	    UDPLAB_SOLUTIONS="$(SOLUTION_SRCS)" ./scripts/run-suites

clean:
	rm -rf build

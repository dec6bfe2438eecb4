# SPDX-License-Identifier: GPL-2.0
# The libFuzzer targets: clang with -fsanitize=fuzzer,address, the readers
# they exercise compiled once into one instrumented archive. Run from the
# repository root by tests/fuzz/run.sh.
CLANG	?= clang
B	:= build/fuzz
SRCS	:= capture/packet capture/fragment capture/capture capture/session_csv \
	   capture/flow_key flow/flow_table flow/window flow/picture \
	   flow/pipeline flow/geometry dataset/labels dataset/dataset
# The include paths and language flags are the Makefile's (USER_INC).
CFLAGS	:= -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wno-unused-parameter \
	   $(shell $(MAKE) -s --no-print-directory print-USER_INC) \
	   -fsanitize=fuzzer-no-link,address
OBJS	:= $(patsubst %,$(B)/obj/%.o,$(SRCS))
TARGETS	:= $(patsubst tests/fuzz/%.c,$(B)/%,$(wildcard tests/fuzz/fuzz_*.c))
HDRS	:= $(wildcard include/*.h) $(patsubst %,user/%.h,$(SRCS))

all: $(TARGETS)

$(B)/obj/%.o: user/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(CFLAGS) -c $< -o $@

$(B)/libfuzzed.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/%: tests/fuzz/%.c $(B)/libfuzzed.a
	$(CLANG) $(CFLAGS) -fsanitize=fuzzer,address $< $(B)/libfuzzed.a \
		-lpcap -lz -o $@

.SECONDARY:

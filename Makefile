# SPDX-License-Identifier: GPL-2.0
#
# flowpic: build every side this machine can build, and run the tests.
#
#   make            BPF objects + skeletons, user/ binaries, kmod/flowpic.ko
#   make deps       install the Debian 12 packages (idempotent)
#   make check      all five test layers, one summary line at the end
#   make check-unit | check-bpf | check-selftests | check-kunit | check-qemu
#   make fuzz       libFuzzer targets, bounded runs
#   make bench      benchmarks with their peers, as ratios
#   make demo       the live pipeline on a namespace lab
#   make fresh-machine  README's two commands on a new debootstrap root
#
# Layout (docs/architecture.md): user/flowpic.c and user/flowpicd.c are the
# two programs; user/cmd/*.c are flowpic's commands (libflowpic-cmd.a);
# every other user/ROOM/*.c is libflowpic.a, which tests link too.
# bpf/X.bpf.c becomes build/bpf/X.bpf.o and its skeleton build/bpf/X.skel.h;
# its loader is user/live/X.c.
#
# The flags below are written only here. Every other build and test script
# asks for them (`make -s print-USER_CFLAGS`, print-USER_LIBS,
# print-BPF_CFLAGS) or builds through a target of this file; the include
# paths are absolute so the answer holds in any directory.

# The last line of `make test` is the count line; no directory chatter.
MAKEFLAGS	+= --no-print-directory

BUILD		?= build
TOP		:= $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# Kernel-style output: `make V=1` shows the full commands.
ifeq ($(V),1)
Q		:=
msg		=
else
Q		:= @
msg		= @printf '  %-9s %s\n' $(1) $(2);
endif
# The newest installed headers that have their image beside them (Debian's
# kernel ABI moves: no version is written here); tests/kernel.sh decides.
KDIR		?= $(shell sh tests/kernel.sh kdir 2>/dev/null)
CC		?= gcc
CLANG		?= clang
BPFTOOL		?= bpftool
ARCH_INC	:= /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

PKGS		:= libnl-genl-3.0 libnl-route-3.0 libpng libpcap libbpf openblas \
		   libfixbuf libcap-ng
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN		:= -Wall -Wextra -Werror -Wno-unused-parameter \
		   -Wno-missing-field-initializers
CFLAGS		?= -O2 -g
USER_INC	:= -I$(TOP)/include -I$(TOP)/user -I$(abspath $(BUILD))/bpf \
		   -I$(TOP)/tests
USER_CFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread \
		   $(USER_INC) $(PKG_CFLAGS)
USER_LIBS	:= $(PKG_LIBS) -lndpi -lgcrypt -lelf -lz -lm -lpthread
GENL_LIBS	:= $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)

BPF_CFLAGS	:= -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror \
		   -I$(TOP)/include -I$(ARCH_INC)

PROGS		:= flowpic flowpicd
BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
ROOMS		:= capture flow dataset cnn model render live output
LIB_SRCS	:= $(foreach r,$(ROOMS),$(wildcard user/$(r)/*.c))
LIB_OBJS	:= $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
LIB		:= $(BUILD)/libflowpic.a
CMD_OBJS	:= $(patsubst user/%.c,$(BUILD)/user/%.o,$(wildcard user/cmd/*.c))
CMD_LIB		:= $(BUILD)/libflowpic-cmd.a
BINS		:= $(addprefix $(BUILD)/,$(PROGS))

UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
# Test scripts (TAP on stdout, executable) run in the same layer.
UNIT_SCRIPTS	:= $(wildcard tests/unit/test_*.py tests/unit/test_*.sh)
BPFT_SRCS	:= $(wildcard tests/bpf/*.bpf.c)
BPFT_OBJS	:= $(patsubst tests/bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPFT_SRCS))
BPFT_SKELS	:= $(patsubst tests/bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPFT_SRCS))
BPFT_BINS	:= $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%, \
		   $(filter-out %.bpf.c,$(wildcard tests/bpf/test_*.c)))

QEMU_BINS	:= $(patsubst tests/qemu/%.c,$(BUILD)/tests/qemu/%, \
		   $(wildcard tests/qemu/*.c))
QEMU_LIB_BINS	:= $(BUILD)/tests/qemu/daemon_model $(BUILD)/tests/qemu/trafgen
BENCH_BINS	:= $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%, \
		   $(wildcard tests/bench/*.c))

HDRS		:= $(wildcard include/*.h user/*/*.h tests/unit/*.h)

.SECONDARY:

.PHONY: all bpf user kmod deps check check-unit check-bpf check-selftests \
	check-kunit check-qemu fuzz bench demo clean tests test fresh-machine \
	qemu-bins bench-bins

all: bpf user kmod

deps:
	sh .ci/deps.sh

# README's test command: set-up, build, every layer.
test:
	$(MAKE) deps
	$(MAKE) check

# --- BPF -------------------------------------------------------------------

bpf: $(BPF_OBJS) $(BPF_SKELS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard include/*.h bpf/*.h)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.bpf.o: tests/bpf/%.bpf.c $(wildcard include/*.h bpf/*.h)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibpf -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# --- userspace -------------------------------------------------------------

user: $(LIB) $(BINS)

$(BUILD)/user/%.o: user/%.c $(HDRS) | $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

# The CNN's element-wise loops need the vectoriser, which -O2 leaves off.
$(BUILD)/user/cnn/%.o: USER_CFLAGS += -O3

# The loader embeds the tc program: a new object means a new loader.
$(BUILD)/user/live/datapath.o: $(BUILD)/bpf/datapath.skel.h

$(LIB): $(LIB_OBJS)
$(CMD_LIB): $(CMD_OBJS)
$(LIB) $(CMD_LIB):
	@mkdir -p $(@D)
	@rm -f $@
	$(call msg,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/flowpic: $(BUILD)/user/flowpic.o $(CMD_LIB) $(LIB)
$(BUILD)/flowpicd: $(BUILD)/user/flowpicd.o $(LIB)
$(BINS):
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ -o $@ $(USER_LIBS)

# Print a variable, for scripts that build outside this file:
# `make -s print-USER_CFLAGS`.
print-%:
	@echo '$($*)'

# --- kernel module ---------------------------------------------------------

# One kbuild at a time in this tree (a lock): `make check` runs the QEMU
# layer beside the selftests, and both ask for the module.
kmod:
	@if [ -z "$(KDIR)" ]; then \
		echo "kmod: no /usr/src/linux-headers-*-amd64 (make deps)"; \
		exit 1; fi
	@mkdir -p $(BUILD)
	flock $(BUILD)/.kmod.lock $(MAKE) -C $(KDIR) M=$(CURDIR) modules

# --- tests -----------------------------------------------------------------

tests: $(UNIT_BINS) $(BPFT_OBJS) $(BPFT_SKELS) $(BPFT_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(CMD_LIB) $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(CMD_LIB) $(LIB) $(USER_LIBS)

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB) $(HDRS) $(BPF_SKELS) $(BPFT_SKELS)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(LIB) $(USER_LIBS)

$(BENCH_BINS): $(BUILD)/tests/bench/%: tests/bench/%.c $(LIB) $(HDRS) \
		$(BPF_SKELS) $(BPFT_SKELS)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(LIB) $(USER_LIBS)

bench-bins: $(BENCH_BINS) $(QEMU_LIB_BINS)

# The guest's netlink programs: the kmod client alone, so the initramfs
# carries libnl-genl only, and what they share (tests/qemu/lib/).
QEMU_COMMON	:= user/live/kmod_client.c $(wildcard tests/qemu/lib/*.c)
$(QEMU_BINS): $(BUILD)/tests/qemu/%: tests/qemu/%.c $(QEMU_COMMON) \
		$(wildcard tests/qemu/lib/*.h) $(HDRS)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Iuser/live -Itests/qemu/lib $< \
		$(QEMU_COMMON) -o $@ $(GENL_LIBS)

$(QEMU_LIB_BINS): $(BUILD)/tests/qemu/%: tests/selftests/%.c $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(LIB) $(USER_LIBS)

qemu-bins: $(QEMU_BINS) $(QEMU_LIB_BINS)

# Unit tests run build/flowpic too (test_train_cmd, test_render...).
check-unit: $(UNIT_BINS) $(BINS)
	@sh tests/layer.sh unit $(UNIT_BINS) $(UNIT_SCRIPTS)

check-bpf: $(BPFT_BINS) $(BPFT_OBJS)
	@sh tests/layer.sh bpf $(BPFT_BINS)

# The lab's programs: impair (delay stage), gso_split (captures with offloads).
LAB_BINS	:= $(BUILD)/lab/impair $(BUILD)/lab/gso_split

check-selftests: all $(LAB_BINS)
	@sh tests/selftests/run.sh

check-kunit:
	@sh tests/kunit/run.sh

check-qemu: all tests
	@sh tests/qemu/run.sh

check: all tests $(LAB_BINS)
	@sh tests/check.sh

fuzz:
	@sh tests/fuzz/run.sh

bench: all
	@sh tests/bench/run.sh

# README's main job: set-up, build, the live lab.
demo:
	$(MAKE) deps
	$(MAKE) all
	@sh tests/demo/run.sh

# The traffic lab (docs/lab.md): labelled captures of real applications.
#   make lab LAB_ARGS='--seed 7 --minutes 10 --classes voip,chat --vpn --out DIR'
LAB_ARGS	?=
$(BUILD)/lab/impair: tests/lab/impair.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE $< -o $@

# gso_split: a capture taken with offloads on, cut into wire segments.
$(BUILD)/lab/gso_split: tests/lab/gso_split.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE $< -o $@ -lpcap

lab: $(LAB_BINS) $(BUILD)/flowpic
	@bash tests/lab/lab.sh $(LAB_ARGS)

.PHONY: lab

# README's two commands on a Debian 12 root made by debootstrap (long).
fresh-machine:
	@sh tests/fresh-machine.sh

clean:
	rm -rf $(BUILD)
	-[ -n "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(CURDIR) clean

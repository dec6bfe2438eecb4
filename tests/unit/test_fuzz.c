// SPDX-License-Identifier: GPL-2.0
/*
 * The libFuzzer targets of tests/fuzz, a few seconds each, in the unit
 * layer: tests/fuzz/run.sh builds them (clang, ASan) and prints TAP,
 * which this program passes on. `make fuzz` runs them for longer.
 * FLOWPIC_FUZZ_SECONDS overrides the time per target (2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *secs = getenv("FLOWPIC_FUZZ_SECONDS");

	fflush(stdout);
	execl("/bin/sh", "sh", "tests/fuzz/run.sh", "--seconds",
	      secs ? secs : "2", (char *)NULL);
	perror("test_fuzz: tests/fuzz/run.sh");
	return 1;
}

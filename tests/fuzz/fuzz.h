/*
 * fuzz.h - what every fuzz target here shares.
 *
 * must(c) is assert(c) that NDEBUG cannot take away: the targets call the
 * code under test inside their checks, and a check that vanished would
 * take the call with it.  A failure aborts, which libFuzzer reports as a
 * crash, with the input that caused it.
 */
#ifndef UDPLAB_FUZZ_H
#define UDPLAB_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define must(c) ((c) ? (void)0 : (fprintf(stderr, "%s:%d: must(%s) "  \
    "failed\n", __FILE__, __LINE__, #c), abort()))

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4), for the dataset digest a model file records: a
 * model names the exact data it was trained on.
 */
#ifndef _FLOWPIC_USER_SHA256_H
#define _FLOWPIC_USER_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Lower-case hex of a digest, 65 bytes with the NUL. */
void sha256_hex(const uint8_t d[32], char out[65]);
/* Digest of a whole file; 0 or -errno. */
int sha256_file(const char *path, char out[65]);

#endif /* _FLOWPIC_USER_SHA256_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xoshiro256** seeded by splitmix64: the one random generator of
 * training (initialisation, shuffling, dropout, augmentation), so a run is
 * reproduced exactly from its --seed.
 */
#ifndef _FLOWPIC_USER_RNG_H
#define _FLOWPIC_USER_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&seed);
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform in [0, 1) with 24 random bits: exact in a float. */
static inline float rng_float(struct rng *r)
{
	return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_double(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * Integer in [0, n), n > 0: Lemire's multiply-shift of 32 random bits,
 * without his rejection step. Each value gets floor(2^32 / n) or
 * ceil(2^32 / n) of the 2^32 inputs, so its probability is off 1/n by
 * less than 2^-32 absolute, a relative bias below n / 2^32 (2^-12 for
 * n = 2^20). Plenty for shuffles and augmentation; not for cryptography.
 */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Standard normal (Box-Muller; one value per call is enough here). */
static inline double rng_normal(struct rng *r)
{
	double u = 1.0 - rng_double(r), v = rng_double(r);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

#endif /* _FLOWPIC_USER_RNG_H */

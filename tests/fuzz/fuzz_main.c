/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replay driver for fuzz targets built without a fuzzing engine: runs every file of the
 * directories given, then a bounded number of seeded mutations of each, through the target. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Mutations per seed file; with the sanitizers on this keeps a target well under a minute. */
#define MUTATIONS_PER_SEED 2000
#define INPUT_MAX	   (1 << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
	/* xorshift64*: deterministic, so a failing mutation is reproduced by rerunning. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void mutate(uint8_t *buf, size_t *len, size_t cap)
{
	unsigned edits = 1 + (unsigned)(rng_next() % 4);

	for (unsigned i = 0; i < edits; i++) {
		uint64_t r = rng_next();
		size_t n = *len;
		switch (r % 5) {
		case 0: /* flip a bit */
			if (n > 0) {
				buf[(r >> 8) % n] ^= (uint8_t)(1u << ((r >> 40) % 8));
			}
			break;
		case 1: /* set an interesting byte */
			if (n > 0) {
				static const uint8_t v[] = {0x00, 0x01, 0x7f, 0x80,
							    0xc0, 0xff, 0x3f};
				buf[(r >> 8) % n] = v[(r >> 40) % sizeof(v)];
			}
			break;
		case 2: /* truncate */
			if (n > 0) {
				*len = (r >> 8) % n;
			}
			break;
		case 3: /* duplicate a run at the end */
			if (n > 0 && n < cap) {
				size_t from = (r >> 8) % n;
				size_t run = 1 + (r >> 24) % 64;
				if (run > n - from) {
					run = n - from;
				}
				if (run > cap - n) {
					run = cap - n;
				}
				memmove(buf + n, buf + from, run);
				*len = n + run;
			}
			break;
		default: /* overwrite two bytes with a random 16-bit value */
			if (n > 1) {
				size_t at = (r >> 8) % (n - 1);
				buf[at] = (uint8_t)(r >> 32);
				buf[at + 1] = (uint8_t)(r >> 48);
			}
			break;
		}
	}
}

static int run_file(const char *path, uint8_t *buf, uint8_t *work, unsigned *files)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t len = fread(buf, 1, INPUT_MAX, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	for (unsigned i = 0; i < MUTATIONS_PER_SEED; i++) {
		size_t wlen = len;
		memcpy(work, buf, len);
		mutate(work, &wlen, INPUT_MAX);
		LLVMFuzzerTestOneInput(work, wlen);
	}
	(*files)++;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *buf = malloc(INPUT_MAX);
	uint8_t *work = malloc(INPUT_MAX);
	unsigned files = 0;
	int rc = 0;

	if (buf == NULL || work == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == -1) {
			continue; /* a target may have no repro directory yet */
		}
		if (!S_ISDIR(st.st_mode)) {
			rc |= run_file(argv[i], buf, work, &files);
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (d == NULL) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.') {
				continue;
			}
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			rc |= run_file(path, buf, work, &files);
		}
		closedir(d);
	}
	/* An empty input must be handled too. */
	LLVMFuzzerTestOneInput(buf, 0);
	printf("%u inputs, %u mutations each: no crash\n", files, MUTATIONS_PER_SEED);
	free(buf);
	free(work);
	if (files == 0) {
		fprintf(stderr, "no seed inputs found\n");
		return 1;
	}
	return rc == 0 ? 0 : 1;
}

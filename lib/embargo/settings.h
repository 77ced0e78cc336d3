/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * settings: the one table of embargod's settings. Each row gives a setting's keyword in
 * embargod.conf, its command-line option, how its value is read and shown, its default, whether
 * a reload can change it, and its help text. The configuration compiler, the command line,
 * --help, the merge of file and options, the reload check and --check-config all read it.
 */
#ifndef EMBARGO_SETTINGS_H
#define EMBARGO_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/config.h"

enum setting_type {
	SETTING_UINT = 1, /* a decimal number min..max (uint32_t) */
	SETTING_CHOICE,	  /* one of `words` (stored as its value: bool, uint16_t or int) */
	SETTING_STRING,	  /* a non-empty string shorter than the field (char[]) */
	SETTING_QUEUE,	  /* N or A-B, at most CONFIG_QUEUES_MAX queues (struct config_queue) */
	SETTING_ADDR4,	  /* an IPv4 address (uint8_t[4]) */
	SETTING_ADDR6,	  /* an IPv6 address (uint8_t[16]) */
};

/* A word a choice accepts and the value it stands for. */
struct setting_word {
	const char *word;
	int value;
};

struct setting {
	const char *name; /* keyword in embargod.conf */
	const char *key;  /* for `NAME KEY N [KEY N ...]` statements: this row's KEY, else NULL */
	enum setting_type type;
	uint32_t bit;			  /* enum config_set */
	size_t offset, size;		  /* the value in struct config_settings */
	uint32_t min, max;		  /* SETTING_UINT */
	const struct setting_word *words; /* SETTING_CHOICE, ends with a NULL word */
	const char *fallback;		  /* the default, as written in the file */
	bool restart;			  /* a reload does not change it */
	bool none_dash;			  /* SETTING_STRING: "-" stands for none (empty) */
	const char *option;		  /* long option, NULL for none */
	char short_option;		  /* or 0 */
	const char *flag_word;		  /* the option takes no value and means this word */
	const char *metavar; /* the value in usage texts ("N", "FILE"); NULL: the words */
	const char *detail;  /* SETTING_UINT: the unit and range, for messages */
	const char *help;    /* one sentence for --help */
};

/* The table, in the order --help and --check-config show it; `*n` rows. */
const struct setting *settings_table(size_t *n);

/* The row of keyword `name` (and `key`, NULL for any row of `name`); NULL when unknown. */
const struct setting *setting_find(const char *name, const char *key);

/* A decimal number 0..max (digits only) into *out: 0 or -EINVAL. */
int setting_parse_uint(const char *s, uint32_t max, uint32_t *out);

/* Every setting at its default; `set` 0. */
void settings_defaults(struct config_settings *s);

/*
 * Read `text` as the value of row `r` into `s` and set its bit. Returns 0, or -EINVAL with a
 * message in `msg` (as the configuration reports it, without a location).
 */
int setting_parse(const struct setting *r, const char *text, struct config_settings *s, char *msg,
		  size_t msg_size);

/* What the configuration says of a statement of `r` with the wrong number of values. */
void setting_usage(const struct setting *r, char *msg, size_t msg_size);

/* The word of choice `r` that stands for `value`; "?" when none does. */
const char *setting_word(const struct setting *r, int value);

/* The value of row `r` in `s` as the file would write it ("-" for an empty string). */
void setting_format(const struct setting *r, const struct config_settings *s, char *out,
		    size_t out_size);

/* The value of statement `name` in `s` as the file would write it: its one value, or for a
 * statement of keys ("flow-limit") every "KEY VALUE", or only key `key`'s value. */
void setting_format_statement(const char *name, const char *key, const struct config_settings *s,
			      char *out, size_t size);

/* Every statement in `s`, "NAME VALUE" joined by ", " (cut at `size`). */
void settings_format_line(const struct config_settings *s, char *out, size_t size);

/* Are the values of row `r` the same in `a` and `b`? */
bool setting_equal(const struct setting *r, const struct config_settings *a,
		   const struct config_settings *b);

/* `out` = for each setting the command line's value (`cli`, where its bit is set), else the
 * file's (`file`, NULL for none), else the default; `out->set` says which of those gave one. */
void settings_merge(struct config_settings *out, const struct config_settings *cli,
		    const struct config_settings *file);

#endif

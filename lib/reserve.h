/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growable arrays inside libembargo. */
#ifndef EMBARGO_RESERVE_H
#define EMBARGO_RESERVE_H

#include <stddef.h>

/* Grow `*arr` (elements of `size` bytes, capacity `*cap`) to hold at least `need` elements,
 * doubling from 16. Returns 0, or -ENOMEM (the array is left as it was). */
int array_reserve(void **arr, size_t *cap, size_t need, size_t size);

#endif

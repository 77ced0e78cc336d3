/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file functions libembargo reads configurations and lists through, on POSIX. */
#ifndef EMBARGOD_FILEIO_H
#define EMBARGOD_FILEIO_H

#include "embargo/fileio.h"

extern const struct file_io fileio_posix;

#endif

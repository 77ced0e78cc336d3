# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for meson.mk: only the variable packages add their options to.
MESON_ARGS :=

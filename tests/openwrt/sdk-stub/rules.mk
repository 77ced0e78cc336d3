# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for the OpenWrt build system's rules.mk: the install helpers as plain commands.
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
LN := ln -sf
CP := cp -fpR
BUILD_DIR := $(STUB_WORK)/build

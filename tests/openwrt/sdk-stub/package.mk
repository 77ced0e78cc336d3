# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for package.mk: BuildPackage prints each package's fields as "NAME FIELD=value"
# lines (info-NAME) and runs its install recipe into $(STAGE)/NAME (stage-NAME).
PKG_INSTALL_DIR ?= $(STUB_WORK)/install

define BuildPackage
$(eval $(Package/$(1)))
$(eval info_$(1) := $(1) VARIANT=$(VARIANT) DEPENDS=$(strip $(DEPENDS)) CONFLICTS=$(CONFLICTS) PROVIDES=$(PROVIDES) USERID=$(USERID))
$(eval VARIANT :=)
$(eval CONFLICTS :=)
$(eval PROVIDES :=)
info-$(1):
	@echo '$(info_$(1))'
	@echo '$(1) conffiles=$(strip $(Package/$(1)/conffiles))'
stage-$(1):
	$(call Package/$(1)/install,$(STAGE)/$(1))
endef

print-meson-args:
	@echo '$(strip $(MESON_ARGS))'

# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for procd's shell API: every call is appended to $SHIM_LOG as one line (the
# function and its arguments), and a service counts as running from procd_close_service with
# an instance until procd_kill ($SHIM_STATE/running).

_shim_record() {
	printf '%s\n' "$*" >>"$SHIM_LOG"
}

procd_open_service() { _shim_record procd_open_service "$@"; _shim_instances=0; }
procd_open_instance() { _shim_record procd_open_instance "$@"; }
procd_set_param() { _shim_record procd_set_param "$@"; }
procd_append_param() { _shim_record procd_append_param "$@"; }
procd_add_jail() { _shim_record procd_add_jail "$@"; }
procd_add_jail_mount() { _shim_record procd_add_jail_mount "$@"; }
procd_add_jail_mount_rw() { _shim_record procd_add_jail_mount_rw "$@"; }
procd_add_reload_trigger() { _shim_record procd_add_reload_trigger "$@"; }
procd_add_validation() { _shim_record procd_add_validation "$@"; }
procd_send_signal() { _shim_record procd_send_signal "$@"; }

procd_close_instance() {
	_shim_record procd_close_instance
	_shim_instances=$((_shim_instances + 1))
}

procd_close_service() {
	if command -v service_triggers >/dev/null 2>&1; then
		service_triggers
	fi
	_shim_record procd_close_service
	if [ "$_shim_instances" -gt 0 ]; then
		: >"$SHIM_STATE/running"
	fi
}

procd_kill() {
	_shim_record procd_kill "$@"
	rm -f "$SHIM_STATE/running"
}

procd_running() {
	[ -e "$SHIM_STATE/running" ]
}

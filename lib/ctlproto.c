/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control protocol's request lines and JSON string escaping. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "embargo/ctlproto.h"

static const char *const ctl_cmds[] = {"status", "stats",     "reload", "clients",
				       "test",	 "addresses", "audit"};

int ctl_cmd_from_str(const char *s)
{
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(s, ctl_cmds[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Length of the word at `p` (up to a space), within `end`. */
static size_t word_len(const uint8_t *p, const uint8_t *end)
{
	size_t n = 0;
	while (p + n < end && p[n] != ' ') {
		n++;
	}
	return n;
}

static bool word_is(const uint8_t *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

int ctl_parse_request(const uint8_t *buf, size_t len, struct ctl_request *req, const char **why)
{
	const uint8_t *nl = len > 0 ? memchr(buf, '\n', len) : NULL;
	*why = "";
	if (nl == NULL) {
		if (len < CTL_REQUEST_MAX) {
			return 1;
		}
		*why = "request line too long";
		return -EINVAL;
	}
	if ((size_t)(nl - buf) + 1 > CTL_REQUEST_MAX) {
		*why = "request line too long";
		return -EINVAL;
	}
	const uint8_t *end = nl;
	for (const uint8_t *p = buf; p < end; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			*why = "request holds a byte that is not printable ASCII";
			return -EINVAL;
		}
	}
	memset(req, 0, sizeof(*req));
	const uint8_t *p = buf;
	size_t n = word_len(p, end);
	if (word_is(p, n, "json")) {
		req->json = true;
	} else if (!word_is(p, n, "text")) {
		*why = "request must start with text or json";
		return -EINVAL;
	}
	p += n;
	if (p == end || p + 1 == end) {
		*why = "no command";
		return -EINVAL;
	}
	p++;
	n = word_len(p, end);
	int cmd = -1;
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (word_is(p, n, ctl_cmds[i])) {
			cmd = (int)i;
		}
	}
	if (cmd < 0) {
		*why = "unknown command";
		return -EINVAL;
	}
	req->cmd = (enum ctl_cmd)cmd;
	p += n;
	if (req->cmd != CTL_TEST) {
		if (p != end) {
			*why = "this command takes no argument";
			return -EINVAL;
		}
		return 0;
	}
	if (p == end || p + 1 == end) {
		*why = "test needs a name";
		return -EINVAL;
	}
	p++;
	n = word_len(p, end);
	if (p + n != end) {
		*why = "test takes one name";
		return -EINVAL;
	}
	if (name_from_text(&req->name, (const char *)p, n) != 0 ||
	    (req->name.flags & NAME_F_ROOT) != 0) {
		*why = "not a valid name";
		return -EINVAL;
	}
	return 0;
}

int ctl_format_request(char *out, size_t size, enum ctl_cmd cmd, bool json, const char *arg)
{
	if ((unsigned)cmd >= sizeof(ctl_cmds) / sizeof(ctl_cmds[0]) ||
	    (cmd == CTL_TEST) != (arg != NULL)) {
		return -EINVAL;
	}
	int n = snprintf(out, size, "%s %s%s%s\n", json ? "json" : "text", ctl_cmds[cmd],
			 arg != NULL ? " " : "", arg != NULL ? arg : "");
	if (n < 0 || (size_t)n >= size || n > CTL_REQUEST_MAX) {
		return -EINVAL;
	}
	for (int i = 0; i < n - 1; i++) {
		if (out[i] < 0x20 || out[i] > 0x7e) {
			return -EINVAL;
		}
	}
	if (arg != NULL && (arg[0] == '\0' || strchr(arg, ' ') != NULL)) {
		return -EINVAL; /* the argument is one word */
	}
	return n;
}

size_t ctl_json_escape(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char tmp[7];
		size_t k = 0;
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			tmp[k++] = '\\';
			tmp[k++] = 'u';
			tmp[k++] = '0';
			tmp[k++] = '0';
			tmp[k++] = hex[c >> 4];
			tmp[k++] = hex[c & 0xf];
		} else {
			tmp[k++] = (char)c;
		}
		for (size_t i = 0; i < k; i++, w++) {
			if (w + 1 < size) {
				out[w] = tmp[i];
			}
		}
	}
	if (size > 0) {
		out[w < size ? w : size - 1] = '\0';
	}
	return w;
}

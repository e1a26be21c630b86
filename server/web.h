/*
 * web: the fleet's web page on the --admin listener (server.md S-OPS-4):
 * server-rendered HTML and a few lines of plain JavaScript, no build step.
 *
 *   GET  /ui/             the devices: MAC, product, group, serial, enabled,
 *                         last request (time, status, firmware from its
 *                         User-Agent) and last resync result from its syslog;
 *                         ?q= keeps devices whose MAC, group, product or
 *                         serial holds the text (the box filters as you type)
 *   GET  /ui/device/MAC   one device: fields, variables (secrets masked),
 *                         its last requests and syslog lines (its timeline)
 *   POST /ui/device/MAC   action=enable|disable with the page's csrf field:
 *                         303 back to the device
 *
 * Authentication: HTTP Basic, any user name, the admin token as the
 * password (api.h), so a browser asks for it once. Browsers send cached
 * credentials along with cross-site requests, so every state change needs
 * the form's csrf value (HMAC of the token, never in a URL, which another
 * site's page cannot read) and a POST; GETs change nothing. Every value
 * is HTML-escaped where it lands (web_esc); the pages load nothing from
 * elsewhere and run no inline script (Content-Security-Policy:
 * default-src 'self'; the script is /ui/fleet.js).
 */
#ifndef PROV_SERVER_WEB_H
#define PROV_SERVER_WEB_H

#include <stddef.h>

#define WEB_PREFIX "/ui/"              /* every page's path starts so */
#define WEB_PAGE_MAX (16u * 1024u * 1024u) /* a rendered page */
#define WEB_TIMELINE 20                /* requests and syslog lines on a device page */
#define WEB_FORM_MAX 1024u             /* a POSTed form */

struct inv;

/* One page. status 0 means "not a page": the caller answers 404. extra:
 * response headers (Location, ...). body fresh (free it). */
struct web_res {
	int status;
	const char *ctype;
	char *body;
	size_t len;
	char extra[256];
};

/* Answers method on path (decoded) with query (raw or NULL) and, for a
 * POST, its form body (NUL-terminated). token is the SHA-256 of the
 * admin token (the CSRF value is derived from it); db is the database's
 * URL, which a device page's drift (reportd_drift) reads. */
void web_handle(struct inv *inv, const char *db, const unsigned char token[32],
		const char *method, const char *path, const char *query, const char *form,
		struct web_res *r);

#endif

/*
 * report: the device's configuration reports (device.md D-REP-1, with
 * D-PAR-5 for secrets and D-ENC-2 for encryption). Implements struct
 * prov_report of the public API.
 *
 * Report_Rule is one or two "[--key K] [--delta|--status] URL" items
 * (rule.c parses them with RULE_REPORT). Each item uploads one document:
 *   full      every parameter, as a <flat-profile> (the format a server
 *             can serve back as a profile);
 *   --delta   the same, only the parameters whose value or access level
 *             differs from the factory default;
 *   --status  the status (D-STA-1) as XML elements under <status>.
 * Secrets (D-PAR-5) are written as self-closing elements, <Password_1_
 * ua="na"/>: no value leaves the device, and a report served back as a
 * profile keeps the device's secrets, because a self-closing element keeps
 * the value (D-PRO-2); "********" would be stored as the password.
 * With --key the document is encrypted exactly as `prov pack --key K`
 * does (openssl-enc AES-256-CBC, MD5 key derivation, no gzip), so
 * `prov unpack --key K` and `openssl enc -d -aes-256-cbc -md md5 -k K`
 * read it back.
 *
 * Transport (fetch.c, through the engine's shared struct prov_net): HTTP
 * or HTTPS POST, or PUT when HTTP_Report_Method says so; TFTP write (WRQ,
 * tftpc.c). Items go out one after the other.
 *
 * When (Report_To_Server): "On Request" only when asked
 * (prov_report_send: SIP NOTIFY report, `prov phone report`); "On Local
 * Change" also REPORT_BATCH_MS after the parameters changed (by any
 * process: admin, `prov phone set`, a profile), later changes in that
 * window riding along; "Periodically" also every Periodic_Upload_To_Server
 * seconds. A failed report of Report_Rule is sent again once,
 * REPORT_RETRY_MS later (a rule given to prov_report_send is not).
 * Failures go to the result callback and to syslog (Syslog_Server), and
 * never touch the resync engine's schedule.
 *
 * Threading: one thread at a time per struct prov_report; like the engine
 * it owns no loop and calls back only from prov_net_fd, prov_net_timeout,
 * prov_report_tick and prov_report_send.
 */
#ifndef PROV_REPORT_H
#define PROV_REPORT_H

#include <stddef.h>
#include "buf.h"
#include "prov/prov.h"

#define REPORT_BATCH_MS 5000          /* local change: wait this long for more */
#define REPORT_RETRY_MS 60000         /* a failed report is sent again once, after */
#define REPORT_TFTP_BLKSIZE 1428      /* asked for on a TFTP write */
#define REPORT_MAX (2u * 1024u * 1024u) /* largest document: every parameter at
					 * its longest fits many times over */
#define REPORT_REPLY_MAX (64u * 1024u) /* a server's answer read, at most */
#define REPORT_ITEMS 2                /* URLs in one Report_Rule (D-REP-1) */

/* The struct fetch_net inside a struct prov_net (engine.c owns that
 * struct): reports share the engines' net. */
struct fetch_net *engine_net_fetch(struct prov_net *net);

/* Appends the document of KIND (PROV_REPORT_*) for dev to out (which caps
 * it). Secrets never appear. */
enum prov_err report_build(struct prov_device *dev, unsigned kind, struct buf *out) PROV_WUR;

#endif

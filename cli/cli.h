/*
 * The `prov` command-line tool: shared helpers and the subcommand entry
 * points. The device commands use only the public API
 * (include/prov/prov.h); serve and log enter server/, phone run hosts
 * phone/ (their headers, never lib/ internals).
 *
 * Conventions (spec/interfaces.md): exit 0 on success, 1 on a failed
 * operation, 2 on bad usage or bad input; one line on stderr saying what
 * and where ("prov: profile.xml:3:7: mismatched tag"); quiet on success;
 * --help on every subcommand; never prompts.
 */
#ifndef PROV_CLI_H
#define PROV_CLI_H

#include <stddef.h>
#include <stdint.h>
#include "prov/prov.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define AGENT_HOUSEKEEPING_MS 1000  /* how often the agent looks at its state */
#define RESYNC_DEADLINE_MS (5 * 60 * 1000) /* `prov phone resync` gives up */
#define LOG_DB_DEFAULT "sqlite:./prov.db" /* spec/interfaces.md */
#define LOG_LIMIT_DEFAULT 100u            /* rows printed without --limit */
#define LOG_LIMIT_MAX 1000000u            /* most rows one --limit asks for */
#define LOG_CLIENT_MAX 64u                /* longest --client prefix */
#define LOG_TIME_MAX 64                   /* a formatted time, any year */
#define REPORT_DEADLINE_MS (5 * 60 * 1000) /* `prov phone report` gives up */

#define CLI_FILE_MAX (64u * 1024u * 1024u) /* largest input file read */

/* `prov device resync` (push.c): RFC 3261's timers and the push's bounds. */
#define PUSH_T1_MS 500                 /* RFC 3261 T1: first retransmission */
#define PUSH_T1_MIN_MS 10              /* --t1 bounds (tests shorten T1) */
#define PUSH_T1_MAX_MS 5000
#define PUSH_T2_MS 4000                /* RFC 3261 T2: retransmission interval cap */
#define PUSH_INFLIGHT_MAX 256u         /* pushes waiting for an answer at once */
#define PUSH_DEVICES_MAX 1000000u      /* devices of one --group */
#define PUSH_RATE_DEFAULT 50           /* pushes started per second */
#define PUSH_RATE_MAX 1000             /* --rate bound */
#define PUSH_AUTH_MAX 4                /* challenges answered per push: the phone
				        * challenges a retransmission it already took
				        * (its 200 lost) as a replay */
#define PUSH_CRED_MAX 127u             /* longest user or password taken (Password_1_'s) */
#define PUSH_SIP_PORT 5060             /* SIP_Port_1_'s default */
#define PUSH_WAIT_MAX 3600             /* --wait bound, seconds */
#define PUSH_WAIT_POLL_MS 200          /* --wait: history read this often */

/* Prints "prov: " + message + newline to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints usage text to stdout (for --help) and returns EXIT_OK. */
int cli_help(const char *text);

/* Prints "prov: CMD: message" and a hint to run --help; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit status for a library error: bad input -> 2, failed operation -> 1. */
int cli_exit_for(enum prov_err err);

/* Reads a whole file ("-" = stdin), at most max bytes. Returns a fresh
 * NUL-terminated buffer and its length, or NULL after printing why. */
char *cli_read_file(const char *path, size_t max, size_t *len);

/* Reads the profile file PATH ("-" = stdin), removes its gzip and AES
 * layers (key may be NULL) and parses it, printing why not. Returns EXIT_OK
 * with *p set, or the exit status of the failure. */
int cli_load_profile(const char *path, const char *key, struct prov_profile **p);

/* The options of the commands on one device: --state DIR (required), and
 * --time-scale N and --json where scale / json are not NULL. Returns the
 * index of the first operand, CLI_HELPED after printing --help (exit 0),
 * or minus an exit status after printing a usage error. */
#define CLI_HELPED (-1000)
int cli_state_opts(const char *cmd, const char *help, int argc, char **argv,
		   const char **dir, double *scale, int *json);

/* Opens the device in dir, printing why not. */
struct prov_device *cli_open(const char *cmd, const char *dir, int *status);

/* "prov GROUP SUB ...": the index of SUB in subs, with "GROUP SUB" in cmd;
 * CLI_HELPED after printing help, or minus an exit status after printing a
 * usage error (also without SUB). nargs is the operand count, for callers. */
struct cli_sub {
	const char *name;
	int nargs;
};
int cli_subcommand(const char *group, const struct cli_sub *subs, size_t n, const char *help,
		   int argc, char **argv, char *cmd, size_t cmdlen);

int cmd_phone(int argc, char **argv);
int phone_resync(int argc, char **argv);
int phone_run(int argc, char **argv);
int phone_status(int argc, char **argv);
int phone_line(int argc, char **argv);
int phone_report(int argc, char **argv);
int phone_dhcp(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_expand(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_unpack(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_var(int argc, char **argv);
int cmd_template(int argc, char **argv);
int device_resync(int argc, char **argv);
int cmd_firmware(int argc, char **argv);
int cmd_rollout(int argc, char **argv);
/* The database of the inventory commands without --db (prov serve's too). */
#define DEVICE_DB_DEFAULT "sqlite:./prov.db"
int cmd_code(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_ca(int argc, char **argv);

/* The inventory commands (device.c, import.c, template.c) and JSON output
 * (util.c). */
struct inv;
/* Opens the inventory at db (NULL: sqlite:./prov.db), printing why not. */
struct inv *cli_inv_open(const char *cmd, const char *db);
/* A JSON string (bytes >= 0x80 as \u00XX), or null. */
void cli_json_str(const char *s);
int device_import(const char *cmd, const char *file, struct inv *inv);
int device_revoke_cert(const char *cmd, const char *mac, struct inv *inv);

/* log.c's time forms, shared with feedback.c: "2026-11-28T06:05:09.123Z",
 * and --since (an age 90s 15m 2h 7d, @UNIXSECONDS, or a UTC date and
 * time YYYY-MM-DD[(T| )HH:MM[:SS]][Z]) into unix ms, or -1. */
void log_time(int64_t ms, char out[LOG_TIME_MAX]);
int64_t log_parse_since(const char *s, int64_t now_ms);

/* prov device drift|timeline (feedback.c): argv[0] is the subcommand. */
int feedback_main(const char *cmd, int argc, char **argv);
/* The drift count of a device for `prov device list`: -1 when it has no
 * report (or its drift cannot be computed). */
long feedback_drift_count(struct inv *inv, const char *db, const char *mac);

int cmd_fleet(int argc, char **argv);

#endif

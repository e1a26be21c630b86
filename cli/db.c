/*
 * prov db: the server's database itself (server.md S-SCL-1): its schema
 * versions, and `migrate`, which brings an existing PostgreSQL schema up
 * to this prov's (servers sharing it never do that themselves: each
 * checks at start and refuses an older schema with a message naming this
 * command).
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "inventory.h"
#include "store.h"

static const char db_help[] =
"usage: prov db migrate [--db URL]\n"
"       prov db status [--db URL]\n"
"   (URL: sqlite:PATH, default sqlite:./prov.db, or postgresql://USER@HOST/DB,\n"
"    the database of 'prov serve --db')\n"
"\n"
"The server's database holds the inventory (devices, variables, keys,\n"
"templates, codes, rollouts) and the history (requests, syslog). Each has\n"
"a schema version, kept in the table schema_version.\n"
"\n"
"  migrate  bring both schemas up to this prov's version, each in one\n"
"           transaction (a failure changes nothing). An empty database\n"
"           gets the whole schema. Needed on PostgreSQL after an upgrade\n"
"           of prov: the servers sharing a PostgreSQL database create a new\n"
"           schema but never change an existing one, and refuse to start on\n"
"           an older one ('run prov db migrate'). SQLite databases are\n"
"           brought up to date by whoever opens them; this does it ahead.\n"
"           Safe to run while servers run, and more than once.\n"
"  status   print each schema's version and this prov's, and whether a\n"
"           migration is due; exit 1 when it is\n"
"\n"
"Exit status: 0 success (status: up to date), 1 failed (status: a\n"
"migration is due, or the database cannot be read), 2 bad usage.\n";

static int
db_status(const char *cmd, const char *url)
{
	struct db *db;
	char err[512];
	int inv = 0, hist = 0, due;

	if (db_open(&db, url, DB_OPEN_READONLY, err, sizeof(err)) != DB_OK) {
		cli_err("%s: %s", cmd, err);
		return EXIT_FAIL;
	}
	if (db_schema_version(db, "inventory", &inv) != DB_OK ||
	    db_schema_version(db, "history", &hist) != DB_OK) {
		cli_err("%s: %s", cmd, db_errmsg(db));
		db_close(db);
		return EXIT_FAIL;
	}
	db_close(db);
	due = inv < inv_schema_version || hist < store_schema_version;
	printf("inventory %d of %d\nhistory %d of %d\n%s\n", inv, inv_schema_version, hist,
	       store_schema_version, due ? "migration due: run 'prov db migrate'" : "up to date");
	return due ? EXIT_FAIL : EXIT_OK;
}

static int
db_migrate(const char *cmd, const char *url)
{
	struct inv *inv;
	struct store *s;
	char err[512];

	if (inv_open(&inv, url, INV_OPEN_MIGRATE, err, sizeof(err)) != 0) {
		cli_err("%s: %s", cmd, err);
		return EXIT_FAIL;
	}
	inv_close(inv);
	if (store_open_how(&s, url, NULL, STORE_MIGRATE, err, sizeof(err)) != 0) {
		cli_err("%s: %s", cmd, err);
		return EXIT_FAIL;
	}
	store_close(s);
	return db_status(cmd, url);
}

int
cmd_db(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cli_sub subs[] = { { "migrate", 0 }, { "status", 0 } };
	const char *url = DEVICE_DB_DEFAULT, *sub;
	char cmd[32];
	int c, rc;

	rc = cli_subcommand("db", subs, sizeof(subs) / sizeof(subs[0]), db_help, argc, argv,
			    cmd, sizeof(cmd));
	if (rc < 0)
		return rc == CLI_HELPED ? EXIT_OK : -rc;
	sub = argv[1];
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(db_help);
		case 'd': url = optarg; break;
		case ':': return cli_usage(cmd, "%s needs a value", argv[optind - 1]);
		default: return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc != optind)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "status") == 0)
		return db_status(cmd, url);
	return db_migrate(cmd, url);
}

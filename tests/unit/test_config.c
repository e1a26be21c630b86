/*
 * Unit tests of server/config.c (S-OPS-1), server/root.c (S-SRV-1,
 * R-PATH) and server/util.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "root.h"
#include "serve.h"

static int
parse(struct srv_cfg *c, const char *text, char *err)
{
	config_defaults(c);
	return config_parse(c, text, strlen(text), "t.conf", err, 256);
}

static void
test_s_ops_1_parse(void **state)
{
	struct srv_cfg c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, "# comment\n\n root /srv  \n"
			       "tftp 127.0.0.1:69 [::1]:6969\r\n"
			       "http :8080   # trailing comment\n"
			       "require-client-cert yes\nworkers 4\nlog-level debug\n"
			       "http-body-max 1099511627776\n", err), 0);
	assert_string_equal(c.root, "/srv");
	assert_int_equal(c.n_tftp, 2);
	assert_int_equal(c.tftp[0].addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&c.tftp[0].addr)->sin_port), 69);
	assert_int_equal(c.tftp[1].addr.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&c.tftp[1].addr)->sin6_port), 6969);
	assert_int_equal(c.n_http, 1);
	assert_int_equal(((struct sockaddr_in *)&c.http[0].addr)->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(c.require_client_cert, 1);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_true(c.lim.http_body_max == 1099511627776ull);
	config_fini(&c);
}

static void
test_s_ops_1_errors(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "frobnicate 1\n", "t.conf:1: unknown option 'frobnicate'" },
		{ "\nroot\n", "t.conf:2: root: missing value" },
		{ "workers 0\n", "t.conf:1: workers: '0' is not a number from 1 to 64" },
		{ "workers 1x\n", "t.conf:1: workers: '1x' is not a number from 1 to 64" },
		{ "workers -1\n", "t.conf:1: workers: '-1' is not a number from 1 to 64" },
		{ "workers 99999999999999999999999\n",
		  "t.conf:1: workers: '99999999999999999999999' is not a number from 1 to 64" },
		{ "tftp 127.0.0.1\n", "t.conf:1: tftp: '127.0.0.1' is not ADDR:PORT, [ADDR6]:PORT or :PORT" },
		{ "tftp 127.0.0.1:65536\n", "t.conf:1: tftp: '127.0.0.1:65536' is not ADDR:PORT, [ADDR6]:PORT or :PORT" },
		{ "tftp ::1:69\n", "t.conf:1: tftp: '::1:69' is not ADDR:PORT, [ADDR6]:PORT or :PORT" },
		{ "tftp [::1:69\n", "t.conf:1: tftp: '[::1:69' is not ADDR:PORT, [ADDR6]:PORT or :PORT" },
		{ "tftp host.example:69\n", "t.conf:1: tftp: 'host.example:69' is not ADDR:PORT, [ADDR6]:PORT or :PORT" },
		{ "http :1 :2 :3 :4 :5\n", "t.conf:1: http: more than 4 addresses" },
		{ "require-client-cert maybe\n", "t.conf:1: require-client-cert: 'maybe' is not yes or no" },
		{ "log-level loud\n", "t.conf:1: log-level: 'loud' is not one of err, warning, notice, info, debug" },
	};
	struct srv_cfg c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&c, bad[i].text, err), -1);
		assert_string_equal(err, bad[i].msg);
		config_fini(&c);
	}
	/* A NUL byte inside a line and an over-long line. */
	{
		char text[] = "root /a\0b\n";
		char *big = malloc(CONFIG_LINE_MAX + 10);

		config_defaults(&c);
		assert_int_equal(config_parse(&c, text, sizeof(text) - 1, "t.conf", err, 256), -1);
		assert_string_equal(err, "t.conf:1: NUL byte");
		config_fini(&c);
		memset(big, 'a', CONFIG_LINE_MAX + 9);
		big[CONFIG_LINE_MAX + 9] = '\0';
		assert_int_equal(parse(&c, big, err), -1);
		assert_string_equal(err, "t.conf:1: line longer than 4096 bytes");
		config_fini(&c);
		free(big);
	}
}

static void
test_s_ops_1_check(void **state)
{
	struct srv_cfg c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "no root directory (--root DIR or 'root DIR')");
	assert_int_equal(config_set(&c, "root", "/nonexistent-prov", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "root /nonexistent-prov: No such file or directory");
	assert_int_equal(config_set(&c, "root", "/", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "nothing to serve: give --tftp, --http, --https or --syslog");
	assert_int_equal(config_set(&c, "https", "127.0.0.1:0", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "https needs --cert PEM and --key PEM");
	config_fini(&c);
	config_defaults(&c);
	assert_int_equal(config_set(&c, "root", "/", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "http", "127.0.0.1:0", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "require-client-cert", "yes", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "require-client-cert needs --client-ca PEM");
	assert_int_equal(config_is_flag("require-client-cert"), 1);
	assert_int_equal(config_is_flag("root"), 0);
	assert_int_equal(config_is_flag("nope"), -1);
	config_fini(&c);
}

/* An upload directory equal to, inside or containing the root would let an
 * unauthenticated PUT replace a served profile: refused, through symlinks
 * and "..", with both paths named. */
static void
test_s_ops_1_upload_overlaps_root(void **state)
{
	static const struct { const char *root, *upload; int ok; } cases[] = {
		{ "t", "t", 0 },
		{ "t", "t/", 0 },
		{ "t", "t/up", 0 },
		{ "t", "t/../t/up", 0 },
		{ "t/up", "t", 0 },
		{ "t", "link-to-t", 0 },
		{ "t", "link-to-t/up", 0 },
		{ "t/up", "t/upper", 1 },
		{ "t/upper", "t/up", 1 },
		{ "t/up", "other", 1 },
	};
	char dir[64], root[128], upload[128], err[512], p[160];
	struct srv_cfg c;

	(void)state;
	strcpy(dir, "/tmp/prov-overlap-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (const char *const *d = (const char *const[]){ "t", "t/up", "t/upper", "other", NULL };
	     *d != NULL; d++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *d);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/link-to-t", dir);
	assert_int_equal(symlink("t", p), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_defaults(&c);
		snprintf(root, sizeof(root), "%s/%s", dir, cases[i].root);
		snprintf(upload, sizeof(upload), "%s/%s", dir, cases[i].upload);
		assert_int_equal(config_set(&c, "root", root, err, sizeof(err)), 0);
		assert_int_equal(config_set(&c, "upload", upload, err, sizeof(err)), 0);
		assert_int_equal(config_set(&c, "http", "127.0.0.1:0", err, sizeof(err)), 0);
		if (cases[i].ok) {
			if (config_check(&c, err, sizeof(err)) != 0)
				fail_msg("%s %s: refused: %s", cases[i].root, cases[i].upload, err);
		} else {
			char want[400];

			if (config_check(&c, err, sizeof(err)) != -1)
				fail_msg("%s %s: accepted", cases[i].root, cases[i].upload);
			snprintf(want, sizeof(want), "upload %s and root %s overlap", upload, root);
			if (strncmp(err, want, strlen(want)) != 0)
				fail_msg("%s %s: '%s'", cases[i].root, cases[i].upload, err);
		}
		config_fini(&c);
	}
	for (const char *const *d = (const char *const[]){ "link-to-t", "t/up", "t/upper", "t",
			"other", NULL }; *d != NULL; d++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *d);
		assert_int_equal(remove(p), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* The example configuration in the tree parses (it documents every option). */
/* The defaults live in the option rows; config_defaults applies them. */
static void
test_s_ops_1_defaults(void **state)
{
	struct srv_cfg c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.workers, 1);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.require_client_cert, 0);
	assert_int_equal(c.lim.tftp_max_transfers, 4096);
	assert_int_equal(c.lim.tftp_max_blksize, 65464);
	assert_int_equal(c.lim.http_header_max, 16 * 1024);
	assert_true(c.lim.http_body_max == 16ull * 1024 * 1024);
	assert_int_equal(c.lim.http_idle_timeout_ms, 30000);
	assert_int_equal(c.lim.syslog_msg_max, 4096);
	assert_null(c.root);
	assert_int_equal(c.n_http, 0);
	config_fini(&c);
}

/* --db takes SQLite and PostgreSQL URLs and refuses anything else with
 * the reason. The admin API needs its token (S-SEC-4). */
static void
test_s_ops_1_db_urls(void **state)
{
	struct srv_cfg c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "root", "/", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "http", "127.0.0.1:0", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "db", "postgres://prov@localhost/prov", err,
				    sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "db", "mysql://prov@localhost/prov", err,
				    sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "db 'mysql://prov@localhost/prov': not a database URL"
			    " (sqlite:PATH or postgresql://USER@HOST[:PORT]/DB)");
	assert_int_equal(config_set(&c, "db", "sqlite:x.db", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "admin", "127.0.0.1:0", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "admin: the API needs authentication: give"
			    " --admin-token-file FILE (a token of at least 32 characters)");
	assert_int_equal(config_set(&c, "admin-token-file", "/etc/prov/token", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	config_fini(&c);
}

static void
test_s_ops_1_example(void **state)
{
	char path[4096], err[256];
	struct srv_cfg c;

	(void)state;
	snprintf(path, sizeof(path), "%s/../examples/prov-serve.conf", getenv("PROV_TEST_DATA"));
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.root, "/srv/prov");
	assert_int_equal(c.n_tftp, 2);
	assert_int_equal(c.lim.tftp_max_per_client, 4096);
	config_fini(&c);
}

static char tmpdir[64];

static void
put_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* R-PATH: the kernel keeps every open beneath the root. */
static void
test_s_srv_1_root(void **state)
{
	static const struct { const char *path; int rc; } cases[] = {
		{ "a.xml", 0 }, { "/a.xml", 0 }, { "///a.xml", 0 }, { "sub/b.cfg", 0 },
		{ "sub/../a.xml", 0 }, { "./a.xml", 0 },
		{ "../a.xml", -EXDEV }, { "sub/../../a.xml", -EXDEV },
		{ "/../../../../etc/passwd", -EXDEV }, { "out", -EXDEV }, { "outdir/passwd", -EXDEV },
		{ "rel-out", -EXDEV }, { "proc", -EXDEV },
		{ "in", 0 }, { "sub", -EISDIR }, { "missing", -ENOENT }, { "a.xml/x", -ENOENT },
		{ "", -EINVAL }, { "/", -EINVAL },
	};
	char p[1400], sub[256], outside[256];
	struct stat st;
	size_t i;
	int root, fd;

	(void)state;
	strcpy(tmpdir, "/tmp/prov-root-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put_file("a.xml", "<flat-profile/>");
	put_file("sub/b.cfg", "b");
	snprintf(outside, sizeof(outside), "%s.outside", tmpdir);
	fd = open(outside, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret", 6), 6);
	close(fd);
	snprintf(p, sizeof(p), "%s/out", tmpdir);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/outdir", tmpdir);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/rel-out", tmpdir);
	assert_int_equal(symlink("../../../../../../etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/proc", tmpdir);
	assert_int_equal(symlink("/proc/self/root/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/in", tmpdir);
	assert_int_equal(symlink("sub/b.cfg", p), 0);

	root = root_dir_open(tmpdir);
	assert_true(root >= 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = root_open(root, cases[i].path, strlen(cases[i].path), &st);
		if (cases[i].rc == 0) {
			assert_true(fd >= 0);
			assert_true(S_ISREG(st.st_mode));
			close(fd);
		} else {
			if (fd != cases[i].rc)
				fail_msg("%s: %d, expected %d", cases[i].path, fd, cases[i].rc);
		}
	}
	/* NUL inside and over-long names. */
	assert_int_equal(root_open(root, "a.xml\0x", 7, &st), -EINVAL);
	{
		char big[ROOT_PATH_MAX + 2];

		memset(big, 'a', sizeof(big));
		assert_int_equal(root_open(root, big, sizeof(big), &st), -EINVAL);
	}
	assert_string_equal(root_strerror(-EXDEV), "outside the root");

	/* Uploads: flat names only, atomic rename, never a dot file. */
	{
		char tmp[ROOT_PATH_MAX], got[64] = "";
		int up = root_dir_open(sub);

		assert_true(up >= 0);
		assert_int_equal(root_upload_open(up, "x/y", 3, tmp), -EINVAL);
		assert_int_equal(root_upload_open(up, "..", 2, tmp), -EINVAL);
		assert_int_equal(root_upload_open(up, ".hidden", 7, tmp), -EINVAL);
		fd = root_upload_open(up, "/report.xml", 11, tmp);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "data", 4), 4);
		assert_int_equal(root_upload_commit(up, fd, tmp, "report.xml"), 0);
		snprintf(p, sizeof(p), "%s/report.xml", sub);
		fd = open(p, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, got, sizeof(got)), 4);
		close(fd);
		fd = root_upload_open(up, "aborted", 7, tmp);
		assert_true(fd >= 0);
		root_upload_abort(up, fd, tmp);
		snprintf(p, sizeof(p), "%s/%s", sub, tmp);
		assert_int_equal(access(p, F_OK), -1);
		close(up);
	}
	close(root);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", tmpdir, outside);
		assert_int_equal(system(cmd), 0);
	}
}

static void
test_s_srv_2_find_mac(void **state)
{
	static const struct { const char *s, *mac; } cases[] = {
		{ "/spa001122AABBCC.xml", "001122aabbcc" },
		{ "CP-8841-3PCC001122aabbcc.cfg", "001122aabbcc" },
		{ "Cisco-CP-8841-3PCC/11.3.1 (001122334455)", "001122334455" },
		{ "/spa001122aabbcc.cfg", "001122aabbcc" },
		{ "/0011223344556677.xml", "223344556677" },
		{ "/00112233445.xml", "" },
		{ "/a/b/c.xml", "" },
		{ "deadbeefcafe", "deadbeefcafe" },
	};
	char mac[13];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int found = serve_find_mac(cases[i].s, strlen(cases[i].s), mac);

		assert_int_equal(found, cases[i].mac[0] != '\0');
		assert_string_equal(mac, cases[i].mac);
	}
}

static void
test_escape(void **state)
{
	char out[32];

	(void)state;
	serve_escape("a\"b\\c\n\x01\xff", 8, out, sizeof(out));
	assert_string_equal(out, "a\\x22b\\x5cc\\x0a\\x01\\xff");
	serve_escape("abcdef", 6, out, 4);
	assert_string_equal(out, "abc");
	serve_escape("\n\n", 2, out, 6);
	assert_string_equal(out, "\\x0a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s_ops_1_parse),
		cmocka_unit_test(test_s_ops_1_errors),
		cmocka_unit_test(test_s_ops_1_check),
		cmocka_unit_test(test_s_ops_1_defaults),
		cmocka_unit_test(test_s_ops_1_db_urls),
		cmocka_unit_test(test_s_ops_1_upload_overlaps_root),
		cmocka_unit_test(test_s_ops_1_example),
		cmocka_unit_test(test_s_srv_1_root),
		cmocka_unit_test(test_s_srv_2_find_mac),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

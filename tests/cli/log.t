prov log: the server's history read back from its database.
Spec: interfaces.md (server side), server.md S-DEV-3, S-NET-4.

  $ prov log --help | head -2
  usage: prov log [--db URL] [--syslog] [--mac MAC] [--client ADDR]
                  [--since TIME] [--limit N] [--json]

Bad usage is exit 2, with one line saying what:

  $ prov log --bogus
  prov: log: unknown option '--bogus' (see 'prov log --help')
  [2]
  $ prov log --db
  prov: log: option '--db' needs a value (see 'prov log --help')
  [2]
  $ prov log extra
  prov: log: unexpected argument 'extra' (see 'prov log --help')
  [2]
  $ prov log --mac 00:0e:08:ab:cd
  prov: log: --mac '00:0e:08:ab:cd': not 12 hex digits (see 'prov log --help')
  [2]
  $ prov log --limit 0
  prov: log: --limit takes 1..1000000 (see 'prov log --help')
  [2]
  $ prov log --limit 12x
  prov: log: --limit takes 1..1000000 (see 'prov log --help')
  [2]
  $ prov log --since yesterday
  prov: log: --since 'yesterday': not a date, time or age (see 'prov log --help')
  [2]
  $ prov log --since 2026-02-30
  prov: log: --since '2026-02-30': not a date, time or age (see 'prov log --help')
  [2]

A missing database is an error (exit 1), and is not created; so is a file
that is not a prov database, or a URL this build cannot open:

  $ prov log
  prov: ./prov.db: No such file or directory
  [1]
  $ prov log --db sqlite:missing.db --syslog
  prov: missing.db: No such file or directory
  [1]
  $ ls
  $ echo 'not a database at all, just some text that is long enough' > text.db
  $ prov log --db text.db
  prov: text.db: file is not a database
  [1]
  $ prov log --db postgresql://prov:hush@127.0.0.1:1/prov
  prov: postgresql://prov@127.0.0.1:1/prov: connection to server at "127.0.0.1", port 1 failed: Connection refused Is the server running on that host and accepting TCP/IP connections?
  [1]

A database written by the server (here: rows put in with the sqlite3 tool,
in the server's schema, so a schema change shows up here too):

  $ command -v sqlite3 > /dev/null || exit 80
  $ sqlite3 h.db <<'SQL'
  > CREATE TABLE request (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,
  >  client TEXT, proto TEXT, method TEXT, path TEXT, user_agent TEXT, mac TEXT,
  >  subject TEXT, status INTEGER NOT NULL, bytes INTEGER NOT NULL,
  >  duration_us INTEGER NOT NULL);
  > CREATE TABLE syslog (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,
  >  source TEXT, facility INTEGER, severity INTEGER, hostname TEXT, ident TEXT,
  >  mac TEXT, text TEXT);
  > PRAGMA user_version = 1;
  > INSERT INTO request VALUES (1, 1795845909123, '192.0.2.7:49152', 'http', 'GET',
  >  '/CP-8841-3PCC000e08abcdef.xml', 'Cisco-CP-8841-3PCC/11.3 (000e08abcdef)',
  >  '000e08abcdef', NULL, 200, 1843, 1234);
  > INSERT INTO request VALUES (2, 1795845910000, '192.0.2.8:1024', 'tftp', 'RRQ',
  >  '/nothing.cfg', NULL, NULL, NULL, 404, 0, 87);
  > INSERT INTO request VALUES (3, 1795845900000, '[2001:db8::1]:5000', 'https', 'GET',
  >  '/a"b' || char(10) || 'c', 'ua "x"', '000e08abcdef', 'CN=SEP000E08ABCDEF', 200, 10, 2500000);
  > INSERT INTO syslog VALUES (1, 1795845909500, '192.0.2.7:514', 16, 5,
  >  '000e08abcdef', '000e08abcdef', '000e08abcdef', 'Requesting resync');
  > INSERT INTO syslog VALUES (2, 1795845909600, '192.0.2.9:514', NULL, NULL,
  >  NULL, NULL, NULL, 'no pri');
  > SQL

Requests, oldest first:

  $ prov log --db h.db
  2026-11-28T06:05:00.000Z [2001:db8::1]:5000 https GET 200 10 2.50s 000e08abcdef /a"b\x0ac "ua \x22x\x22"
  2026-11-28T06:05:09.123Z 192.0.2.7:49152 http GET 200 1843 1.2ms 000e08abcdef /CP-8841-3PCC000e08abcdef.xml "Cisco-CP-8841-3PCC/11.3 (000e08abcdef)"
  2026-11-28T06:05:10.000Z 192.0.2.8:1024 tftp RRQ 404 0 87us - /nothing.cfg -
  $ prov log --db sqlite:h.db --limit 1
  2026-11-28T06:05:10.000Z 192.0.2.8:1024 tftp RRQ 404 0 87us - /nothing.cfg -
  $ prov log --db h.db --mac 00:0E:08:AB:CD:EF --since 2026-11-28T06:05:01Z
  2026-11-28T06:05:09.123Z 192.0.2.7:49152 http GET 200 1843 1.2ms 000e08abcdef /CP-8841-3PCC000e08abcdef.xml "Cisco-CP-8841-3PCC/11.3 (000e08abcdef)"
  $ prov log --db h.db --client '[2001:db8:' --json
  {"time":"2026-11-28T06:05:00.000Z","time_ms":1795845900000,"client":"[2001:db8::1]:5000","proto":"https","method":"GET","status":200,"bytes":10,"duration_us":2500000,"mac":"000e08abcdef","path":"/a\"b\u000ac","user_agent":"ua \"x\"","subject":"CN=SEP000E08ABCDEF"}
  $ prov log --db h.db --since @1795845910
  2026-11-28T06:05:10.000Z 192.0.2.8:1024 tftp RRQ 404 0 87us - /nothing.cfg -
  $ prov log --db h.db --since 1d --client 192.0.2.99

Syslog messages:

  $ prov log --db h.db --syslog
  2026-11-28T06:05:09.500Z 192.0.2.7:514 local0.notice 000e08abcdef 000e08abcdef 000e08abcdef Requesting resync
  2026-11-28T06:05:09.600Z 192.0.2.9:514 - - - - no pri
  $ prov log --db h.db --syslog --json --client 192.0.2.9
  {"time":"2026-11-28T06:05:09.600Z","time_ms":1795845909600,"source":"192.0.2.9:514","facility":null,"severity":null,"mac":null,"hostname":null,"ident":null,"text":"no pri"}

The harness of the PostgreSQL runs (`ctest -L pg`): the server the fixture
pg/start runs (tests/integration/pg.sh) and the databases prov_db makes
on it (tests/integration/servers.sh). CTest sets PROV_TEST_PG to the
server's state file.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_db_is_pg && . "$PROV_TEST_PG" && echo "$PROV_PG_URL"
  postgresql://prov@127.0.0.1:* (glob)
  $ q() { "$PROV_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$PROV_PG_URL/postgres" -c "$1"; }

The server: on loopback only, on its own port (not the system cluster's
5432), its data and its socket in its own temporary directory, fsync off,
running as the suite's user, or as PROV_PG_AS (nobody) when that is root:

  $ q 'SHOW listen_addresses'
  127.0.0.1
  $ [ "$(q 'SHOW port')" = "$PROV_PG_PORT" ] && [ "$PROV_PG_PORT" != 5432 ] && echo own port
  own port
  $ [ "$(q 'SHOW data_directory')" = "$PROV_PG_DIR/data" ] && echo own data
  own data
  $ [ "$(q 'SHOW unix_socket_directories')" = "$PROV_PG_DIR" ] && echo own socket
  own socket
  $ q 'SHOW fsync'
  off
  $ u=$(ps -o user= -p "$(head -1 "$PROV_PG_DIR/data/postmaster.pid")")
  $ [ "$u" != root ] && [ "$u" = "${PROV_PG_AS:-$(id -un)}" ] && echo "not root"
  not root

prov_db NAME: a database of the test's own, the same one for the same NAME,
another for another NAME; nothing in one shows in the other:

  $ prov_servers_init
  $ A=$(prov_db serve) && echo "$A"
  postgresql://prov@127.0.0.1:*/prov_it_*_serve (glob)
  $ [ "$(prov_db serve)" = "$A" ] && echo same
  same
  $ B=$(prov_db other) && [ "$B" != "$A" ] && echo other
  other
  $ prov_db_sql serve 'CREATE TABLE t (a int, b text)'
  $ prov_db_sql serve "INSERT INTO t VALUES (1, 'x'), (2, NULL)"
  $ prov_db_sql serve 'SELECT a, b FROM t ORDER BY a'
  1|x
  2|
  $ prov_db_sql other 'SELECT count(*) FROM t' 2>&1 | grep -o 'relation "t" does not exist'
  relation "t" does not exist
  $ prov_db 'no-such/name'
  prov_db: bad database name 'no-such/name' (letters, digits, _)
  [2]

A name already taken on the server (another test's) is not shared: prov_db
takes another.

  $ S=$(basename "$PROV_TMP") && S=prov_it_${S##*.} && S=${S,,}
  $ q "CREATE DATABASE ${S}_clash"
  $ C=$(prov_db clash) && echo "$C"
  postgresql://prov@127.0.0.1:*/prov_it_*_clash_* (glob)
  $ [ "${C##*/}" != "${S}_clash" ] && echo another
  another
  $ q "DROP DATABASE ${S}_clash"

Tests running at once (as under ctest -j) each get their own databases,
and prov_servers_stop drops a test's databases:

  $ for i in 1 2 3 4 5 6 7 8; do
  >   (prov_servers_init && prov_db serve && prov_db serve && prov_db other) > par.$i &
  > done; wait
  $ cat par.* | sort | uniq -c | awk '{print $1}' | sort | uniq -c | sed 's/^ *//'
  8 1
  8 2
  $ cat par.* | sort -u | sed 's|.*/||' > names && wc -l < names
  16
  $ q "SELECT count(*) FROM pg_database WHERE datname IN ($(sed "s/.*/'&'/" names | paste -sd,))"
  0
  $ prov_servers_stop
  $ q "SELECT count(*) FROM pg_database WHERE datname LIKE '${S}%'"
  0

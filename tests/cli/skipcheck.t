A skipped test is not a passed test. tests/skipcheck.sh wraps every test
and turns a skip that exits 0 (cram's `exit 80`, cmocka's skip()) into
exit 77, CTest's SKIP_RETURN_CODE here; scripts/test.sh then fails on any
skip not allowed by PROV_ALLOW_SKIP.

  $ SC=$TESTDIR/../skipcheck.sh
  $ printf '  $ exit 80\n' > skipped.t
  $ printf '  $ true\n' > passed.t
  $ printf '  $ false\n' > failed.t

A cram transcript that skips exits 0 by itself, 77 under skipcheck:

  $ cram3 skipped.t > /dev/null; echo $?
  0
  $ $SC cram3 skipped.t > /dev/null
  skipcheck: the run above skipped something: reported as skipped
  [77]

Passes and failures pass through:

  $ $SC cram3 passed.t > /dev/null
  $ $SC cram3 failed.t > /dev/null
  [1]

A cmocka run with one skip() among passes:

  $ cat > sk.c <<'C'
  > #include <stdarg.h>
  > #include <stddef.h>
  > #include <setjmp.h>
  > #include <cmocka.h>
  > static void a(void **s) { (void)s; skip(); }
  > static void b(void **s) { (void)s; }
  > int main(void)
  > {
  > 	const struct CMUnitTest t[] = { cmocka_unit_test(a), cmocka_unit_test(b) };
  > 	return cmocka_run_group_tests(t, NULL, NULL);
  > }
  > C
  $ cc sk.c -lcmocka -o sk
  $ ./sk > /dev/null 2>&1; echo $?
  0
  $ $SC ./sk | grep -c SKIPPED
  skipcheck: the run above skipped something: reported as skipped
  4

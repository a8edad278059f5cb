# The real-nginx lab (issue 4), included from Makefile.am.
# lab.test prints TAP; it runs real nginx, openssl and curl, which
# scripts/deps.sh installs (missing tools fail the test, never skip).
TESTS += tests/e2e/lab.test tests/e2e/fix-replay.test tests/e2e/fix.test \
	tests/e2e/cascade.test
EXTRA_DIST += tests/e2e/lab.sh tests/e2e/lab.test tests/e2e/fix.test \
	tests/e2e/fix-replay.test tests/e2e/fixlib.sh \
	tests/e2e/cascade.test \
	tests/e2e/SCENARIOS.md \
	tests/e2e/labcheck.py tests/e2e/tcpbackend.py tests/e2e/tlsbackend.py \
	tests/e2e/conf \
	tests/data/lab

# lab.test and its library lab.sh share the stem "lab", so make's .sh.log
# suffix rule (.sh sorts before .test in .SUFFIXES) would run the library
# as the test. This explicit rule is automake's .test.log recipe (TAP
# driver) bound to lab.test; lab.sh exits 99 if it is ever run directly.
tests/e2e/lab.log: tests/e2e/lab.test
	@p='$<'; \
	$(am__set_b); \
	$(am__check_pre) $(TEST_LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_TEST_LOG_DRIVER_FLAGS) $(TEST_LOG_DRIVER_FLAGS) -- $(TEST_LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)

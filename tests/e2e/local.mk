# The real-nginx lab (issue 4), included from Makefile.am.
# lab.test prints TAP; it runs real nginx, openssl and curl, which
# scripts/deps.sh installs (missing tools fail the test, never skip).
TESTS += tests/e2e/lab.test
EXTRA_DIST += tests/e2e/lab.sh tests/e2e/lab.test tests/e2e/SCENARIOS.md \
	tests/e2e/labcheck.py tests/e2e/tcpbackend.py tests/e2e/conf \
	tests/data/lab

# Helpers of the service tests (tests/service/*.sh): the CLI tests'
# ok/fail/check/finish plus skip. Environment from Makefile.am:
# SYSTEMD_ANALYZE, MANDOC, HS_UNIT, HS_SBINDIR, HS_SYSCONFDIR, MAKE.
. "$TESTSRC/cli/lib.sh"

# skip WHY: the whole test is skipped (exit 77).
skip() {
	echo "SKIP: $*"
	exit 77
}

# hswatchd is built by the daemon's block of Makefile.am.
HSWATCHD=$abs_top_builddir/daemon/hswatchd

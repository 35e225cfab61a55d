#!/bin/sh
# The system packages the test suite needs, in one place (run by `npm test` before the build).
# Each line: a Debian package and the check that says it is present. When one is missing, it is
# installed with apt-get if we are root and apt-get exists; otherwise this prints which tests will
# skip or fail and why, and carries on (it never fails the test command by itself).
#
#   package             check
DEPS='
chromium            command -v chromium || command -v chromium-browser
fonts-dejavu-core   test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
munge               command -v munged || test -x /usr/sbin/munged
slurmctld           command -v slurmctld || test -x /usr/sbin/slurmctld
slurmd              command -v slurmd || test -x /usr/sbin/slurmd
slurm-client        command -v sbatch && command -v squeue && command -v scancel && command -v sinfo
'
# What each package is for (printed when it stays missing).
why() {
  case "$1" in
    chromium) echo "the browser test of report.html (test/browser.test.ts) fails without a headless Chromium" ;;
    fonts-dejavu-core) echo "PNG figures are drawn without text; the PNG text test (test/report-render.test.ts) fails" ;;
    munge|slurmctld|slurmd|slurm-client) echo "the SLURM job-array test (test/slurm.test.ts, a single-node cluster it starts itself, as root) skips" ;;
    *) echo "tests that use it fail" ;;
  esac
}

missing=""
echo "$DEPS" | while read -r pkg check; do
  [ -n "$pkg" ] || continue
  sh -c "$check" >/dev/null 2>&1 || echo "$pkg"
done > "${TMPDIR:-/tmp}/grokinfo-deps.$$"
missing=$(cat "${TMPDIR:-/tmp}/grokinfo-deps.$$")
rm -f "${TMPDIR:-/tmp}/grokinfo-deps.$$"
[ -n "$missing" ] || exit 0
missing=$(echo $missing)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${GROKINFO_NO_APT:-}" ]; then
  echo "test/deps.sh: installing $missing (apt-get)" >&2
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing) >/dev/null 2>&1; then
    exit 0
  fi
  echo "test/deps.sh: apt-get could not install $missing" >&2
else
  reason="not root or no apt-get"
  [ -n "${GROKINFO_NO_APT:-}" ] && reason="GROKINFO_NO_APT is set"
  echo "test/deps.sh: missing $missing ($reason); install with: sudo apt-get install $missing" >&2
fi
for pkg in $missing; do echo "test/deps.sh:   without $pkg: $(why "$pkg")" >&2; done
exit 0

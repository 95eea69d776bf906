#!/usr/bin/env bash
# The monitoring example's checks, run by ctest (label docs) and so by CI:
# promtool accepts docker/monitoring/prometheus.yml and the alert rules, and
# the rules' unit tests (rpdns.rules.test.yml) pass, each alert firing on the
# series that should raise it; the Grafana dashboard is valid JSON; and every
# rpdns_* figure the rules and the dashboard name is one rpdns exports
# (src/stats/exposition.cpp), so a renamed metric fails here.
set -euo pipefail
cd "$(dirname "$0")/../docker/monitoring"
status=0
problem() {
  echo "check-monitoring: $*" >&2
  status=1
}

promtool check config prometheus.yml >/dev/null || problem "promtool rejects prometheus.yml"
promtool check rules rpdns.rules.yml >/dev/null || problem "promtool rejects rpdns.rules.yml"
promtool test rules rpdns.rules.test.yml || problem "the alert rules' tests fail"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["panels"]' grafana-dashboard.json ||
  problem "grafana-dashboard.json is not a dashboard"

exported=$(grep -o '"rpdns_[a-z_]*' ../../src/stats/exposition.cpp | tr -d '"' | sort -u)
for name in $(grep -ho 'rpdns_[a-z_]*' rpdns.rules.yml rpdns.rules.test.yml grafana-dashboard.json | sort -u); do
  grep -qxF "$name" <<<"$exported" || problem "$name is not a figure rpdns exports"
done
[ "$status" -eq 0 ] && echo "check-monitoring: prometheus.yml, the alert rules and their tests, the dashboard: ok"
exit "$status"

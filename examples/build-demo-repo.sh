#!/usr/bin/env bash
# Rebuild examples/demo-repo (and the example documents in promotions/) from scratch: every
# document is written with the promoter CLI and signed with the demo keys of examples/keys/.
#
#   examples/build-demo-repo.sh            # uses `cargo run -q --`
#   PROMOTER=target/debug/promoter examples/build-demo-repo.sh
#
# The component ids below are those of examples/sim-seed.yaml, so that the demo repository and
# the emulator's seed describe the same accounts, environments and components.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
P=${PROMOTER:-"cargo run -q --manifest-path $root/Cargo.toml --"}
keys=$here/keys
repo=$here/demo-repo

# --- ids shared with examples/sim-seed.yaml ---------------------------------------------------
PRIMARY=primary-abc123
ORDERS_ROOT=${ORDERS_ROOT:-3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11}   # dev-team-a "Order Processing Main"
ORDERS_DB_CONN=${ORDERS_DB_CONN:-c4e5f6a7-2b3c-4d5e-9f80-1a2b3c4d5e13} # dev-team-a Orders DB connection
ORDERS_API_CONN=${ORDERS_API_CONN:-d5f6a7b8-3c4d-4e5f-8a91-2b3c4d5e6f14} # dev-team-a Orders API connection
PROD_DB_CONN=${PROD_DB_CONN:-1c2d3e4f-5061-4728-93a4-b5c6d7e8f902}     # #Connections Orders DB
PROD_API_CONN=${PROD_API_CONN:-2d3e4f50-6172-4839-a4b5-c6d7e8f90a03}    # #Connections Orders API
INVOICE_ROOT=5f304152-b4c5-46d7-8c19-a3b4c5d6e71c   # dev-team-b "Invoice Sync"
SFTP_CONN=71526374-d6e7-48f9-8e3b-c5d6e7f8091e      # dev-team-b Invoices SFTP -> #Connections
PROD_SFTP_CONN=3e4f5061-7283-494a-b5c6-d7e8f90a1b04
ERP_CONN=82637485-e7f8-490a-9f4c-d6e7f8091a1f       # dev-team-b ERP API -> #Connections
PROD_ERP_CONN=4f506172-8394-4a5b-86d7-e8f90a1b2c05

key() { cut -d' ' -f1,2 "$keys/$1.pub"; }

rm -rf "$repo"
mkdir -p "$repo/access" "$repo/mappings" "$repo/promotions"

# Every trust root carries a serial: only a greater serial replaces the accepted version.
cat > "$repo/promoter.yaml" <<YAML
apiVersion: promoter/v1
kind: Settings
serial: 1
primaryAccountId: $PRIMARY
environments:
  - {id: env-test-1, name: Test, classification: TEST}
  - {id: env-prod-1, name: Production, classification: PROD}
branchSoftLimit: 15
apiRateLimit: 8
deployWindows:
  - {cron: "0 18 * * MON-THU", durationMinutes: 180, timezone: Europe/Berlin}
notifications:
  developersList: dev@example.com
  adminsList: admins@example.com
# Boomi's defaults are 5 s polls; the emulator answers at once, so the demo polls every second.
polling: {branchReadyIntervalSeconds: 1, mergeIntervalSeconds: 1, releaseIntervalSeconds: 1}
YAML
$P sign "$repo/promoter.yaml" --key "$keys/carol"

cat > "$repo/access/policy.yaml" <<YAML
apiVersion: promoter/v1
kind: AccessPolicy
serial: 1
people:
  - email: alice@example.com
    name: Alice Example
    tier: CONTRIBUTOR
    teams: [team-a]
    keys: ["$(key alice) alice"]
  - email: bob@example.com
    name: Bob Example
    tier: CONTRIBUTOR
    teams: [team-b]
    keys: ["$(key bob) bob"]
  - email: carol@example.com
    name: Carol Admin
    tier: ADMIN
    keys: ["$(key carol) carol"]
  - email: dave@example.com
    name: Dave Viewer
    tier: READONLY
    teams: [team-a]
    keys: ["$(key dave) dave"]
teams:
  - {name: team-a, devAccounts: [dev-team-a]}
  - {name: team-b, devAccounts: [dev-team-b]}
YAML
$P sign "$repo/access/policy.yaml" --key "$keys/carol"

cat > "$repo/mappings/dev-team-a.yaml" <<YAML
apiVersion: promoter/v1
kind: ConnectionMappings
serial: 1
devAccountId: dev-team-a
mappings:
  - {devComponentId: $ORDERS_DB_CONN, prodComponentId: $PROD_DB_CONN, name: Orders DB}
  - {devComponentId: $ORDERS_API_CONN, prodComponentId: $PROD_API_CONN, name: Orders API}
YAML
$P sign "$repo/mappings/dev-team-a.yaml" --key "$keys/carol"

cat > "$repo/mappings/dev-team-b.yaml" <<YAML
apiVersion: promoter/v1
kind: ConnectionMappings
serial: 1
devAccountId: dev-team-b
mappings:
  - {devComponentId: $SFTP_CONN, prodComponentId: $PROD_SFTP_CONN, name: Invoices SFTP}
  - {devComponentId: $ERP_CONN, prodComponentId: $PROD_ERP_CONN, name: ERP API}
YAML
$P sign "$repo/mappings/dev-team-b.yaml" --key "$keys/carol"

# A TEST promotion by Alice, naming its test pack.
$P new --repo "$repo" --as alice@example.com --key "$keys/alice" \
  --id orders-test-1 --account dev-team-a --process "Order Processing Main" \
  --root "$ORDERS_ROOT" --package-version 1.0.0 --new-pack "Orders - TEST" \
  --notes "First cut of the order flow, for the test environment" >/dev/null

# A hotfix by Alice, approved by her peer Bob (awaiting the admin).
$P new --repo "$repo" --as alice@example.com --key "$keys/alice" \
  --id orders-hotfix-1 --account dev-team-a --process "Order Processing Main" \
  --root "$ORDERS_ROOT" --target production --package-version 1.0.1 \
  --hotfix "Orders with a null ship-to address crash the flow since this morning's partner change" \
  --notes "Null-safe ship-to mapping" >/dev/null
$P review orders-hotfix-1 --repo "$repo" --as bob@example.com --key "$keys/bob" --approve \
  --comments "Checked the mapping change; only the ship-to branch is touched" >/dev/null

# The same example promotion documents, at the top level, for the format README.
for id in orders-test-1 orders-hotfix-1; do
  rm -rf "$root/promotions/$id"
  cp -r "$repo/promotions/$id" "$root/promotions/$id"
done
echo "rebuilt $repo"

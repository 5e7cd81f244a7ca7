"""Offline checks of what deploy/ ships, run by deploy/check.sh with the tools it installed.

    check_manifests.py resources RENDERED.yaml RULES_OUT.yaml
        every resource of a `kubectl kustomize` output against its schema: Kubernetes kinds
        with kubernetes-validate (strict: unknown fields are errors), the Prometheus Operator's
        ServiceMonitor and PrometheusRule against the JSON Schema of cloudcoil's models (made
        strict the same way); any other kind is an error. Writes the PrometheusRule's spec
        (a Prometheus rule file) to RULES_OUT.yaml for promtool.

    check_manifests.py metrics TEXT_004 OPENMETRICS RULES.yaml DASHBOARD.json METRICS.rs
        parses a /metrics scrape in both formats with prometheus_client's parsers, and checks
        that every metric exposed, and every promoter_* name the alert rules and the Grafana
        dashboard use, is one of the table of METRICS.rs (src/server/metrics.rs), the daemon's
        registry (a labelled family appears at /metrics only with its first series).
"""

import json
import re
import sys

import yaml


def fail(msg):
    print(f"FAIL {msg}")
    sys.exit(1)


def strict(schema):
    """additionalProperties: false on every object schema that lists its properties."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        for v in schema.values():
            strict(v)
    elif isinstance(schema, list):
        for v in schema:
            strict(v)
    return schema


def prometheus_operator_schema(kind):
    from cloudcoil.models.prometheus_operator import v1

    return strict(getattr(v1, kind).model_json_schema(by_alias=True))


def resources(rendered, rules_out):
    import jsonschema
    from kubernetes_validate import utils as kv

    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    if not docs:
        fail(f"{rendered}: no resources")
    rules = None
    for d in docs:
        name = f"{d.get('kind')}/{d.get('metadata', {}).get('name')}"
        group = d.get("apiVersion", "").split("/")[0]
        if group == "monitoring.coreos.com":
            schema = prometheus_operator_schema(d["kind"])
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(d))
            if errors:
                best = jsonschema.exceptions.best_match(errors)
                path = ".".join(str(p) for p in best.absolute_path)
                fail(f"{name}: {path}: {best.message[:300]}")
            if d["kind"] == "PrometheusRule":
                rules = d["spec"]
        else:
            try:
                kv.validate(d, kv.latest_version(), strict=True)
            except kv.SchemaNotFoundError:
                fail(f"{name}: no schema for {d.get('apiVersion')} {d.get('kind')}")
            except kv.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                fail(f"{name}: {path}: {e.message}")
        print(f"ok   {name}")
    if rules is None:
        fail("no PrometheusRule rendered")
    with open(rules_out, "w") as f:
        yaml.safe_dump(rules, f)


def exposed_names(families):
    names = set()
    for fam in families:
        names.add(fam.name)
        for s in fam.samples:
            names.add(s.name)
    return names


SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created", "_info")


def declared_metrics(source_file):
    """The metric names of the module documentation's table of src/server/metrics.rs."""
    names = set(re.findall(r"^//! \| `(promoter_[a-z_]+)` \|", open(source_file).read(), re.M))
    if len(names) < 10:
        fail(f"{source_file}: the metrics table lists only {sorted(names)}")
    return names


def family_of(name, declared):
    if name in declared:
        return name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in declared:
            return name[: -len(suffix)]
        if name + suffix in declared:
            return name + suffix
    return None


def metrics(text_file, om_file, rules_file, dashboard_file, source_file):
    from prometheus_client.openmetrics import parser as om_parser
    from prometheus_client.parser import text_string_to_metric_families

    text = open(text_file).read()
    om = open(om_file).read()
    try:
        text_families = list(text_string_to_metric_families(text))
    except Exception as e:  # noqa: BLE001 - report any parse error
        fail(f"text format 0.0.4 does not parse: {e}")
    try:
        om_families = list(om_parser.text_string_to_metric_families(om))
    except Exception as e:  # noqa: BLE001
        fail(f"OpenMetrics does not parse: {e}")
    declared = declared_metrics(source_file)
    for name in exposed_names(text_families) | exposed_names(om_families):
        if not name.startswith("promoter_"):
            fail(f"{name}: not prefixed promoter_")
        if family_of(name, declared) is None:
            fail(f"{name} is exposed but not in the table of {source_file}")
    print(f"ok   /metrics parses: {len(text_families)} families (0.0.4), {len(om_families)} (OpenMetrics)")

    used = {}
    for group in yaml.safe_load(open(rules_file))["groups"]:
        for rule in group["rules"]:
            used.setdefault(rule["expr"], f"alert {rule.get('alert')}")
    dashboard = json.load(open(dashboard_file))
    for panel in dashboard["panels"]:
        for t in panel.get("targets", []):
            used.setdefault(t["expr"], f"panel {panel['title']!r}")
    for v in dashboard["templating"]["list"]:
        q = v.get("query")
        if isinstance(q, dict):
            used.setdefault(q["query"], f"variable {v['name']}")
    for expr, where in used.items():
        for name in re.findall(r"\bpromoter_[a-z_]+", expr):
            if family_of(name, declared) is None:
                fail(f"{where} uses {name}, which the daemon does not have")
    print(f"ok   {len(used)} alert and dashboard expressions use the daemon's metrics only")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "resources":
        resources(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "metrics":
        metrics(*sys.argv[2:])
    else:
        fail(__doc__)

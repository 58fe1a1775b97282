"""The Grafana dashboards in deploy/observability/grafana/dashboards: each file is valid JSON
with panels, every panel's query is PromQL naming only metrics the services export, and every
data source is one the provisioning declares.

The exported names are read from the code: each `metrics::counter!`, `gauge!` and `histogram!`
call's name (a string, or a `const` of the same file). A histogram is exported as `_bucket`,
`_sum` and `_count` series.
"""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "deploy/observability/grafana/dashboards"
DATASOURCES = ROOT / "deploy/observability/grafana/provisioning/datasources/datasources.yml"

MACRO = re.compile(r"metrics::(counter|gauge|histogram)!\(\s*(\"([a-z_:]+)\"|([A-Z_]+))", re.S)
CONST = re.compile(r"const ([A-Z_]+): &str = \"([a-z_:]+)\";")
# PromQL words that are not metric names.
WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "topk", "bottomk", "quantile", "rate", "irate",
    "increase", "delta", "histogram_quantile", "clamp_min", "clamp_max", "abs", "time", "vector",
    "scalar", "label_values", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset",
}


def exported():
    names = {"up"}
    for source in ROOT.glob("*/**/src/**/*.rs"):
        text = source.read_text()
        consts = dict(CONST.findall(text))
        for kind, _, literal, const in MACRO.findall(text):
            name = literal or consts.get(const)
            if name is None:
                raise SystemExit(f"{source}: metric name {const} is not a const of that file")
            names |= {name + suffix for suffix in ("_bucket", "_sum", "_count")} if kind == "histogram" else {name}
    return names


def metric_names(expr):
    expr = re.sub(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)[^)]*\)", r"\1", expr)  # Grafana's
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers (and the variables inside them)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\"[^\"]*\"", "", expr)
    expr = re.sub(r"[a-zA-Z_][a-zA-Z0-9_]*\s*\(", "(", expr)  # function calls
    return {word for word in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr) if word not in WORDS}


def main():
    metrics = exported()
    datasources = set(re.findall(r"^\s*uid:\s*(\S+)", DATASOURCES.read_text(), re.M))
    problems = []
    files = sorted(DASHBOARDS.glob("*.json"))
    if not files:
        problems.append(f"no dashboards in {DASHBOARDS}")
    for path in files:
        name = path.relative_to(ROOT)
        try:
            dashboard = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            problems.append(f"{name}: not JSON: {error}")
            continue
        panels = dashboard.get("panels") or []
        if not dashboard.get("uid") or not panels:
            problems.append(f"{name}: a dashboard needs a uid and panels")
        queries = [(panel.get("title"), target) for panel in panels for target in panel.get("targets", [])]
        queries += [(f"variable {v.get('name')}", {"expr": v["query"]["query"], "datasource": v.get("datasource")})
                    for v in dashboard.get("templating", {}).get("list", []) if isinstance(v.get("query"), dict)]
        for title, target in queries:
            uid = (target.get("datasource") or {}).get("uid")
            if uid not in datasources:
                problems.append(f"{name}: {title}: data source {uid!r} is not provisioned")
            expr = target.get("expr", "")
            if not expr.strip():
                problems.append(f"{name}: {title}: a query without an expression")
            if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                problems.append(f"{name}: {title}: unbalanced brackets in {expr!r}")
            for metric in metric_names(expr) - metrics:
                problems.append(f"{name}: {title}: no service exports `{metric}`")
    for problem in problems:
        print(problem)
    print(f"{len(files)} dashboards, {len(metrics)} exported series names, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

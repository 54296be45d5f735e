"""Static checks of Grafana provisioning files (Grafana itself cannot run
in CI): YAML and JSON parse, datasources and dashboard providers have the
keys Grafana needs, panels have unique ids, known types and grid places
that do not overlap, every panel's datasource uid is provisioned, and every
query names a metric the project exports; with --metrics SRC, every metric
a query names is one the source under SRC defines (histograms and counters
with their series suffixes).

    python grafana_check.py monitoring/grafana [--metrics src]
"""

import json
import re
import sys
from pathlib import Path

import yaml

KNOWN_PREFIXES = ("taxi_",)
PANEL_TYPES = {"stat", "timeseries", "state-timeline", "gauge", "table", "bargauge", "text", "heatmap"}
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def defined_metrics(src: Path) -> set[str]:
    """Metric names quoted in the project's Python source (the first argument
    of its Gauge/Counter/Histogram calls, or the keys naming them)."""
    names = set()
    for path in src.rglob("*.py"):
        names.update(re.findall(r"[\"'](taxi_[a-z0-9_]+)[\"']", path.read_text()))
    return names


def known(name: str, metrics: set[str]) -> bool:
    return name in metrics or any(name.endswith(s) and name[: -len(s)] in metrics for s in SUFFIXES)


def check_layout(path: Path, panels: list) -> None:
    """Unique ids, known types, grid places inside 24 columns, no overlap."""
    taken: dict[tuple[int, int], str] = {}
    ids = set()
    for panel in panels:
        title = panel.get("title")
        if panel.get("id") in ids:
            fail(f"{path}: panel {title!r}: id {panel.get('id')} is used twice")
        ids.add(panel.get("id"))
        if panel.get("type") not in PANEL_TYPES:
            fail(f"{path}: panel {title!r}: unknown type {panel.get('type')!r}")
        g = panel.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
            fail(f"{path}: panel {title!r}: gridPos {g} is not a place on the 24-column grid")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in taken:
                    fail(f"{path}: panel {title!r} overlaps panel {taken[(x, y)]!r}")
                taken[(x, y)] = title


def fail(msg: str) -> None:
    print(f"grafana: {msg}", file=sys.stderr)
    sys.exit(1)


def main(root: Path, metrics: set[str] | None = None) -> None:
    uids = set()
    for path in sorted((root / "provisioning" / "datasources").glob("*.y*ml")):
        doc = yaml.safe_load(path.read_text())
        if doc.get("apiVersion") != 1:
            fail(f"{path}: apiVersion must be 1")
        for ds in doc.get("datasources", []):
            for key in ("name", "type", "url", "uid"):
                if not ds.get(key):
                    fail(f"{path}: datasource {ds.get('name')!r} has no {key}")
            uids.add(ds["uid"])
    if not uids:
        fail(f"{root}/provisioning/datasources: no datasource")
    providers = 0
    for path in sorted((root / "provisioning" / "dashboards").glob("*.y*ml")):
        doc = yaml.safe_load(path.read_text())
        for p in doc.get("providers", []):
            if p.get("type") != "file" or not p.get("options", {}).get("path"):
                fail(f"{path}: provider {p.get('name')!r} needs type file and options.path")
            providers += 1
    if not providers:
        fail(f"{root}/provisioning/dashboards: no dashboard provider")
    dashboards = sorted((root / "dashboards").glob("*.json"))
    if not dashboards:
        fail(f"{root}/dashboards: no dashboard")
    panels = 0
    for path in dashboards:
        try:
            dash = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            fail(f"{path}: {exc}")
        for key in ("uid", "title", "panels", "schemaVersion"):
            if key not in dash:
                fail(f"{path}: no {key}")
        check_layout(path, dash["panels"])
        for panel in dash["panels"]:
            panels += 1
            uid = panel.get("datasource", {}).get("uid")
            if uid not in uids:
                fail(f"{path}: panel {panel.get('title')!r} uses datasource {uid!r}, provisioned: {sorted(uids)}")
            for target in panel.get("targets", []):
                names = re.findall(r"\b([a-z_]+_[a-z_]+)\b", target.get("expr", ""))
                if not any(n.startswith(KNOWN_PREFIXES) for n in names):
                    fail(f"{path}: panel {panel.get('title')!r}: {target.get('expr')!r} names no project metric")
                for n in names:
                    if metrics is not None and n.startswith(KNOWN_PREFIXES) and not known(n, metrics):
                        fail(f"{path}: panel {panel.get('title')!r}: {n} is not a metric the project defines")
    print(f"grafana: {len(uids)} datasource(s), {providers} provider(s), {len(dashboards)} dashboard(s), {panels} panels: ok")


if __name__ == "__main__":
    args = sys.argv[1:]
    src = None
    if "--metrics" in args:
        i = args.index("--metrics")
        if i + 1 >= len(args):
            fail("--metrics: give the source folder (e.g. src)")
        src = Path(args.pop(i + 1))
        args.pop(i)
    main(Path(args[0] if args else "monitoring/grafana"), defined_metrics(src) if src else None)

"""Static checks of Grafana provisioning files (Grafana itself cannot run
in CI): YAML and JSON parse, datasources and dashboard providers have the
keys Grafana needs, every panel's datasource uid is provisioned, and every
query names a metric the project exports.

    python grafana_check.py monitoring/grafana
"""

import json
import re
import sys
from pathlib import Path

import yaml

KNOWN_PREFIXES = ("taxi_",)


def fail(msg: str) -> None:
    print(f"grafana: {msg}", file=sys.stderr)
    sys.exit(1)


def main(root: Path) -> None:
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
        for panel in dash["panels"]:
            panels += 1
            uid = panel.get("datasource", {}).get("uid")
            if uid not in uids:
                fail(f"{path}: panel {panel.get('title')!r} uses datasource {uid!r}, provisioned: {sorted(uids)}")
            for target in panel.get("targets", []):
                names = re.findall(r"\b([a-z_]+_[a-z_]+)\b", target.get("expr", ""))
                if not any(n.startswith(KNOWN_PREFIXES) for n in names):
                    fail(f"{path}: panel {panel.get('title')!r}: {target.get('expr')!r} names no project metric")
    print(f"grafana: {len(uids)} datasource(s), {providers} provider(s), {len(dashboards)} dashboard(s), {panels} panels: ok")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "monitoring/grafana"))

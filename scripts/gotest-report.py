"""Turn `go test -json` output into the -v text log, and print what each
failed test printed.

Usage: gotest-report.py JSON_FILE TEXT_LOG

The text log is what `go test -v` would have printed (lines that are not
JSON, such as build errors, are kept as they are). For every failed test,
its own output (the last 60 lines) is printed to stdout, so a failure's
message stays next to its name however many tests ran in parallel.
"""

import json
import sys
from collections import defaultdict

KEEP = 60


def main(json_path: str, text_path: str) -> None:
    """Write the text log and print the failed tests' output."""
    output: dict[tuple[str, str], list[str]] = defaultdict(list)
    failed: list[tuple[str, str]] = []
    with open(json_path, errors="replace") as src, open(text_path, "w") as text:
        for line in src:
            try:
                event = json.loads(line)
            except ValueError:
                text.write(line)
                continue
            if not isinstance(event, dict):
                text.write(line)
                continue
            out = event.get("Output")
            if out is not None:
                text.write(out)
            test = event.get("Test")
            if not test:
                continue
            key = (event.get("Package", ""), test)
            if out is not None:
                output[key].append(out)
            if event.get("Action") == "fail":
                failed.append(key)
    for package, test in failed:
        lines = "".join(output[(package, test)]).splitlines()
        print(f"=== output of failed {test} ({package}), last {KEEP} lines")
        for line in lines[-KEEP:]:
            print(line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

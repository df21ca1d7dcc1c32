"""Check the pinned requirements against known vulnerabilities with pip-audit.

pip-audit says "No known vulnerabilities found" even when it could not look a single
pin up (its vulnerability service unreachable, or a package index that does not serve
per-version data). This wrapper says how many pins were really checked, fails on any
vulnerability, and with AUDIT_STRICT=1 also fails when a pin could not be checked.

    python scripts/audit_dependencies.py requirements.txt requirements-dev.txt
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def run_pip_audit(requirement_files: list[str], report: Path) -> int:
    command = [str(Path(sys.executable).with_name("pip-audit")), "--no-deps", "--disable-pip"]
    command += ["--progress-spinner", "off", "--format", "json", "--output", str(report)]
    for name in requirement_files:
        command += ["-r", name]
    # Every pin is exact (==), so resolving them again in a throwaway venv adds nothing.
    return subprocess.run(command, check=False).returncode  # noqa: S603  # nosec B603


def summarise(report: Path) -> tuple[list[str], list[str], int]:
    dependencies = json.loads(report.read_text())["dependencies"]
    vulnerable = [
        f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions']) or 'no release yet'})"
        for dep in dependencies
        for vuln in dep.get("vulns", [])
    ]
    unchecked = [dep["name"] for dep in dependencies if "skip_reason" in dep]
    return vulnerable, unchecked, len(dependencies)


def main(requirement_files: list[str]) -> int:
    strict = os.environ.get("AUDIT_STRICT", "") not in ("", "0")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        returncode = run_pip_audit(requirement_files, report)
        if not report.exists():
            print(f"pip-audit failed (exit {returncode}) before writing its report", file=sys.stderr)
            return returncode or 1
        vulnerable, unchecked, total = summarise(report)
    for line in vulnerable:
        print(f"VULNERABLE {line}")
    checked = total - len(unchecked)
    print(f"pip-audit: {checked} of {total} pinned packages checked, {len(vulnerable)} known vulnerabilities")
    if unchecked:
        print(
            f"NOT CHECKED ({len(unchecked)}): the vulnerability service did not know these pins or could "
            f"not be reached: {', '.join(sorted(unchecked))}"
        )
    if vulnerable:
        return 1
    if unchecked and strict:
        print("AUDIT_STRICT=1: pins that could not be checked count as a failure")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.txt", "requirements-dev.txt"]))

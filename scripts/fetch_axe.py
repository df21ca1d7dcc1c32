"""Fetch axe-core (the accessibility engine the browser tests inject) once, checked.

The pinned release is fetched with npm from the npm registry, its sha512 compared with
the integrity recorded here, and only ``axe.min.js`` is kept, outside the repository:

    python scripts/fetch_axe.py .venv/axe-core

Run by `make test`; does nothing when the checked file is already there.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
SCRIPT = "package/axe.min.js"


def integrity_of(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch_tarball(folder: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed to fetch axe-core for the accessibility tests (apt-get install npm)")
    command = [npm, "pack", f"axe-core@{VERSION}", "--pack-destination", str(folder), "--silent"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return folder / f"axe-core-{VERSION}.tgz"


def main(target_folder: str) -> int:
    target = Path(target_folder) / VERSION / "axe.min.js"
    if target.exists():
        return 0
    with tempfile.TemporaryDirectory() as folder:
        tarball = fetch_tarball(Path(folder))
        found = integrity_of(tarball)
        if found != INTEGRITY:
            sys.exit(f"axe-core {VERSION}: integrity {found} does not match the pinned {INTEGRITY}")
        with tarfile.open(tarball, "r:gz") as package:
            member = package.extractfile(SCRIPT)
            if member is None:
                sys.exit(f"axe-core {VERSION}: {SCRIPT} missing from the package")
            script = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(target)
    print(f"axe-core {VERSION} checked and saved to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".venv/axe-core"))

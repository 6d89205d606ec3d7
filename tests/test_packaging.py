"""A wheel of the project installs only ``socsim*`` names into site-packages."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_only_socsim_names(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("socsim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert all(name.startswith("socsim") for name in top_level), top_level
    # The user's top-level folders are reachable under the socsim namespace.
    assert "socsim/envs/__init__.py" in names
    assert "socsim/agents/__init__.py" in names
    assert any(name.startswith("socsim/data/platforms/") for name in names)

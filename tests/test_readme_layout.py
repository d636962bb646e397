"""The README's layout section names files and folders that exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_path_in_the_layout_section_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Where things live (layout)", 1)[1].split("\n## ", 1)[0]
    named = {p for p in re.findall(r"`([\w./*-]+/[\w./*-]*|[\w-]+\.py)`", section)
             if not p.startswith("../")}
    assert len(named) > 15
    for name in named:
        matches = [hit for base in (ROOT, ROOT / "support_kit", ROOT / "support_kit" / "report",
                                    ROOT / "deploy" / "lab") for hit in base.glob(name)]
        assert matches, f"README layout names {name}, which is not in the repository"

"""The bundled demo data shows every case the desk meets."""

import pandas as pd

from support_kit import demo, rules
from support_kit.customers import demo_path, load
from support_kit.marketplaces import table


def test_demo_covers_every_state_finding_region_and_language(demo):
    frame = rules.evaluate(demo.customers, demo_module_as_of())
    assert set(frame["state"].astype(str)) == set(rules.STATES)
    found = {f for value in frame["findings"] for f in rules.finding_ids(value)}
    assert found == set(rules.FILE_FINDINGS) - {"roles_changed"}  # needs the setting
    changed = rules.evaluate(demo.customers, demo_module_as_of(),
                             roles_changed_on=demo_module_as_of())
    assert "roles_changed" in {f for value in changed["findings"]
                               for f in rules.finding_ids(value)}
    assert set(frame["region"].dropna()) == set(table()["region"])
    assert set(frame["language"]) == {"de", "en"}
    assert 150 <= len(frame) <= 250 and demo.rows_rejected == 0


def demo_module_as_of():
    return demo.DEMO_AS_OF


def test_bundled_file_is_what_the_generator_writes(tmp_path):
    demo.main(["--out", str(tmp_path / "d.csv")])
    assert (tmp_path / "d.csv").read_bytes() == demo_path().read_bytes()


def test_generator_scales_and_stays_valid():
    frame = demo.generate(5000, seed=3)
    loaded = load(frame)
    assert loaded.rows_loaded == 5000
    assert pd.Series(frame["customer_id"]).is_unique

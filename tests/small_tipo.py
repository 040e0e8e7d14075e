"""A ~40-entry TIPO workspace for GUI and tuning tests: the first rows of each demo file,
written as one small CSV (tuning the whole demo corpus would take minutes)."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import DEMO_DIR, data_home_at

ROWS_PER_FILE = {"utility_model_report_qa.csv": 20, "patent_attorney_act_qa.csv": 10,
                 "patent_qa.csv": 10}


def write_small_tipo_csv(path: Path) -> Path:
    rows = []
    for name, count in ROWS_PER_FILE.items():
        with open(DEMO_DIR / name, encoding="utf-8-sig", newline="") as handle:
            for row in list(csv.DictReader(handle))[:count]:
                rows.append((row.get("類別", ""), row["題目"], row["解答"]))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["類別", "題目", "解答"])
        writer.writerows(rows)
    return path


def build_small_workspace(home: Path, encoder: object) -> Path:
    """Import the small CSV into workspace 'small' under `home` (embedded with the shared
    session encoder); returns the workspace file."""
    from core.desk import Desk

    with data_home_at(home):
        with Desk("small", encoder=encoder) as desk:  # type: ignore[arg-type]
            desk.import_files([write_small_tipo_csv(home / "small.csv")])
            assert desk.ws.count_items() == sum(ROWS_PER_FILE.values())
            return desk.ws.path

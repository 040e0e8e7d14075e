"""The README's two set-up commands are the ones CI runs and the ones that exist."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_opens_with_two_setup_commands_and_ci_runs_the_second():
    launch, test = _commands()
    assert "patent-desk" in launch and "packaging/install.py" in launch
    assert "pytest" in test and "install.py --test" in test
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test.strip() in ci.splitlines()

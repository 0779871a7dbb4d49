"""docs/matching.md shows a real input and the output solve() gives for it."""

import json
import re
from pathlib import Path

from ish_portal.matching import solve

DOCS = Path(__file__).resolve().parents[2] / "docs" / "matching.md"


def test_docs_example_output_is_what_solve_returns_for_the_example_input():
    example_input, example_output = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)[:2]
    assert solve(json.loads(example_input)) == json.loads(example_output)

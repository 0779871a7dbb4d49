"""Write sample letters to a folder, to look at them:  python -m ish_portal.letters OUT_DIR"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ish_portal.letters import acceptance_letter, certificate, visa_letter, written_languages
from ish_portal.letters.samples import sample

LETTERS = {"acceptance": acceptance_letter, "visa": visa_letter, "certificate": certificate}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ish_portal.letters",
                                     description="Write sample letters (PDF) to OUT_DIR.")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for language in written_languages():
        for name, make in LETTERS.items():
            path = args.out_dir / f"{name}-{language}.pdf"
            path.write_bytes(make(sample(language)))
            print(path)
        # The acceptance letter reads differently before the lab placement.
        path = args.out_dir / f"acceptance-unplaced-{language}.pdf"
        path.write_bytes(acceptance_letter(sample(language, placed=False)))
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

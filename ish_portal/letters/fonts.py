"""The letters' typeface: Noto Sans, from the fontpkg-noto-sans package (a dependency of the portal,
so a fresh virtualenv has it on any machine; no system fonts are needed).

The package ships Noto Sans as variable fonts. fpdf2 can cut a static weight out of a variable font
itself (add_font(variations=...)), but it does so on every add_font and takes 6-10 s per style,
mostly spent re-computing the kerning and substitution tables (GPOS, GSUB). fpdf2 does not use
those tables unless text shaping is switched on, which the letters never do. So each style is cut
here once, without those tables, and kept as a static TTF in a cache folder that outlives the
process: the first letter on a machine takes a few seconds, every later one a fraction of a second.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import fontpkg
import fontTools
from fontTools import ttLib
from fontTools.varLib import instancer

FAMILY = "Noto Sans"

# Change this whenever _cut_static() changes what it writes, so old cache files are not reused.
RECIPE = "3"


@dataclass(frozen=True)
class Style:
    fpdf_style: str   # "" / "B" / "I", as fpdf2's set_font() names styles
    weight: int       # the wght axis value
    slope: str        # fontpkg's style: "normal" or "italic"
    subfamily: str    # what the name table calls it


STYLES = (
    Style("", 400, "normal", "Regular"),
    Style("B", 700, "normal", "Bold"),
    Style("I", 400, "italic", "Italic"),
)

# Tables fpdf2 ignores without text shaping, and which cost most of the instancing time.
LAYOUT_TABLES = ("GPOS", "GSUB", "GDEF", "JSTF")

_lock = threading.Lock()
_fonts: dict[str, Path] | None = None


def static_fonts() -> dict[str, Path]:
    """Paths of the static Noto Sans files, keyed by fpdf2 style ("", "B", "I"); cut on first use."""
    global _fonts
    with _lock:  # threads of one process share one cut; other processes share the files
        # Checked each time: a cleaner of temporary folders may remove the files of a long-running
        # server, and they are then simply cut again.
        if _fonts is None or not all(path.exists() for path in _fonts.values()):
            folder = cache_dir()
            _fonts = {style.fpdf_style: _static_file(style, folder) for style in STYLES}
        return dict(_fonts)


@functools.cache
def covered_characters() -> frozenset[int]:
    """Code points the letters' regular font has a glyph for."""
    font = ttLib.TTFont(static_fonts()[""], lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def cache_dir() -> Path:
    """The first writable folder among the user's cache folder and the system's temporary one.
    A web server's account often has no writable home; the temporary folder still works there."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    user_cache = Path(xdg) if xdg else Path.home() / ".cache"
    candidates = [user_cache / "ish-portal" / "fonts",
                  Path(tempfile.gettempdir()) / f"ish-portal-fonts-{_user_id()}"]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
    raise OSError("no writable folder for the letters' fonts: tried "
                  + ", ".join(str(folder) for folder in candidates))


def _user_id() -> str:
    # Separate temporary folders per user, so one account cannot plant fonts for another.
    return str(os.getuid()) if hasattr(os, "getuid") else "user"


def _static_file(style: Style, folder: Path) -> Path:
    source = fontpkg.path(FAMILY, weight=style.weight, style=style.slope)
    digest = hashlib.sha256()
    digest.update(source.read_bytes())
    digest.update(f"{RECIPE}/{fontTools.version}/{style.weight}/{style.subfamily}".encode())
    target = folder / f"NotoSans-{style.subfamily}-{digest.hexdigest()[:16]}.ttf"
    if not target.exists():
        # Written under a name of its own, then renamed: a process that starts at the same time
        # sees either no file or a complete one, never half of one.
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            _cut_static(source, style, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _cut_static(source: Path, style: Style, target: Path) -> None:
    font = ttLib.TTFont(source)
    for tag in LAYOUT_TABLES:
        if tag in font:
            del font[tag]
    is_variable = "fvar" in font
    if is_variable:
        # Width stays normal (100); the letters use only the weight.
        axes = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
        axes["wght"] = style.weight
        instancer.instantiateVariableFont(font, axes, inplace=True, static=True)
    _name(font, style)
    # Glyph names are of no use in a PDF, and reading them back is a good part of what each
    # letter spends loading its fonts; post format 3 leaves them out.
    font["post"].formatType = 3.0
    font.save(target)
    font.close()


def _name(font: ttLib.TTFont, style: Style) -> None:
    # fpdf2 takes the PDF font name from the name table; the instancer keeps the variable font's
    # names, which would give the regular and the bold cut the same name in the PDF.
    names = font["name"]
    full = f"{FAMILY} {style.subfamily}"
    postscript = f"{FAMILY.replace(' ', '')}-{style.subfamily}"
    for name_id in (1, 2, 4, 6, 16, 17, 25):  # 16, 17, 25: typographic and variation names
        names.removeNames(nameID=name_id)
    for name_id, value in ((1, FAMILY), (2, style.subfamily), (4, full), (6, postscript)):
        names.setName(value, name_id, 3, 1, 0x409)
    bold = style.fpdf_style == "B"
    italic = style.slope == "italic"
    font["head"].macStyle = (1 if bold else 0) | (2 if italic else 0)
    italic_bit, bold_bit, regular_bit = 1 << 0, 1 << 5, 1 << 6
    selection = font["OS/2"].fsSelection & ~(italic_bit | bold_bit | regular_bit)
    if italic:
        selection |= italic_bit
    if bold:
        selection |= bold_bit
    if not (bold or italic):
        selection |= regular_bit
    font["OS/2"].fsSelection = selection

"""The letters' typefaces: Noto Sans (Latin, Greek, Cyrillic) from the fontpkg-noto-sans package,
and for the scripts it lacks, Noto Sans Hebrew, Noto Sans JP and Noto Sans SC from the
pylopdf-fonts-he, -jp and -zh-cn packages. All are dependencies of the portal, so a fresh virtualenv
has them on any machine; no system fonts are needed. A letter loads a script's font only when its
text needs it (fonts_for()), so a Latin letter costs what it did before the other scripts came.

The package ships Noto Sans as variable fonts. fpdf2 can cut a static weight out of a variable font
itself (add_font(variations=...)), but it does so on every add_font and takes 6-10 s per style,
mostly spent re-computing the kerning and substitution tables (GPOS, GSUB). fpdf2 does not use
those tables unless text shaping is switched on, which the letters never do. So each style is cut
here once, without those tables, and kept as a static TTF in a cache folder that outlives the
process: the first letter on a machine takes a few seconds, every later one a fraction of a second.

Noto Sans Hebrew is variable too; its cuts keep the layout tables, as Hebrew text is shaped (text
shaping puts right-to-left text in its visual order and places its marks). The Japanese and Chinese
fonts are static OpenType (CFF) files with 17,000 and 31,000 glyphs; they have no bold, so bold
text in those scripts is set in the regular weight. Their copies in the cache folder leave out the
layout and vertical-writing tables (which fpdf2 decodes, then drops, on every letter), which takes
a second once; fpdf2 embeds only the glyphs a letter uses, so a letter with a Chinese name stays
small.
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
HEBREW = "Noto Sans Hebrew"

# Change this whenever _cut_static() changes what it writes, so old cache files are not reused.
RECIPE = "4"


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
# What the Japanese and Chinese copies leave out besides: baselines, vertical writing, a signature.
CJK_TABLES = (*LAYOUT_TABLES, "BASE", "VORG", "vhea", "vmtx", "DSIG")


class FontMissing(RuntimeError):
    """A font package of the portal is not installed (the virtualenv is older than pyproject.toml)."""


@dataclass(frozen=True)
class Face:
    """A typeface a letter may use: fpdf2's family name and its files by style ("" and "B")."""

    family: str
    files: dict[str, Path]


_lock = threading.Lock()
_fonts: dict[str, Path] | None = None
_hebrew: dict[str, Path] | None = None
_lean: dict[Path, Path] = {}


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


def hebrew_fonts() -> dict[str, Path]:
    """Paths of the static Noto Sans Hebrew cuts, keyed by fpdf2 style ("", "B"); cut on first use
    (well under a second: the font is small)."""
    global _hebrew
    with _lock:
        if _hebrew is None or not all(path.exists() for path in _hebrew.values()):
            source = _package_file("pylopdf_fonts_he", "pylopdf-fonts-he", "sans_path")
            folder = cache_dir()
            _hebrew = {style.fpdf_style: _static_file(style, folder, source=source, family=HEBREW,
                                                      keep_layout=True)
                       for style in STYLES if style.slope == "normal"}
        return dict(_hebrew)


def _package_file(module: str, package: str, function: str) -> Path:
    try:
        path = getattr(__import__(module), function)()
    except ImportError:
        raise FontMissing(f"the letters need the font package {package}, which is not installed: "
                          f"run `make install` (or pip install -e .)") from None
    if not Path(path).is_file():
        raise FontMissing(f"the font file {path} of the package {package} is missing: reinstall it")
    return Path(path)


def _japanese() -> Face:
    return Face("NotoSansJP", {"": _lean_copy(_package_file("pylopdf_fonts_jp", "pylopdf-fonts-jp",
                                                             "sans_path"))})


def _chinese() -> Face:
    return Face("NotoSansSC", {"": _lean_copy(_package_file("pylopdf_fonts_zh_cn", "pylopdf-fonts-zh-cn",
                                                             "sans_path"))})


def _lean_copy(source: Path) -> Path:
    """The font without CJK_TABLES, in the cache folder; made once (the tables are dropped as they
    are, without decoding the font)."""
    with _lock:
        target = _lean.get(source)
        if target is not None and target.exists():
            return target
        stat = source.stat()
        digest = hashlib.sha256(f"{RECIPE}/{fontTools.version}/{source}/{stat.st_size}/{stat.st_mtime_ns}"
                                .encode()).hexdigest()[:16]
        target = cache_dir() / f"{source.stem}-lean-{digest}{source.suffix}"
        if not target.exists():
            partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
            try:
                font = ttLib.TTFont(source, lazy=True)
                for tag in CJK_TABLES:
                    if tag in font:
                        del font[tag]
                font.save(partial)
                font.close()
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
        _lean[source] = target
        return target


def _hebrew_face() -> Face:
    return Face("NotoSansHebrew", hebrew_fonts())


def _is_kana(code: int) -> bool:
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F


def fallback_faces(language: str, characters: frozenset[int] = frozenset()) -> list[Face]:
    """Every face that may stand in for Noto Sans, in the order they are asked. Han characters are
    in both the Japanese and the Chinese font, drawn the way each country writes them: a Japanese
    letter, or text with kana, asks the Japanese font first, everything else the Chinese one."""
    japanese_first = language == "ja" or any(_is_kana(code) for code in characters)
    cjk = [_japanese(), _chinese()] if japanese_first else [_chinese(), _japanese()]
    return [_hebrew_face(), *cjk]


def fonts_for(language: str, characters: frozenset[int]) -> list[Face]:
    """The fallback faces a text of these characters needs, in the order fpdf2 should ask them:
    only those that draw something neither Noto Sans nor an earlier face draws."""
    left = set(characters) - _coverage(static_fonts()[""])
    faces = []
    for face in fallback_faces(language, characters):
        if not left:
            break
        drawn = left & _coverage(face.files[""])
        if drawn:
            faces.append(face)
            left -= drawn
    return faces


def covered_characters() -> frozenset[int]:
    """Code points some font of the letters has a glyph for (the union of Noto Sans and every
    fallback face)."""
    covered = set(_coverage(static_fonts()[""]))
    for face in fallback_faces("en"):
        covered |= _coverage(face.files[""])
    return frozenset(covered)


@functools.cache
def _coverage(path: Path) -> frozenset[int]:
    font = ttLib.TTFont(path, lazy=True)
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


def _static_file(style: Style, folder: Path, *, source: Path | None = None, family: str = FAMILY,
                 keep_layout: bool = False) -> Path:
    if source is None:
        source = fontpkg.path(family, weight=style.weight, style=style.slope)
    digest = hashlib.sha256()
    digest.update(source.read_bytes())
    digest.update(f"{RECIPE}/{fontTools.version}/{style.weight}/{style.subfamily}/{keep_layout}".encode())
    stem = family.replace(" ", "")
    target = folder / f"{stem}-{style.subfamily}-{digest.hexdigest()[:16]}.ttf"
    if not target.exists():
        # Written under a name of its own, then renamed: a process that starts at the same time
        # sees either no file or a complete one, never half of one.
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            _cut_static(source, style, partial, family=family, keep_layout=keep_layout)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _cut_static(source: Path, style: Style, target: Path, *, family: str = FAMILY,
                keep_layout: bool = False) -> None:
    font = ttLib.TTFont(source)
    if not keep_layout:
        for tag in LAYOUT_TABLES:
            if tag in font:
                del font[tag]
    is_variable = "fvar" in font
    if is_variable:
        # Width stays normal (100); the letters use only the weight.
        axes = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
        if "wdth" in axes:
            axes["wdth"] = 100
        axes["wght"] = style.weight
        instancer.instantiateVariableFont(font, axes, inplace=True, static=True)
    _name(font, style, family)
    # Glyph names are of no use in a PDF, and reading them back is a good part of what each
    # letter spends loading its fonts; post format 3 leaves them out.
    font["post"].formatType = 3.0
    font.save(target)
    font.close()


def _name(font: ttLib.TTFont, style: Style, family: str = FAMILY) -> None:
    # fpdf2 takes the PDF font name from the name table; the instancer keeps the variable font's
    # names, which would give the regular and the bold cut the same name in the PDF.
    names = font["name"]
    full = f"{family} {style.subfamily}"
    postscript = f"{family.replace(' ', '')}-{style.subfamily}"
    for name_id in (1, 2, 4, 6, 16, 17, 25):  # 16, 17, 25: typographic and variation names
        names.removeNames(nameID=name_id)
    for name_id, value in ((1, family), (2, style.subfamily), (4, full), (6, postscript)):
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

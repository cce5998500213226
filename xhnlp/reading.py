"""Read report files into text: .txt (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030/GBK), .docx, .html.

Every failure is a :class:`ReadError` whose message is one line naming the file and the cause.
"""
from __future__ import annotations

import codecs
import html.parser
import io
import os
from dataclasses import dataclass
from pathlib import Path

from .segment import has_chinese

SUFFIXES = (".txt", ".text", ".docx", ".html", ".htm")  # what a directory is searched for
MAX_BYTES = 1 << 30  # refuse files over 1 GiB rather than exhaust memory


class ReadError(Exception):
    """A file that cannot be read as a report; str(error) is one line."""


@dataclass
class Document:
    doc: str  # document id: the path as given, or a name
    text: str
    encoding: str  # detected encoding, or "docx" / "html+<encoding>"


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode report bytes, returning (text, encoding). Raises ReadError for binary or undecodable input."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise ReadError(f"{name}: starts with a {enc} byte-order mark but is not valid {enc} ({e.reason})") from None
    if b"\x00" in data[:65536]:
        raise ReadError(f"{name}: binary file (contains NUL bytes), not a text report")
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f\v")
        if controls > 0.01 * min(len(text), 65536) + 2:
            raise ReadError(f"{name}: binary file (control characters), not a text report")
        return text, enc
    raise ReadError(f"{name}: cannot decode as UTF-8 or GB18030/GBK; re-save the file as UTF-8")


class _HTMLText(html.parser.HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title"}
    SKIP = {"script", "style", "head", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data.replace("\n", " "))


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def docx_to_text(data: bytes, name: str) -> str:
    try:
        import docx  # python-docx
        paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    except Exception as e:  # a corrupt zip, not a docx, ...
        raise ReadError(f"{name}: not a readable .docx file ({type(e).__name__})") from None
    return "".join(p.text + "\n" for p in paragraphs)


def read_bytes(data: bytes, name: str, suffix: str = ".txt") -> Document:
    """Turn a file's bytes into a :class:`Document`, checking it holds Chinese text."""
    suffix = suffix.lower()
    if not data.strip():
        raise ReadError(f"{name}: empty file")
    if suffix == ".docx":
        text, encoding = docx_to_text(data, name), "docx"
    else:
        text, encoding = decode(data, name)
        if suffix in (".html", ".htm"):
            text, encoding = html_to_text(text), f"html+{encoding}"
    if not text.strip():
        raise ReadError(f"{name}: no text in file")
    if not has_chinese(text[:1_000_000]) and not has_chinese(text):
        raise ReadError(f"{name}: no Chinese characters found; xhnlp tags Chinese reports")
    return Document(name, text, encoding)


def read_file(path: str | os.PathLike) -> Document:
    """Read one report file. Raises ReadError (one-line message) if it cannot be read."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReadError(f"{name}: file too large ({size / 2**20:.0f} MiB > {MAX_BYTES >> 20} MiB); split it")
        data = path.read_bytes()
    except ReadError:
        raise
    except IsADirectoryError:
        raise ReadError(f"{name}: is a directory") from None
    except OSError as e:
        raise ReadError(f"{name}: cannot open ({e.strerror or type(e).__name__})") from None
    return read_bytes(data, name, path.suffix)


def find_files(paths) -> list[Path]:
    """Expand files and directories (recursively, report suffixes only, README files skipped), sorted,
    without duplicates."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                                and not f.name.lower().startswith("readme")))
        else:
            found.append(p)  # given explicitly: read it whatever its suffix, errors reported per file
    seen: set[Path] = set()
    return [f for f in found if not (f.resolve() in seen or seen.add(f.resolve()))]

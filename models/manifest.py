"""``weights/manifest.json``: the one schema, its reader (which skips bad entries, saying why) and its writer.

    {"format": 1, "models": {NAME: ENTRY, ...}}

An ENTRY needs ``builder`` (a name in ``models.BUILDERS``), ``file`` (the weights file) and ``sha256``; it may have
``args`` (the builder's keyword arguments), ``task``, ``title``, ``history`` ({kind: file}), ``metrics`` and
everything else training records. Every file an entry names must lie inside the weights folder. An entry that
breaks these rules is left out and the reason logged, so one bad entry cannot take the site down; a file that is
not a manifest at all raises ``WeightsError``.
"""

import json
import logging
import os
import re
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = 1
ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("gan_studio")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class WeightsError(RuntimeError):
    """A weights file or manifest entry is missing, damaged or does not match its checksum."""


def shown_path(path):
    """A path as a visitor may see it: relative to the app's folder when inside it, else only its name (never the
    server's absolute paths)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def contained(folder, relative):
    """``folder / relative`` if it stays inside ``folder`` (no ``..``, no absolute path, no link out), else
    ``ValueError``."""
    if not isinstance(relative, str) or not relative:
        raise ValueError(f"a file name must be a non-empty string, got {relative!r}")
    base = Path(folder).resolve()
    path = (base / relative).resolve()
    if path != base and base not in path.parents:
        raise ValueError(f"{relative!r} points outside the weights folder")
    return base / relative


def problem(name, entry, folder):
    """Why ``entry`` is not a usable manifest entry, or None when it is."""
    if not isinstance(entry, dict):
        return f"an entry must be an object, got {type(entry).__name__}"
    for key in ("builder", "file", "sha256"):
        if not isinstance(entry.get(key), str):
            return f"'{key}' is missing or not a string"
    if not _SHA256.fullmatch(entry["sha256"]):
        return "'sha256' is not 64 lowercase hex digits"
    if not isinstance(entry.get("args", {}), dict):
        return "'args' must be an object"
    for key in ("task", "title", "command"):
        if key in entry and not isinstance(entry[key], str):
            return f"'{key}' must be a string"
    history = entry.get("history", {})
    if not isinstance(history, dict) or not all(isinstance(v, str) for v in history.values()):
        return "'history' must map kinds to file names"
    try:
        for relative in [entry["file"], *history.values()]:
            contained(folder, relative)
    except ValueError as exc:
        return str(exc)
    return None


_checked = {}  # (manifest path, mtime, size) -> (its text, {name: reason to leave it out or None})


def read(folder):
    """The manifest's valid entries (name -> entry) in ``folder``; {} when there is no manifest yet.

    The entries are checked once per version of the file (the checks resolve paths on disk); each call parses
    the text again, so callers get entries of their own to change."""
    path = Path(folder) / MANIFEST
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    text, reasons = _checked.get(key, (None, None))
    if text is None:
        text = path.read_text()
    hint = f"restore it with `git checkout -- weights/{MANIFEST}`"
    try:
        models = json.loads(text)["models"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise WeightsError(f"weights/{MANIFEST} is not a valid manifest ({type(exc).__name__}: {exc}); {hint}") \
            from exc
    if not isinstance(models, dict):
        raise WeightsError(f"weights/{MANIFEST} is not a valid manifest ('models' is {type(models).__name__}, not an "
                           f"object); {hint}")
    if reasons is None:
        reasons = {name: problem(name, entry, folder) for name, entry in models.items()}
        for name, reason in reasons.items():
            if reason:
                log.warning("manifest: model %r left out: %s", name, reason)
        _checked.clear()  # only the current version of each folder's manifest is worth keeping
        _checked[key] = (text, reasons)
    return {name: entry for name, entry in models.items() if not reasons.get(name)}


def write_entry(folder, name, entry):
    """Insert or replace ``name`` in the manifest of ``folder``, atomically (temp file, then rename); refuses an
    entry the reader would leave out. Entries already there that are invalid are kept as they are."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    reason = problem(name, entry, folder)
    if reason:
        raise ValueError(f"manifest entry {name!r}: {reason}")
    path = folder / MANIFEST
    models = json.loads(path.read_text()).get("models", {}) if path.exists() else {}
    if not isinstance(models, dict):
        models = {}
    models[name] = entry
    tmp = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"format": FORMAT, "models": dict(sorted(models.items()))}, indent=2) + "\n")
    os.replace(tmp, path)

"""Fail when zh_Hans lacks a translation or its compiled .mo is not up to date.

Runs makemessages into a scratch copy and compares message ids, so a string added to the
code without `make messages` is caught; then checks every msgstr is filled and not fuzzy,
and that compiling the committed .po gives the committed .mo.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")
PY = sys.executable


def entries(po_text):
    """(msgctxt, msgid, msgid_plural) -> (msgstrs, fuzzy) from a .po file's text."""
    out, block = {}, []
    for line in [*po_text.splitlines(), ""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            parse(block, out)
        block = []
    return out


def parse(block, out):
    fields, current, fuzzy = {}, None, False
    for line in block:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            fields[current] += eval(line)  # noqa: S307 - a .po string literal
            continue
        key, _, rest = line.partition(" ")
        current = key
        fields[key] = eval(rest)  # noqa: S307
    if not fields.get("msgid") and "msgid" in fields:
        return  # header
    key = (fields.get("msgctxt"), fields.get("msgid"), fields.get("msgid_plural"))
    strs = [v for k, v in fields.items() if k.startswith("msgstr")]
    out[key] = (strs, fuzzy)


def main():
    problems = []
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "locale"
        shutil.copytree(ROOT / "locale", scratch)
        # makemessages writes each file's strings to the locale folder that file sits under:
        # run from links to the sources in the scratch folder (no `locale` beside them), so
        # that it fills the scratch copy and leaves the committed .po alone.
        sources = Path(tmp) / "src"
        sources.mkdir()
        for entry in ROOT.iterdir():
            if entry.name not in {"locale", ".git", ".venv", "staticfiles"}:
                (sources / entry.name).symlink_to(entry)
        subprocess.run(
            [
                PY,
                "manage.py",
                "makemessages",
                "--symlinks",
                "-l",
                "zh_Hans",
                "--no-obsolete",
                "--no-location",
                "--ignore=.venv",
                "--ignore=staticfiles",
                "--ignore=tests",
                "--ignore=bench",
            ],
            cwd=sources,
            env={**env, "BRANCHSITE_LOCALE_DIR": str(scratch)},
            check=True,
            capture_output=True,
        )
        fresh = entries((scratch / "zh_Hans/LC_MESSAGES/django.po").read_text("utf-8"))
        compiled = Path(tmp) / "django.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)], check=True)
        if not MO.exists() or compiled.read_bytes() != MO.read_bytes():
            problems.append("locale/zh_Hans/LC_MESSAGES/django.mo is stale: run `make messages`.")
    committed = entries(PO.read_text("utf-8"))
    missing = [k for k in fresh if k not in committed]
    for key in missing[:20]:
        problems.append(f"not in django.po (run `make messages`): {key[1]!r}")
    for key, (strs, fuzzy) in committed.items():
        if fuzzy or not all(strs):
            problems.append(f"untranslated or fuzzy: {key[1]!r}")
    if problems:
        print("\n".join(problems[:60]))
        print(f"{len(problems)} translation problem(s).")
        return 1
    print(f"zh_Hans: {len(committed)} messages, all translated; .mo up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pinyin keys of a person's name, so a list can be filtered by 张三, `zhangsan` or `zs`.

Computed on the server (pypinyin) into a data attribute; the filtering itself is a small
static script. The surname's other readings are added (单 dan/shan, 曾 zeng/ceng), since a
dictionary reads a name's first character as a word, not as a surname.
"""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

_MAX_SURNAME_READINGS = 4


def _plain(text):
    return [text.lower()]


@lru_cache(maxsize=8192)
def name_search_keys(name: str) -> str:
    """'zhangsan zs' for 张三: full pinyin and initials, lower case, space separated."""
    name = (name or "").strip()
    if not name:
        return ""
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors=_plain)]
    keys = {"".join(syllables), "".join(s[:1] for s in syllables)}
    first_readings = pinyin(name[0], style=Style.NORMAL, heteronym=True, errors=_plain)
    for reading in first_readings[0][:_MAX_SURNAME_READINGS] if first_readings else ():
        rest = syllables[1:]
        keys.add(reading.lower() + "".join(rest))
        keys.add(reading[:1].lower() + "".join(s[:1] for s in rest))
    keys.discard("")
    return " ".join(sorted(keys))

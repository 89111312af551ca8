"""The web app's words, read from the one text catalogue of :mod:`sipas.messages`
(``messages/data/text/web.yaml`` and the shared entries)."""

from __future__ import annotations

LANGS = ("vi", "en")


def translate(key: str, lang: str) -> str:
    """A word of the web app (``web.<key>`` in the text catalogue), or any other entry of the
    catalogue by its full key (``role.officer``, ``whatif.page``); the key itself if none."""
    from sipas.messages import texts

    found = texts().get(f"web.{key}") or texts().get(key)
    if found is None:
        return key
    return found["en"] if lang == "en" else found["vi"]

"""Rotating check-in codes (签到) and their QR image.

A code is an HMAC over the session id and a time step of CHECKIN_STEP_SECONDS; the screen
shows the current step's code and the server accepts the current and the previous step, so a
code lives between one and two steps. A photo forwarded out of the room stops working within
half a minute. Nothing is stored: the secret key and the clock are all it needs.
"""

import time

import segno
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import escape

from members.params import ascii_digits

CHECKIN_STEP_SECONDS = 15
CHECKIN_ACCEPTED_STEPS = 2
# How long a verified code stays usable in the member's browser while they log in.
CHECKIN_PASS_SECONDS = 180
_SALT = "education.checkin.v1"


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // CHECKIN_STEP_SECONDS)


def checkin_code(session_id: int, step: int) -> str:
    digest = salted_hmac(_SALT, f"{session_id}:{step}", algorithm="sha256").hexdigest()
    return f"{step}-{digest[:24]}"


def checkin_code_is_fresh(session_id: int, code: str, now: float | None = None) -> bool:
    """True when `code` was issued for this session in the current or the previous step."""
    step_text, _, _digest = code.partition("-")
    if not ascii_digits(step_text):
        return False
    step = int(step_text)
    now_step = current_step(now)
    if not 0 <= now_step - step < CHECKIN_ACCEPTED_STEPS:
        return False
    return constant_time_compare(code, checkin_code(session_id, step))


def qr_svg(data: str, *, title: str = "") -> str:
    """An inline SVG QR code (no external service), scaled by CSS; with `title`, an image
    with that accessible name."""
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(scale=6, border=2, dark="#000", light="#fff", omitsize=True)
    if title:
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return svg

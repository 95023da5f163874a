"""The receipt photo staff attach to a wish's purchase: JPEG or PNG, at most 2 MB (never a
photo of the child: the form says so)."""
from flask_babel import lazy_gettext as _l

from campaigns.wishes import state

PHOTO_MAX_BYTES = 2 * 1024 * 1024
#: Magic numbers of the receipt photo types we accept.
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def check_photo(data: bytes | None) -> str:
    """The media type of a receipt photo (JPEG or PNG, at most 2 MB); "" when there is none."""
    if not data:
        return ""
    if len(data) > PHOTO_MAX_BYTES:
        raise state.WishError(_l("The photo is larger than 2 MB."), "photo")
    kind = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise state.WishError(_l("The photo must be a JPEG or PNG image."), "photo")
    return kind

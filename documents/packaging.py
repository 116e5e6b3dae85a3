"""Fixed instants inside Office files: zip entries dated from the report, not from the clock.

python-docx and openpyxl write entries stamped with the time of saving; a file re-packed here keeps every
entry, its order and its compression, and takes one date, so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime


def repack(data: bytes, when: datetime) -> bytes:
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()

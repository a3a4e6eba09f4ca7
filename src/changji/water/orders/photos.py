"""Work-order photos (现场照片): accepted once per client UUID, with the time and position the phone gave.

The phone queues each photo under a UUID it makes (``static/water/my_orders.js``) and uploads it until the
server answers; a retried upload names the same UUID and gets the photo already stored (``created`` False),
so a flaky connection never stores a photo twice. Time and position come, best first, from the picture's own
EXIF (DateTimeOriginal, read as Asia/Shanghai local time, and the GPS tags), then from what the page sent (the
file's ``lastModified`` and the browser's geolocation).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from PIL import Image, UnidentifiedImageError

from changji.core import access, audit
from changji.core.access import P
from changji.core.localtime import SHANGHAI
from changji.core.uploads import UploadError, check_size
from changji.water.models import WorkOrder, WorkOrderPhoto, WorkOrderState

MAX_PHOTO_BYTES = 12 * 1024 * 1024
#: States in which the assignee may add photos (an offline queue may drain after completion, before review).
PHOTO_STATES = frozenset({WorkOrderState.ASSIGNED, WorkOrderState.ON_SITE, WorkOrderState.DONE})

_EXIF_IFD, _GPS_IFD, _DATETIME_ORIGINAL = 0x8769, 0x8825, 0x9003


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if str(ref).upper() in {"S", "W"} else result


def read_exif(data: bytes) -> tuple[datetime | None, float | None, float | None]:
    """The picture's DateTimeOriginal (aware, Asia/Shanghai) and GPS latitude/longitude, each None when absent."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
    taken_at = None
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
    if isinstance(raw, str):
        try:
            taken_at = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(_GPS_IFD)
    latitude, longitude = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        latitude = longitude = None
    return taken_at, latitude, longitude


#: The picture formats accepted from phones, with the suffix the stored file gets (never the uploader's own).
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic", "MPO": "jpg"}


def check_photo_size(size: int | None) -> None:
    """Refuse an upload over :data:`MAX_PHOTO_BYTES` before it is read (``core.uploads.check_size``)."""
    try:
        check_size(size or 0, MAX_PHOTO_BYTES)
    except UploadError as error:
        raise ValidationError({"photo": str(error)}) from error


def _check_image(data: bytes) -> str:
    """Refuse anything but a picture of an accepted format; return the suffix to store it under."""
    check_photo_size(len(data))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError({"photo": "上传的文件不是可识别的图片"}) from error
    if image_format not in PHOTO_FORMATS:
        raise ValidationError({"photo": "照片应为 JPEG、PNG、WebP 或 HEIC 格式"})
    return PHOTO_FORMATS[image_format]


def _check_worker(order: WorkOrder, by: Any) -> None:
    access.check_actor(by, P.WATER_WORK_ORDER_WORK, order.well.region)
    if hasattr(by, "is_authenticated") and order.assignee_id != by.pk:
        raise ValidationError({"assignee": "只有工单负责人可以上传照片"})


def add_photo(order: WorkOrder, by: Any, *, client_id: uuid.UUID, data: bytes, name: str,
              taken_at: datetime | None = None, latitude: float | None = None, longitude: float | None = None
              ) -> tuple[WorkOrderPhoto, bool]:
    """Store the photo ``client_id`` of ``order`` once; return it and whether it was new."""
    _check_worker(order, by)
    existing = WorkOrderPhoto.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.order_id != order.pk:
            raise ValidationError({"client_id": "该照片编号已用于其他工单"})
        return existing, False
    if order.state not in PHOTO_STATES:
        raise ValidationError({"state": f"工单{order.get_state_display()}，不能再上传照片"})
    suffix = _check_image(data)
    if taken_at is not None and taken_at.tzinfo is None:  # a phone's wall-clock time without offset: Beijing time
        taken_at = taken_at.replace(tzinfo=SHANGHAI)
    exif_at, exif_lat, exif_lon = read_exif(data)
    source = "exif" if exif_lat is not None else ("browser" if latitude is not None and longitude is not None else "")
    if exif_lat is not None:
        latitude, longitude = exif_lat, exif_lon
    photo = WorkOrderPhoto(order=order, client_id=client_id, size_bytes=len(data),
                           sha256=hashlib.sha256(data).hexdigest(), taken_at=exif_at or taken_at,
                           latitude=latitude if source else None, longitude=longitude if source else None,
                           position_source=source, uploaded_by=by if hasattr(by, "is_authenticated") else None)
    photo.image.save(f"{client_id}.{suffix}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError:  # the same UUID arrived twice at once: the other upload stored it
        photo.image.delete(save=False)
        return WorkOrderPhoto.objects.get(client_id=client_id), False
    audit.record("water.work_order.photo", actor=by, target=order, region=order.well.region,
                 photo=str(photo.pk), taken_at=photo.taken_at.isoformat() if photo.taken_at else None,
                 position_source=source)
    return photo, True

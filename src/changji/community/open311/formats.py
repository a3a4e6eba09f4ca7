"""GeoReport v2's two formats: one answer written as JSON or as XML (http://wiki.open311.org/GeoReport_v2).

The spec makes XML the required format and defines JSON as its programmatic mapping (the "Spark convention",
http://wiki.open311.org/JSON_and_XML_Conversion): a list of rows is a JSON array and an XML root element holding
one item element per row (``<services><service>…``, ``<service_requests><request>…``, ``<errors><error>…``); an
object is a JSON object and an XML element with one child per field, in the object's order; a list inside a row
(``attributes``, ``values``, ``endpoints``, ``formats``) is a wrapper element holding one element per entry,
named by ``ITEM_NAMES``. ``None`` is an empty element (``<account_id/>``), booleans are ``true``/``false``.

The views build one Python value per answer and hand it to ``render``; nothing else knows either format.
Content types are the spec's own ("Format Support"): ``text/xml; charset=utf-8`` and
``application/json; charset=utf-8``. text/xml rather than application/xml because the spec names it, its
discovery documents list it in ``formats`` and GeoReport clients compare against it; RFC 7303 makes the two
equivalent once the charset is given, and it always is.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

__pure__ = True

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
#: The MIME types listed in the discovery document's ``formats``, XML first (the spec's required format).
MIME_TYPES = ("text/xml", "application/json")
#: The element of one entry of a list, by the list's element name (GeoReport v2's response tables: ``⇊`` / ``↴``).
ITEM_NAMES = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
              "values": "value", "endpoints": "endpoint", "formats": "format"}
#: Characters XML 1.0 cannot carry at all (C0 controls but tab, line feed and carriage return); dropped on output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class FormatError(ValueError):
    """A format suffix other than ``json`` or ``xml``."""


def parse_format(suffix: str) -> str:
    """The format named by a resource's suffix (``.json``, ``.XML``: case-insensitive); ``FormatError`` otherwise."""
    fmt = suffix.lower()
    if fmt not in FORMATS:
        raise FormatError(f"format: {suffix[:10]} is not offered, only json or xml")
    return fmt


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _item_name(name: str) -> str:
    return ITEM_NAMES.get(name, name[:-1] if name.endswith("s") else "item")


def _append(parent: ElementTree.Element, name: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        for entry in value:
            _append(element, _item_name(name), entry)
    else:
        element.text = _text(value)


def to_xml(data: Any, root: str) -> bytes:
    """``data`` as a GeoReport v2 XML document under ``root`` (a list: one ``ITEM_NAMES[root]`` element per entry).

    UTF-8 with the XML declaration the spec asks for ("Encoding"); no namespace ("XML Support").
    """
    element = ElementTree.Element(root)
    if isinstance(data, dict):
        for key, child in data.items():
            _append(element, key, child)
    elif isinstance(data, list):
        for entry in data:
            _append(element, _item_name(root), entry)
    else:
        element.text = _text(data)
    body = ElementTree.tostring(element, encoding="unicode", short_empty_elements=True)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.encode("utf-8")


def to_json(data: Any) -> bytes:
    """``data`` as JSON (UTF-8, CJK unescaped)."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def render(data: Any, fmt: str, root: str) -> tuple[bytes, str]:
    """The body and content type of an answer in ``fmt``; ``root`` names the XML root element."""
    body = to_xml(data, root) if fmt == XML else to_json(data)
    return body, CONTENT_TYPES[fmt]

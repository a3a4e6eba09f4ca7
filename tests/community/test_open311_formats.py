"""``community.open311.formats``: one value written as GeoReport v2 JSON or XML (pure, no database)."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from changji.community.open311 import formats


def test_a_list_is_the_root_with_one_item_element_per_row():
    body = formats.to_xml([{"service_code": "noise", "metadata": False}, {"service_code": "road", "metadata": True}],
                          "services")
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services>')
    root = ElementTree.fromstring(body)
    assert [item.tag for item in root] == ["service", "service"]
    assert [(e.tag, e.text) for e in root[1]] == [("service_code", "road"), ("metadata", "true")]
    assert root[0].find("metadata").text == "false"


def test_none_is_an_empty_element_and_nested_lists_take_the_specs_item_names():
    data = {"service_code": "x", "attributes": [{"code": "a", "values": [{"key": 1, "name": "一"}]}],
            "empty": None, "formats": ["text/xml", "application/json"]}
    root = ElementTree.fromstring(formats.to_xml(data, "service_definition"))
    assert root.tag == "service_definition" and [e.tag for e in root] == ["service_code", "attributes", "empty",
                                                                          "formats"]
    assert root.find("attributes/attribute/values/value/key").text == "1"
    assert root.find("attributes/attribute/values/value/name").text == "一"
    assert root.find("empty").text is None and len(root.find("empty")) == 0
    assert [e.tag for e in root.find("formats")] == ["format", "format"]
    assert b"<empty />" in formats.to_xml(data, "service_definition")


def test_xml_escapes_markup_and_drops_what_xml_cannot_carry():
    body = formats.to_xml([{"description": "<b>&\"门\x01口\"</b>"}], "service_requests")
    assert ElementTree.fromstring(body).find("request/description").text == '<b>&"门口"</b>'


def test_json_keeps_cjk_and_the_order_of_fields():
    body, content_type = formats.render([{"b": "东城", "a": None, "c": True}], "json", "service_requests")
    assert content_type == "application/json; charset=utf-8"
    assert body.decode() == '[{"b": "东城", "a": null, "c": true}]' and json.loads(body)[0]["b"] == "东城"
    assert formats.render([], "xml", "errors")[1] == "text/xml; charset=utf-8"


@pytest.mark.parametrize(("suffix", "fmt"), [("json", "json"), ("JSON", "json"), ("Xml", "xml"), ("xml", "xml")])
def test_the_suffix_is_case_insensitive(suffix, fmt):
    assert formats.parse_format(suffix) == fmt


@pytest.mark.parametrize("suffix", ["html", "csv", "xmll", ""])
def test_other_suffixes_are_refused_naming_the_format(suffix):
    with pytest.raises(formats.FormatError, match="format"):
        formats.parse_format(suffix)

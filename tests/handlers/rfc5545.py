"""An RFC 5545 check of the rules that apply to what eudesk writes (VCALENDAR, VTIMEZONE, VEVENT,
VALARM): line form, nesting, required and once-only properties, value forms, TZID references."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_DATE_TIME = re.compile(r"^\d{8}T\d{6}Z?$")
_DURATION = re.compile(r"^[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$")
_UTC_OFFSET = re.compile(r"^[+-]\d{4}(\d\d)?$")

# Properties a component must have exactly once (RFC 5545 §3.6.*, §3.4), and those it may have
# at most once; a VEVENT needs DTSTART because the calendar has no METHOD requiring otherwise.
REQUIRED = {
    "VCALENDAR": {"PRODID", "VERSION"},
    "VEVENT": {"UID", "DTSTAMP", "DTSTART"},
    "VTIMEZONE": {"TZID"},
    "STANDARD": {"DTSTART", "TZOFFSETTO", "TZOFFSETFROM"},
    "DAYLIGHT": {"DTSTART", "TZOFFSETTO", "TZOFFSETFROM"},
    "VALARM": {"ACTION", "TRIGGER"},
}
AT_MOST_ONCE = {
    "VCALENDAR": {"PRODID", "VERSION", "CALSCALE", "METHOD"},
    "VEVENT": {"UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SEQUENCE", "STATUS", "SUMMARY",
               "LOCATION", "DESCRIPTION", "CLASS", "CREATED", "LAST-MODIFIED", "TRANSP"},
    "VTIMEZONE": {"TZID", "LAST-MODIFIED", "TZURL"},
    "VALARM": {"ACTION", "TRIGGER", "DESCRIPTION", "DURATION", "REPEAT"},
}  # fmt: skip
CHILDREN = {
    "VCALENDAR": {"VEVENT", "VTIMEZONE", "VTODO", "VJOURNAL", "VFREEBUSY"},
    "VEVENT": {"VALARM"},
    "VTIMEZONE": {"STANDARD", "DAYLIGHT"},
}
EVENT_STATUS = {"TENTATIVE", "CONFIRMED", "CANCELLED"}


@dataclass
class _Component:
    name: str
    properties: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    children: list[_Component] = field(default_factory=list)


def problems(data: bytes) -> list[str]:
    """Every rule the stream breaks; an empty list means it passes."""
    found: list[str] = []
    if not data.endswith(b"\r\n"):
        found.append("the stream does not end with CRLF")
    physical = data.split(b"\r\n")
    for number, raw in enumerate(physical, start=1):
        if b"\n" in raw or b"\r" in raw:
            found.append(f"line {number}: a bare LF or CR (lines end with CRLF)")
        if len(raw) > 75:
            found.append(f"line {number}: {len(raw)} octets (at most 75 before folding)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [*found, "not UTF-8"]
    logical = re.sub(r"\r\n[ \t]", "", text).split("\r\n")
    stack: list[_Component] = []
    roots: list[_Component] = []
    for line in (line for line in logical if line):
        name, params, value = _parse(line, found)
        if name == "BEGIN":
            component = _Component(value.upper())
            if stack:
                parent = stack[-1]
                if component.name not in CHILDREN.get(parent.name, set()):
                    found.append(f"{component.name} inside {parent.name}")
                parent.children.append(component)
            else:
                roots.append(component)
            stack.append(component)
        elif name == "END":
            if not stack or stack[-1].name != value.upper():
                found.append(
                    f"END:{value} does not close {stack[-1].name if stack else 'anything'}"
                )
            else:
                stack.pop()
        elif not stack:
            found.append(f"property {name} outside any component")
        else:
            stack[-1].properties.append((name, params, value))
    if stack:
        found.append(f"{stack[-1].name} is never closed")
    if [root.name for root in roots] != ["VCALENDAR"]:
        found.append(f"expected one VCALENDAR, found {[root.name for root in roots]}")
    for root in roots:
        _check(root, found, tzids={_tzid(c) for c in root.children if c.name == "VTIMEZONE"})
    return found


def _parse(line: str, found: list[str]) -> tuple[str, dict[str, str], str]:
    head, sep, value = _split_value(line)
    if not sep:
        found.append(f"no ':' in {line[:40]!r}")
        return "", {}, ""
    name, *raw_params = head.split(";")
    if not _NAME.match(name):
        found.append(f"bad property name {name!r}")
    params = {}
    for param in raw_params:
        key, _, val = param.partition("=")
        params[key.upper()] = val
    return name.upper(), params, value


def _split_value(line: str) -> tuple[str, str, str]:
    """Split at the first ':' outside a quoted parameter value."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], ":", line[index + 1 :]
    return line, "", ""


def _tzid(component: _Component) -> str:
    return next((value for name, _, value in component.properties if name == "TZID"), "")


def _check(component: _Component, found: list[str], *, tzids: set[str]) -> None:
    counts = Counter(name for name, _, _ in component.properties)
    where = component.name
    if component.name == "VEVENT":
        where = f"VEVENT {next((v for n, _, v in component.properties if n == 'UID'), '?')}"
    for name in REQUIRED.get(component.name, set()):
        if counts[name] != 1:
            found.append(f"{where}: {name} appears {counts[name]} times (exactly once)")
    for name in AT_MOST_ONCE.get(component.name, set()):
        if counts[name] > 1:
            found.append(f"{where}: {name} appears {counts[name]} times (at most once)")
    for name, params, value in component.properties:
        if "TZID" in params and name != "TZID" and params["TZID"] not in tzids:
            found.append(f"{where}: {name} uses TZID {params['TZID']} with no VTIMEZONE")
        is_date_time = name in {"DTSTART", "DTEND", "DTSTAMP"} and params.get("VALUE") != "DATE"
        if is_date_time and not _DATE_TIME.match(value):
            found.append(f"{where}: {name} {value!r} is not a DATE-TIME")
        if name == "DTSTAMP" and not value.endswith("Z"):
            found.append(f"{where}: DTSTAMP must be in UTC")
        if name == "SEQUENCE" and not value.isdigit():
            found.append(f"{where}: SEQUENCE {value!r} is not a non-negative integer")
        if name == "STATUS" and component.name == "VEVENT" and value not in EVENT_STATUS:
            found.append(f"{where}: STATUS {value!r}")
        if name in {"TZOFFSETFROM", "TZOFFSETTO"} and not _UTC_OFFSET.match(value):
            found.append(f"{where}: {name} {value!r} is not a UTC offset")
        if name == "TRIGGER" and params.get("VALUE") != "DATE-TIME" and not _DURATION.match(value):
            found.append(f"{where}: TRIGGER {value!r} is not a duration")
    if component.name == "VEVENT" and counts["DTEND"] and counts["DURATION"]:
        found.append(f"{where}: both DTEND and DURATION")
    if component.name == "VALARM":
        actions = [value for name, _, value in component.properties if name == "ACTION"]
        if actions == ["DISPLAY"] and counts["DESCRIPTION"] != 1:
            found.append(f"{where}: a DISPLAY alarm needs one DESCRIPTION")
    if component.name == "VTIMEZONE" and not component.children:
        found.append(f"VTIMEZONE {_tzid(component)}: no STANDARD or DAYLIGHT")
    for child in component.children:
        _check(child, found, tzids=tzids)

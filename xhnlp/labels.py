"""The label set of ../shared/LABELS.md: 8 policy areas and 6 commitment types.

Ids are stable: they are the list positions below and must never be reordered
(saved models store them). Type codes are listed in the guideline's decision order.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    code: str
    zh: str
    description: str


AREAS: tuple[Label, ...] = (
    Label("economy", "经济发展", "growth, consumption, investment, foreign trade and capital, industries and sectors, "
          "headquarters economy, enterprise services, business attraction, private economy, SME finance, agriculture"),
    Label("reform", "改革开放", "institutional and administrative reform, free-trade zones, SOE reform, business environment, "
          "government-service reform, regulatory reform, opening-up platforms and expos"),
    Label("innovation", "科技创新", "science and technology, labs and institutes, AI models and compute, technology transfer, "
          "incubators, innovation districts, venture and tech finance, innovation talent"),
    Label("space", "城市空间", "functional zones, urban renewal, land reserve, major construction in named areas, transport "
          "infrastructure, industrial-park capacity, village construction, regional development strategy"),
    Label("culture", "文化", "cultural heritage and red culture, cultural industries incl. games and e-sports, tourism, "
          "sports facilities and events, spiritual civilisation"),
    Label("livelihood", "民生", "housing, employment, elderly care, social assistance, children, education, health care, "
          "paired assistance, veterans and national defence, the long tail of public services"),
    Label("governance", "治理", "urban management, ecology and environment, grassroots governance, public safety, risk "
          "prevention, petitions, the government's own conduct, rule of law, discipline"),
    Label("general", "总体", "cross-cutting sentences: the year's framing, multi-area target lists, transitions, closing rhetoric"),
)

TYPES: tuple[Label, ...] = (
    Label("none", "无承诺", "no commitment: context, description, transitions, salutations, calls to rally"),
    Label("target", "量化目标", "commits to a measurable quantity for the period"),
    Label("project", "具体项目", "names a specific physical project, site or facility with a construction or opening step"),
    Label("institution", "制度机制", "creates, reforms, improves or applies a rule, mechanism, system, list or standard"),
    Label("measure", "具体举措", "a concrete action, programme, policy instrument, platform or event"),
    Label("principle", "原则方向", "a direction, principle or aspiration with no concrete act"),
)

AREA_CODES: tuple[str, ...] = tuple(label.code for label in AREAS)
TYPE_CODES: tuple[str, ...] = tuple(label.code for label in TYPES)
AREA_ID: dict[str, int] = {code: i for i, code in enumerate(AREA_CODES)}
TYPE_ID: dict[str, int] = {code: i for i, code in enumerate(TYPE_CODES)}
HEADS: dict[str, tuple[str, ...]] = {"area": AREA_CODES, "type": TYPE_CODES}

STRENGTHS: tuple[str, ...] = ("firm", "strive", "explore", "plain")


def _check(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; allowed values: {', '.join(allowed)}")
    return value


def validate_area(code: str) -> str:
    """Return ``code`` if it is an area code, else raise ValueError naming the allowed codes."""
    return _check(code, AREA_CODES, "area")


def validate_type(code: str) -> str:
    """Return ``code`` if it is a commitment-type code, else raise ValueError naming the allowed codes."""
    return _check(code, TYPE_CODES, "commitment type")


def area(code: str) -> Label:
    return AREAS[AREA_ID[validate_area(code)]]


def commitment_type(code: str) -> Label:
    return TYPES[TYPE_ID[validate_type(code)]]

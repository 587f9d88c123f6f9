"""Stat type definitions: parsing and validating the Genesys keys of a stat type.

A stat type (a section of the Stat Server application in Genesys, an entry of ``statTypes``
here, or the inline metric of an ``OpenStatisticEx`` request) says *what* to aggregate:
``Objects``, ``Category``, ``Subject``, ``MainMask``, ``RelMask``, ``MediaType``,
``Formula``/``Expression``, ``UseSourceTimeStamps``, ``ReasonStartOverridesStatusStart``,
``Description``.  :func:`parse_stat_type` checks every key and expands the masks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from statserver.core.identity_enum import IdentityEnum
from statserver.core.model import ObjectType
from statserver.core.stats.categories import CATEGORIES, CategorySpec
from statserver.core.vocabulary import ACTIONS, AGENT_SPT, ALIASES, STATUS_NAMES, VOICE_TO_MEDIA

__all__ = ["StatDef", "Subject", "expand_mask", "parse_stat_type"]


class Subject(IdentityEnum):
    DN_ACTION = "DNAction"
    DN_STATUS = "DNStatus"
    AGENT_STATUS = "AgentStatus"
    PLACE_STATUS = "PlaceStatus"
    GROUP_STATUS = "GroupStatus"

    @property
    def is_status(self) -> bool:
        return self is not Subject.DN_ACTION

    @classmethod
    def parse(cls, text: str) -> Subject:
        key = text.strip().lower()
        if key in ("dnaction", "action"):
            return cls.DN_ACTION
        for s in cls:
            if s.value.lower() == key:
                return s
        if key == "campaignaction":
            msg = "Subject CampaignAction needs Outbound Contact objects, which are not supported"
            raise ValueError(msg)
        msg = (
            f"unknown Subject {text!r}; expected DNAction (or Action), DNStatus, AgentStatus, "
            "PlaceStatus or GroupStatus"
        )
        raise ValueError(msg)


#: Which subjects apply to which object types.
SUBJECTS_FOR: Final[dict[ObjectType, frozenset[Subject]]] = {
    ObjectType.AGENT: frozenset({Subject.DN_ACTION, Subject.DN_STATUS, Subject.AGENT_STATUS}),
    ObjectType.PLACE: frozenset(
        {Subject.DN_ACTION, Subject.DN_STATUS, Subject.PLACE_STATUS, Subject.AGENT_STATUS}
    ),
    ObjectType.GROUP_AGENTS: frozenset(
        {Subject.DN_ACTION, Subject.DN_STATUS, Subject.AGENT_STATUS, Subject.GROUP_STATUS}
    ),
    ObjectType.GROUP_PLACES: frozenset(
        {
            Subject.DN_ACTION,
            Subject.DN_STATUS,
            Subject.PLACE_STATUS,
            Subject.AGENT_STATUS,
            Subject.GROUP_STATUS,
        }
    ),
    ObjectType.REGULAR_DN: frozenset({Subject.DN_ACTION, Subject.DN_STATUS}),
    ObjectType.QUEUE: frozenset({Subject.DN_ACTION, Subject.DN_STATUS}),
    ObjectType.ROUTE_POINT: frozenset({Subject.DN_ACTION, Subject.DN_STATUS}),
    ObjectType.GROUP_QUEUES: frozenset({Subject.DN_ACTION, Subject.DN_STATUS}),
    ObjectType.TENANT: frozenset({Subject.DN_ACTION, Subject.DN_STATUS, Subject.AGENT_STATUS}),
    ObjectType.STAGING_AREA: frozenset({Subject.DN_ACTION}),
}

_ACTION_NAMES: Final[frozenset[str]] = frozenset(ACTIONS) - {"InputError"}


def _vocabulary(subject: Subject) -> frozenset[str]:
    return STATUS_NAMES if subject.is_status else _ACTION_NAMES


def expand_mask(text: str, subject: Subject, media: frozenset[str] | None = None) -> frozenset[str]:
    """The set of action (or status) names a Genesys mask stands for.

    ``*`` is every name of the subject's vocabulary, ``~Name`` removes a name, an alias such as
    ``CallWait`` expands to its family (only in positive terms, as Genesys does).  With a
    non-voice ``MediaType`` the voice names also stand for their media-channel actions
    (``CallInbound`` matches ``HandlingInbound``).
    """
    vocabulary = _vocabulary(subject)
    known = vocabulary | STATUS_NAMES | frozenset(ACTIONS)
    include: set[str] = set()
    exclude: set[str] = set()
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        msg = "the mask is empty; expected '*' and/or action names, each optionally with '~'"
        raise ValueError(msg)
    for part in parts:
        negative = part.startswith(("~", "!"))
        name = part[1:].strip() if negative else part
        if name == "*":
            if negative:
                msg = "'~*' excludes everything; write the names to exclude instead"
                raise ValueError(msg)
            include |= vocabulary
            continue
        if name in ALIASES:
            if not negative:
                include.update(ALIASES[name])
            # Genesys: '~' does not expand an alias; there is nothing named like the alias.
            continue
        if name not in known:
            suggestions = ", ".join(sorted(n for n in known if n.lower() == name.lower()))
            hint = f" (did you mean {suggestions}?)" if suggestions else ""
            msg = f"unknown action or status {name!r} in the mask{hint}"
            raise ValueError(msg)
        (exclude if negative else include).add(name)
    names = include - exclude
    if media is not None and media - {"voice"}:
        names |= {VOICE_TO_MEDIA[n] for n in names if n in VOICE_TO_MEDIA}
    return frozenset(names)


@dataclass(frozen=True)
class StatDef:
    """A validated stat type (named, or inline from an Ex request)."""

    name: str
    category: CategorySpec
    subject: Subject
    objects: frozenset[ObjectType]
    main_mask: frozenset[str] = frozenset()
    rel_mask: frozenset[str] = frozenset()
    main_text: str = ""
    rel_text: str = ""
    media: frozenset[str] | None = None
    #: CustomValue family: the ``Formula`` option text (``DistByConnID, <expr>``)
    formula: str | None = None
    #: Formula category: the ``Expression`` text
    expression: str | None = None
    use_source_timestamps: bool | None = None
    reason_restart: bool = False
    description: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def definition_key(self) -> tuple[Any, ...]:
        """Everything that makes two definitions compute the same values (one tuple per
        definition, shared by the keys of all its statistics)."""
        return (
            self.category.name,
            self.subject,
            self.main_mask,
            self.rel_mask,
            self.media,
            self.formula,
            self.expression,
            self.use_source_timestamps,
            self.reason_restart,
        )


_KEYS: Final = {
    "objects": "Objects",
    "category": "Category",
    "subject": "Subject",
    "mainmask": "MainMask",
    "relmask": "RelMask",
    "mediatype": "MediaType",
    "formula": "Formula",
    "expression": "Expression",
    "usesourcetimestamps": "UseSourceTimeStamps",
    "reasonstartoverridesstatusstart": "ReasonStartOverridesStatusStart",
    "description": "Description",
}


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", "off"):
        return False
    msg = f"{key} must be yes or no, not {value!r}"
    raise ValueError(msg)


class StatTypeError(ValueError):
    """A stat type key is invalid; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def parse_stat_type(name: str, options: Mapping[str, Any]) -> StatDef:
    """Validate a stat type given by its Genesys keys (any letter case).

    Raises :class:`StatTypeError` naming the offending key.
    """
    values: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for raw_key, value in options.items():
        canonical = _KEYS.get(str(raw_key).replace("_", "").replace("-", "").lower())
        if canonical is None:
            extra[str(raw_key)] = str(value)  # business attributes, JavaSubCategory, ...
        else:
            values[canonical] = value

    def need(key: str) -> str:
        if key not in values or str(values[key]).strip() == "":
            raise StatTypeError(key, f"{key} is required")
        return str(values[key])

    category_text = need("Category").strip()
    spec = CATEGORIES.get(category_text.lower())
    if spec is None:
        if category_text.lower() == "javacategory":
            raise StatTypeError(
                "Category", "JavaCategory needs a Stat Server Java Extension, not supported here"
            )
        raise StatTypeError(
            "Category",
            f"unknown Category {category_text!r}; see docs/stat-types.md for the catalogue",
        )
    try:
        subject = Subject.parse(str(values.get("Subject", "DNAction")))
    except ValueError as exc:
        raise StatTypeError("Subject", str(exc)) from None
    try:
        objects = frozenset(ObjectType.parse(p) for p in need("Objects").split(",") if p.strip())
    except ValueError as exc:
        raise StatTypeError("Objects", str(exc)) from None
    for obj in objects:
        if subject not in SUBJECTS_FOR[obj]:
            allowed = ", ".join(sorted(s.value for s in SUBJECTS_FOR[obj]))
            raise StatTypeError(
                "Subject",
                f"Subject {subject.value} does not apply to {obj.value} objects; "
                f"expected one of {allowed}",
            )
    media: frozenset[str] | None = None
    media_text = values.get("MediaType") or extra.pop("MediaType", None)
    if media_text:
        media = frozenset(m.strip().lower() for m in str(media_text).split(",") if m.strip())

    main_mask: frozenset[str] = frozenset()
    rel_mask: frozenset[str] = frozenset()
    main_text = str(values.get("MainMask", "") or "").strip()
    rel_text = str(values.get("RelMask", "") or "").strip()
    if spec.needs_main and not main_text:
        if spec.default_main:
            main_text = spec.default_main
        else:
            raise StatTypeError("MainMask", f"MainMask is required for {spec.name}")
    if main_text:
        try:
            main_mask = expand_mask(main_text, subject, media)
        except ValueError as exc:
            raise StatTypeError("MainMask", str(exc)) from None
    if spec.needs_rel and not rel_text:
        if spec.default_rel:
            rel_text = spec.default_rel
        else:
            raise StatTypeError("RelMask", f"RelMask is required for {spec.name}")
    if rel_text:
        if not spec.uses_rel:
            raise StatTypeError("RelMask", f"{spec.name} does not use a RelMask")
        rel_subject = Subject.DN_ACTION if spec.rel_is_action else subject
        try:
            rel_mask = expand_mask(rel_text, rel_subject, media)
        except ValueError as exc:
            raise StatTypeError("RelMask", str(exc)) from None

    formula = values.get("Formula")
    if spec.needs_formula and not formula:
        raise StatTypeError("Formula", f"{spec.name} needs Formula = DistByConnID, <expression>")
    expression = values.get("Expression")
    if spec.name == "Formula" and not expression:
        raise StatTypeError("Expression", "Category Formula needs an Expression")
    if spec.needs_formula and subject is not Subject.DN_ACTION:
        raise StatTypeError("Subject", f"{spec.name} needs Subject = DNAction")

    use_source: bool | None = None
    if "UseSourceTimeStamps" in values:
        try:
            use_source = _bool(values["UseSourceTimeStamps"], "UseSourceTimeStamps")
        except ValueError as exc:
            raise StatTypeError("UseSourceTimeStamps", str(exc)) from None
    reason_restart = False
    if "ReasonStartOverridesStatusStart" in values:
        try:
            reason_restart = _bool(
                values["ReasonStartOverridesStatusStart"], "ReasonStartOverridesStatusStart"
            )
        except ValueError as exc:
            raise StatTypeError("ReasonStartOverridesStatusStart", str(exc)) from None
    return StatDef(
        name=name,
        category=spec,
        subject=subject,
        objects=objects,
        main_mask=main_mask,
        rel_mask=rel_mask,
        main_text=main_text,
        rel_text=rel_text,
        media=media,
        formula=str(formula) if formula else None,
        expression=str(expression) if expression else None,
        use_source_timestamps=use_source,
        reason_restart=reason_restart,
        description=str(values.get("Description", "") or ""),
        extra=extra,
    )


#: For docs: the agent status names a status mask may use.
STATUS_VOCABULARY: Final[tuple[str, ...]] = AGENT_SPT

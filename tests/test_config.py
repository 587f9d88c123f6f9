"""The YAML configuration (contracts.md §2, docs/configuration.md).

Every section of the contract loads into the object model and the catalog; every mistake is
reported with the file, the line, the path inside the file and what was expected.  Expected
line numbers are found by looking for the offending text in the document, the way a user
reads the message.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from statserver.config import load_config, load_config_text
from statserver.core.model import ObjectType, SourceKind
from statserver.core.stats.profiles import GrowingProfile, SelectionProfile, SlidingProfile
from statserver.errors import ConfigError

# The complete small configuration of contracts.md §2 (stat types written one key per line,
# so that an error in a key has a line of its own), plus placeGroups, a second tenant-less
# place and a formula stat type.
CONFIG = textwrap.dedent(
    """\
    tenants:
      - name: Resources
    switches:
      - {name: SW1, tenant: Resources, source: TS1}
    sources:
      - {name: TS1, kind: tserver, tenants: [Resources], host: 127.0.0.1, port: 3000}
      - {name: IXN1, kind: interaction, tenants: [Resources], host: 127.0.0.1, port: 7120}
    dns:
      - {number: "8000", switch: SW1, type: ACDQueue}
      - {number: "7001", switch: SW1, type: Extension}
      - {number: "7002", switch: SW1, type: Extension}
    places:
      - {name: P1, dns: ["7001@SW1"]}
      - {name: P2, dns: ["7002@SW1"]}
    agents:
      - {employeeId: a1, userName: jdoe, loginIds: {SW1: "5001"}, skills: {Spanish: 7}}
      - {employeeId: a2, userName: rroe, loginIds: {SW1: "5002"}, skills: {Spanish: 2}}
    agentGroups:
      - {name: Team, agents: [a1]}
      - {name: SpanishSpeakers, script: 'Skill("Spanish")>=5'}
    placeGroups:
      - {name: Floor, places: [P1, P2]}
    dnGroups:
      - {name: AllQueues, dns: ["8000@SW1"]}
    statTypes:
      CallsWaiting:
        Objects: "Queue,GroupQueues"
        Category: CurrentNumber
        Subject: DNAction
        MainMask: CallWait
        Description: "Calls waiting in the queue now (count)"
      ReadyTime:
        Objects: "Agent,GroupAgents"
        Category: TotalTime
        Subject: AgentStatus
        MainMask: WaitForNextCall
      Occupancy:
        Objects: Agent
        Category: RelativeTimePercentage
        Subject: AgentStatus
        MainMask: CallInbound
        RelMask: "*,~LoggedOut,~NotMonitored"
      Handling:
        Objects: Agent
        Category: Formula
        Subject: DNAction
        Expression: SUM(CallInboundCompleted; duration) / COUNT(CallInboundCompleted)
    timeProfiles:
      Default: {type: Growing, value: "00:00"}
      LastHour: {type: Sliding, value: "3600:60"}
      Last10: {type: Selection, value: "10"}
      Login: {type: SinceLogin}
      Paris: {type: Growing, value: "00:00", timeZone: Europe/Paris}
    timeRanges:
      Range0-20: "0-20"
    filters:
      Gold: 'PairExists("Segment","Gold")'
    options:
      auto-backup-interval: 60
      ready-ends-on-call: yes
      load-balance-aht: 120
    """
)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} is not in the test document"
    return hits[occurrence - 1]


def mutate(old: str, new: str, base: str = CONFIG) -> str:
    assert base.count(old) == 1, f"{old!r} must occur once in the test document"
    return base.replace(old, new)


# ------------------------------------------------------------------------------ loads
def test_every_section_of_the_contract_loads():
    """Each top-level key of contracts.md §2 ends up in the object model or the catalog."""
    cfg = load_config_text(CONFIG, source="c.yaml")
    d = cfg.directory
    assert list(d.tenants) == ["Resources"]
    t = d.tenants["Resources"]
    assert t.switches["SW1"].source == "TS1"
    assert d.sources["TS1"].kind is SourceKind.TSERVER
    assert d.sources["IXN1"].kind is SourceKind.INTERACTION
    assert d.sources["IXN1"].tenants == ("Resources",)
    assert cfg.sources["TS1"].host == "127.0.0.1"
    assert cfg.sources["TS1"].port == 3000
    assert set(t.dns) == {"8000@SW1", "7001@SW1", "7002@SW1"}
    assert t.dns["8000@SW1"].object_type is ObjectType.QUEUE
    assert t.places["P1"].dns == ("7001@SW1",)
    assert t.agents["a1"].login_ids == {"SW1": "5001"}
    assert t.agents["a1"].skills == {"Spanish": 7}
    assert t.agent_groups["Team"].members == ("a1",)
    assert t.agent_groups["SpanishSpeakers"].script == 'Skill("Spanish")>=5'
    assert t.place_groups["Floor"].members == ("P1", "P2")
    assert t.dn_groups["AllQueues"].members == ("8000@SW1",)
    c = cfg.catalog
    assert set(c.stat_types) == {"CallsWaiting", "ReadyTime", "Occupancy", "Handling"}
    assert c.stat_types["CallsWaiting"].main_mask == {
        "CallWaitInbound",
        "CallWaitOutbound",
        "CallWaitConsult",
        "CallWaitUnknown",
    }  # the CallWait alias
    assert c.stat_types["CallsWaiting"].description == "Calls waiting in the queue now (count)"
    assert c.stat_types["ReadyTime"].objects == {ObjectType.AGENT, ObjectType.GROUP_AGENTS}
    assert "LoggedOut" not in c.stat_types["Occupancy"].rel_mask
    assert "WaitForNextCall" in c.stat_types["Occupancy"].rel_mask
    assert c.stat_types["Handling"].expression is not None
    assert isinstance(c.profiles["LastHour"], SlidingProfile)
    assert (c.profiles["LastHour"].window, c.profiles["LastHour"].step) == (3600, 60)
    assert isinstance(c.profiles["Last10"], SelectionProfile)
    assert c.profiles["Last10"].count == 10
    paris = c.profiles["Paris"]
    assert isinstance(paris, GrowingProfile)
    assert paris.zone == "Europe/Paris"
    assert c.ranges["Range0-20"] == (0, 20)
    assert set(c.filters) == {"Gold"}
    assert cfg.options["auto-backup-interval"] == 60
    assert cfg.engine_options.ready_ends_on_call is True
    assert cfg.engine_options.load_balance_aht == 120
    assert cfg.warnings == []


def test_default_profile_is_built_in():
    """Without timeProfiles the built-in Default profile (Growing, reset at midnight) exists."""
    text = "tenants: [{name: T}]\n"
    profile = load_config_text(text).catalog.profiles["Default"]
    assert isinstance(profile, GrowingProfile)
    assert profile.minutes == (0,)  # 00:00, minutes after midnight
    assert profile.zone == "UTC"


def test_numbers_are_accepted_where_names_are_expected():
    """A DN number or a login id written as a YAML number is the same as the quoted text."""
    text = mutate('{number: "7002", switch: SW1', "{number: 7002, switch: SW1")
    text = mutate('loginIds: {SW1: "5002"}', "loginIds: {SW1: 5002}", text)
    cfg = load_config_text(text)
    t = cfg.directory.tenants["Resources"]
    assert "7002@SW1" in t.dns
    assert t.agents["a2"].login_ids == {"SW1": "5002"}


def test_a_file_is_read_and_named_in_errors(tmp_path: Path):
    """load_config reads a file; an error names that file and the line."""
    good = tmp_path / "center.yaml"
    good.write_text(CONFIG, encoding="utf-8")
    assert "Resources" in load_config(good).directory.tenants
    bad = tmp_path / "broken.yaml"
    text = mutate("Category: TotalTime", "Category: TotalTim")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    line = line_of(text, "Category: TotalTim")
    assert str(info.value).startswith(f"{bad}:{line}: statTypes.ReadyTime.Category: ")


def test_an_unreadable_file_is_named(tmp_path: Path):
    """A missing configuration file is an error that names it."""
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)
    assert "cannot read" in str(info.value)


# ------------------------------------------------------------------------------ mistakes
# (id, old text, new text, text of the line the error must point at, path, what the
#  message must say)
MISTAKES = [
    (
        "unknown-top-level-key",
        "timeRanges:\n",
        "timeRange:\n",
        "timeRange:",
        "timeRange",
        ["unknown key 'timeRange'", "timeRanges"],
    ),
    (
        "unknown-key-in-a-dn",
        '{number: "7002", switch: SW1, type: Extension}',
        '{number: "7002", switch: SW1, type: Extension, colour: red}',
        "colour: red",
        "dns[2].colour",
        ["unknown key 'colour'", "number", "switch", "type"],
    ),
    (
        "list-expected",
        "tenants:\n  - name: Resources\n",
        "tenants: Resources\n",
        "tenants: Resources",
        "tenants",
        ["Expected 'array', got 'str'"],
    ),
    (
        "number-expected",
        "skills: {Spanish: 7}",
        "skills: {Spanish: high}",
        "Spanish: high",
        "agents[0].skills.Spanish",
        ["Expected 'int', got 'str'"],
    ),
    (
        "unknown-switch-in-login-ids",
        'loginIds: {SW1: "5002"}',
        'loginIds: {SW9: "5002"}',
        "SW9",
        "agents[1].loginIds.SW9",
        ["no switch 'SW9'", "known switches: SW1"],
    ),
    (
        "dn-without-switch",
        '{name: P2, dns: ["7002@SW1"]}',
        '{name: P2, dns: ["7002"]}',
        '{name: P2, dns: ["7002"]}',
        "places[1].dns[0]",
        ["'7002'", "number@switch"],
    ),
    (
        "dn-not-configured",
        '{name: AllQueues, dns: ["8000@SW1"]}',
        '{name: AllQueues, dns: ["8999@SW1"]}',
        "8999@SW1",
        "dnGroups[0].dns[0]",
        ["no DN '8999@SW1'"],
    ),
    (
        "duplicate-agent",
        "{employeeId: a2, userName: rroe",
        "{employeeId: a1, userName: rroe",
        "userName: rroe",
        "agents[1].employeeId",
        ["agent 'a1' is defined twice"],
    ),
    (
        "duplicate-login-id",
        'loginIds: {SW1: "5002"}',
        'loginIds: {SW1: "5001"}',
        "userName: rroe",
        "agents[1].loginIds.SW1",
        ["login id 5001 on SW1", "a1"],
    ),
    (
        "place-containing-a-queue",
        '{name: P2, dns: ["7002@SW1"]}',
        '{name: P2, dns: ["7002@SW1", "8000@SW1"]}',
        "{name: P2,",
        "places[1].dns[1]",
        ["cannot contain 8000@SW1", "ACDQueue"],
    ),
    (
        "group-with-agents-and-script",
        "{name: SpanishSpeakers, script:",
        "{name: SpanishSpeakers, agents: [a2], script:",
        "SpanishSpeakers",
        "agentGroups[1]",
        ["either agents or a script"],
    ),
    (
        "group-with-unknown-agent",
        "{name: Team, agents: [a1]}",
        "{name: Team, agents: [a1, a9]}",
        "{name: Team",
        "agentGroups[0].agents[1]",
        ["no agent with employeeId 'a9'"],
    ),
    (
        "bad-script-syntax",
        """script: 'Skill("Spanish")>=5'""",
        """script: 'Skill("Spanish") >= '""",
        "SpanishSpeakers",
        "agentGroups[1].script",
        ["column 21", "expected a whole number"],  # the end of the 20-character text
    ),
    (
        "bad-filter",
        """Gold: 'PairExists("Segment","Gold")'""",
        """Gold: 'PairExists("Segment","Gold"'""",
        "Gold: 'PairExists",
        "filters.Gold",
        ["column 28", "expected"],  # 'PairExists("Segment","Gold"' is 27 characters
    ),
    (
        "unknown-category",
        "Category: TotalTime",
        "Category: TotalTim",
        "Category: TotalTim",
        "statTypes.ReadyTime.Category",
        ["unknown Category 'TotalTim'", "stat-types.md"],
    ),
    (
        "unknown-subject",
        "Subject: AgentStatus\n    MainMask: WaitForNextCall",
        "Subject: AgentState\n    MainMask: WaitForNextCall",
        "Subject: AgentState",
        "statTypes.ReadyTime.Subject",
        ["unknown Subject 'AgentState'", "AgentStatus"],
    ),
    (
        "unknown-mask-name",
        "MainMask: CallWait\n",
        "MainMask: CallWaiting\n",
        "MainMask: CallWaiting",
        "statTypes.CallsWaiting.MainMask",
        ["unknown action or status 'CallWaiting'"],
    ),
    (
        "mask-name-in-the-wrong-case",
        "MainMask: WaitForNextCall",
        "MainMask: waitfornextcall",
        "MainMask: waitfornextcall",
        "statTypes.ReadyTime.MainMask",
        ["did you mean WaitForNextCall"],
    ),
    (
        "unknown-object-type",
        'Objects: "Agent,GroupAgents"',
        'Objects: "Agent,Team"',
        'Objects: "Agent,Team"',
        "statTypes.ReadyTime.Objects",
        ["unknown object type 'Team'", "GroupAgents"],
    ),
    (
        "subject-not-allowed-for-objects",
        'Objects: "Agent,GroupAgents"',
        'Objects: "Agent,Queue"',
        "Subject: AgentStatus",
        "statTypes.ReadyTime.Subject",
        ["AgentStatus does not apply to Queue", "DNAction, DNStatus"],
    ),
    (
        "relmask-missing-for-a-relative-category",
        '    RelMask: "*,~LoggedOut,~NotMonitored"\n',
        "",
        "Occupancy:",
        "statTypes.Occupancy.RelMask",
        ["RelMask is required for RelativeTimePercentage"],
    ),
    (
        "bad-formula-expression",
        "Expression: SUM(CallInboundCompleted; duration) / COUNT(CallInboundCompleted)",
        "Expression: SUM(CallInboundCompleted; duration) / COUNT(CallInboundCompleted",
        "Expression: SUM",
        "statTypes.Handling.Expression",
        ["column"],
    ),
    (
        "sliding-window-not-a-multiple-of-the-step",
        '{type: Sliding, value: "3600:60"}',
        '{type: Sliding, value: "3600:7"}',
        "LastHour:",
        "timeProfiles.LastHour",
        ["'3600:7'", "multiple of the step"],
    ),
    (
        "growing-reset-time-out-of-the-day",
        'Default: {type: Growing, value: "00:00"}',
        'Default: {type: Growing, value: "25:00"}',
        "Default:",
        "timeProfiles.Default",
        ["'25:00'", "00:00 to 23:59"],
    ),
    (
        "growing-value-not-a-time",
        'Default: {type: Growing, value: "00:00"}',
        'Default: {type: Growing, value: "midnight"}',
        "Default:",
        "timeProfiles.Default",
        ["'midnight'", "HH:MM"],
    ),
    (
        "unknown-time-zone",
        "timeZone: Europe/Paris",
        "timeZone: Europe/Pari",
        "timeZone: Europe/Pari",
        "timeProfiles.Paris",
        ["unknown time zone 'Europe/Pari'", "IANA"],
    ),
    (
        "unknown-profile-type",
        "Login: {type: SinceLogin}",
        "Login: {type: Rolling}",
        "Login: {type: Rolling}",
        "timeProfiles.Login",
        ["unknown time profile type 'Rolling'", "Growing, Sliding, Selection, SinceLogin"],
    ),
    (
        "selection-not-a-count",
        '{type: Selection, value: "10"}',
        '{type: Selection, value: "ten"}',
        "Last10:",
        "timeProfiles.Last10",
        ["'ten'", "positive number"],
    ),
    (
        "time-range-backwards",
        'Range0-20: "0-20"',
        'Range0-20: "20-10"',
        'Range0-20: "20-10"',
        "timeRanges.Range0-20",
        ["'20-10'", "end must be greater than the start"],
    ),
    (
        "time-range-not-seconds",
        'Range0-20: "0-20"',
        'Range0-20: "0-20s"',
        'Range0-20: "0-20s"',
        "timeRanges.Range0-20",
        ["'<from>-<to>' in whole seconds"],
    ),
    (
        "bad-option-value-yes-no",
        "ready-ends-on-call: yes",
        "ready-ends-on-call: maybe",
        "ready-ends-on-call: maybe",
        "options.ready-ends-on-call",
        ["yes or no", "'maybe'"],
    ),
    (
        "bad-option-value-number",
        "load-balance-aht: 120",
        "load-balance-aht: two minutes",
        "load-balance-aht: two minutes",
        "options.load-balance-aht",
        ["whole number", "'two minutes'"],
    ),
    (
        "bad-option-value-action-total-number-at",
        "load-balance-aht: 120",
        "action-total-number-at: middle",
        "action-total-number-at: middle",
        "options.action-total-number-at",
        ["'end' or 'start'"],
    ),
    (
        "unknown-dn-type",
        '{number: "7002", switch: SW1, type: Extension}',
        '{number: "7002", switch: SW1, type: Phone}',
        "type: Phone",
        "dns[2].type",
        ["unknown DN type 'Phone'", "Extension", "ACDQueue"],
    ),
    (
        "unknown-tenant-of-a-switch",
        "{name: SW1, tenant: Resources, source: TS1}",
        "{name: SW1, tenant: Resource, source: TS1}",
        "tenant: Resource,",
        "switches[0].tenant",
        ["no tenant 'Resource'", "known tenants: Resources"],
    ),
    (
        "unknown-source-of-a-switch",
        "{name: SW1, tenant: Resources, source: TS1}",
        "{name: SW1, tenant: Resources, source: TS9}",
        "source: TS9",
        "switches[0].source",
        ["no source 'TS9'", "TS1, IXN1"],
    ),
    (
        "switch-reported-by-an-interaction-server",
        "{name: SW1, tenant: Resources, source: TS1}",
        "{name: SW1, tenant: Resources, source: IXN1}",
        "source: IXN1}",
        "switches[0].source",
        ["interaction source, not tserver"],
    ),
    (
        "unknown-source-kind",
        "{name: TS1, kind: tserver,",
        "{name: TS1, kind: sipserver,",
        "kind: sipserver",
        "sources[0].kind",
        ["'sipserver'", "tserver or interaction"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line_text", "path", "says"),
    [pytest.param(*m[1:], id=m[0]) for m in MISTAKES],
)
def test_a_mistake_names_file_line_path_and_what_was_expected(
    old: str, new: str, line_text: str, path: str, says: list[str]
):
    """The error reads 'file:line: path: problem' and says what is accepted."""
    text = mutate(old, new)
    with pytest.raises(ConfigError) as info:
        load_config_text(text, source="center.yaml")
    exc = info.value
    line = line_of(text, line_text)
    assert exc.source == f"center.yaml:{line}", str(exc)
    assert exc.path == path, str(exc)
    assert str(exc) == f"center.yaml:{line}: {path}: {exc.problem}"
    for fragment in says:
        assert fragment in exc.problem, str(exc)


def test_at_least_fifteen_distinct_mistakes_are_covered():
    """The table above keeps covering the mistakes the issue lists (and more)."""
    assert len({m[0] for m in MISTAKES}) >= 15


def test_not_yaml_names_the_line():
    """A YAML syntax error names the line where the parser stopped."""
    text = CONFIG + "filters: [\n"
    with pytest.raises(ConfigError) as info:
        load_config_text(text, source="center.yaml")
    assert str(info.value).startswith(f"center.yaml:{len(text.splitlines()) + 1}: not valid YAML")


def test_a_document_that_is_not_a_mapping():
    """A YAML list at the top is refused with what is expected instead."""
    with pytest.raises(ConfigError) as info:
        load_config_text("- tenants\n", source="center.yaml")
    assert "mapping of sections" in str(info.value)


def test_a_tenant_is_required():
    """A configuration with objects needs at least one tenant."""
    with pytest.raises(ConfigError) as info:
        load_config_text("dns: []\n", source="center.yaml")
    assert info.value.path == "tenants"
    assert "at least one tenant" in info.value.problem


def test_unknown_option_names_are_left_to_the_server():
    """Options the engine does not know (server options) are kept, not refused."""
    text = mutate("auto-backup-interval: 60", "max-output-queue-size: 500")
    cfg = load_config_text(text)
    assert cfg.options["max-output-queue-size"] == 500


def test_stat_type_keys_are_case_insensitive_and_extra_keys_are_kept():
    """Genesys keys in any case are accepted; unknown keys (business attributes) are kept."""
    text = mutate(
        "    Category: TotalTime\n",
        "    category: TotalTime\n    JavaSubCategory: nothing\n",
    )
    d = load_config_text(text).catalog.stat_types["ReadyTime"]
    assert d.category.name == "TotalTime"
    assert d.extra == {"JavaSubCategory": "nothing"}


# ------------------------------------------------------------------------------ the reference
DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def doc_blocks(language: str) -> list[str]:
    pattern = re.compile(rf"^```{language}\n(.*?)^```$", re.S | re.M)
    return pattern.findall(DOC.read_text(encoding="utf-8"))


def test_the_yaml_examples_of_the_reference_load():
    """Every YAML example of docs/configuration.md is valid (alone, or with a tenant)."""
    examples = [b for b in doc_blocks("yaml") if "genesysOptions" not in b]
    assert len(examples) >= 5
    for block in examples:
        text = block if "tenants:" in block else "tenants: [{name: T}]\n" + block
        load_config_text(text, source="docs/configuration.md")


def test_the_option_file_example_of_the_reference_loads(tmp_path: Path):
    """The Genesys option file example of docs/configuration.md is valid."""
    (block,) = doc_blocks("ini")
    path = tmp_path / "example.cfg"
    path.write_text(block, encoding="utf-8")
    cfg = load_config(path)
    assert "Total_Calls_Answered" in cfg.catalog.stat_types
    assert cfg.warnings == []


def test_every_engine_option_is_documented():
    """docs/configuration.md has a row for each engine option, by its Genesys-style name."""
    from statserver.core.options import ENGINE_OPTION_NAMES

    text = DOC.read_text(encoding="utf-8")
    for name in sorted(ENGINE_OPTION_NAMES):
        assert f"| `{name}` |" in text, name

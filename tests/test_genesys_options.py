"""Genesys option files: the options of a Stat Server application, as Genesys exports them.

A file such as ``examples/genesys/statserver-options.cfg`` can be merged into a YAML
configuration (``genesysOptions: [file.cfg]``) or checked alone (``statserver check-config
file.cfg``).  Sections the server does not use are reported as warnings; mistakes name the
option file, the line and ``[Section].option``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import T0
from statserver.config import load_config, load_config_text, parse_genesys_options
from statserver.core.engine import Engine, StatisticRequest
from statserver.core.stats.profiles import GrowingProfile, SelectionProfile, SlidingProfile
from statserver.errors import ConfigError
from statserver.events import decode_event_obj

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "genesys" / "statserver-options.cfg"

OBJECTS = """\
tenants:
  - name: Resources
switches:
  - {name: SW1, tenant: Resources, source: TS1}
sources:
  - {name: TS1, kind: tserver, tenants: [Resources]}
dns:
  - {number: "8000", switch: SW1, type: ACDQueue}
  - {number: "7001", switch: SW1, type: Extension}
places:
  - {name: P1, dns: ["7001@SW1"]}
agents:
  - {employeeId: a1, loginIds: {SW1: "5001"}}
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ the example
def test_the_example_file_parses_section_by_section():
    """Every section of the example export lands where it belongs."""
    opts = parse_genesys_options(EXAMPLE.read_text(encoding="utf-8"), source=str(EXAMPLE))
    assert len(opts.stat_types) >= 15
    for name in (
        "Total_Calls_Answered",
        "Current_In_Queue",
        "AverageHandlingTime",
        "CurrentAgentState",
    ):
        assert name in opts.stat_types
    assert opts.stat_types["Total_Calls_Answered"]["Category"] == "TotalNumber"
    assert opts.time_profiles["LastHour"] == {"type": "Sliding", "value": "3600:60"}
    assert opts.time_profiles["CollectorDefault"] == {"type": "Growing", "value": "00:00+00:15"}
    assert opts.time_ranges["Range0-30"] == "0-30"
    assert opts.filters["GoldSegment"] == 'PairExists("Segment","Gold")'
    assert opts.options["auto-backup-interval"] == "60"
    assert opts.ignored == ["log"]


def test_check_config_accepts_an_option_file_alone():
    """`statserver check-config file.cfg` validates the file without any object."""
    cfg = load_config(EXAMPLE)
    assert cfg.directory.tenants == {}
    c = cfg.catalog
    assert isinstance(c.profiles["LastHour"], SlidingProfile)
    assert isinstance(c.profiles["Last10Calls"], SelectionProfile)
    collector = c.profiles["CollectorDefault"]
    assert isinstance(collector, GrowingProfile)
    assert len(collector.minutes) == 24 * 4  # every 15 minutes from 00:00: 96 resets a day
    shift = c.profiles["Shift"]
    assert isinstance(shift, GrowingProfile)
    assert shift.minutes == (7 * 60, 15 * 60, 23 * 60)
    paris = c.profiles["ParisDay"]
    assert isinstance(paris, GrowingProfile)
    assert (paris.minutes, paris.zone) == ((0,), "Europe/Paris")
    assert c.stat_types["Service_Factor"].category.name == "ServiceFactor1"
    assert c.stat_types["AverageHandlingTime"].expression is not None
    assert cfg.engine_options.load_balance_aht == 120  # [statserver] load-balance-aht=120
    assert cfg.warnings == ["statserver-options.cfg: section [log] is not used by this server"]


def test_check_config_command_on_the_example():
    """The command exits 0, summarises the definitions and warns about unused sections."""
    proc = subprocess.run(
        [sys.executable, "-m", "statserver.cli", "check-config", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "17 stat types, 8 time profiles, 4 time ranges, 4 filters" in proc.stdout
    assert "warning: statserver-options.cfg: section [log] is not used" in proc.stderr


def test_check_config_command_reports_a_mistake_with_file_and_line(tmp_path: Path):
    """A mistake in an option file checked alone exits non-zero naming file, line, option."""
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "Category=CurrentMaxTime", "Category=CurrentMaximumTime"
    )
    cfg = write(tmp_path, "options.cfg", text)
    proc = subprocess.run(
        [sys.executable, "-m", "statserver.cli", "check-config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    line = line_of(text, "Category=CurrentMaximumTime")
    assert f"{cfg}:{line}: [Current_Max_Wait_Time].Category: unknown Category" in proc.stderr


# ------------------------------------------------------------------------------ merging
def test_yaml_merges_option_files_relative_to_itself(tmp_path: Path):
    """genesysOptions names files next to the YAML file; their definitions join the catalog
    and the YAML objects can be measured with them."""
    write(tmp_path, "app.cfg", EXAMPLE.read_text(encoding="utf-8"))
    cfg = load_config(write(tmp_path, "center.yaml", OBJECTS + "genesysOptions: [app.cfg]\n"))
    assert "Total_Calls_Answered" in cfg.catalog.stat_types
    engine = Engine(cfg.directory, cfg.catalog, cfg.engine_options)
    waiting = engine.open(
        StatisticRequest("Resources", "Queue", "8000@SW1", "Current_In_Queue"), at=T0
    )
    record = decode_event_obj(
        {"event": "EventQueued", "time": T0 + 5, "source": "TS1", "thisDN": "8000", "connID": "c1"}
    )
    assert engine.feed(record)
    assert engine.value(waiting, T0 + 6) == 1  # one call queued at +5, still waiting


def test_yaml_definitions_override_the_option_files(tmp_path: Path):
    """A stat type, profile, range, filter or option defined in the YAML file wins."""
    write(tmp_path, "app.cfg", EXAMPLE.read_text(encoding="utf-8"))
    yaml_text = OBJECTS + textwrap.dedent(
        """\
        genesysOptions: [app.cfg]
        statTypes:
          Current_In_Queue: {Objects: Queue, Category: CurrentMaxTime, MainMask: CallWait}
        timeProfiles:
          LastHour: {type: Sliding, value: "3600:600"}
        timeRanges:
          Range0-30: "0-25"
        filters:
          GoldSegment: 'PairExists("Segment","Platinum")'
        options:
          load-balance-aht: 60
        """
    )
    cfg = load_config(write(tmp_path, "center.yaml", yaml_text))
    c = cfg.catalog
    assert c.stat_types["Current_In_Queue"].category.name == "CurrentMaxTime"
    assert c.stat_types["Total_Calls_Answered"].category.name == "TotalNumber"  # from the file
    last_hour = c.profiles["LastHour"]
    assert isinstance(last_hour, SlidingProfile)
    assert last_hour.step == 600
    assert c.ranges["Range0-30"] == (0, 25)
    assert "Platinum" in c.filters["GoldSegment"].text
    assert cfg.engine_options.load_balance_aht == 60


def test_unknown_sections_are_warnings(tmp_path: Path):
    """Sections without a Category ([log], [ha], a custom section) are reported, not refused."""
    write(
        tmp_path,
        "app.cfg",
        """\
        [ha]
        addp-timeout=10

        [MyCustomSection]
        colour=blue

        [Total_Calls_Answered]
        Category=TotalNumber
        MainMask=CallAnswered
        Objects=Queue
        Subject=DNAction
        """,
    )
    cfg = load_config(write(tmp_path, "center.yaml", OBJECTS + "genesysOptions: [app.cfg]\n"))
    assert sorted(cfg.warnings) == [
        "app.cfg: section [MyCustomSection] is not used by this server",
        "app.cfg: section [ha] is not used by this server",
    ]
    assert "Total_Calls_Answered" in cfg.catalog.stat_types


def test_a_missing_option_file_is_named_in_the_yaml(tmp_path: Path):
    """A file named in genesysOptions that cannot be read is an error at that YAML line."""
    text = OBJECTS + "genesysOptions: [nope.cfg]\n"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "center.yaml", text))
    exc = info.value
    assert exc.source == f"{tmp_path / 'center.yaml'}:{line_of(text, 'genesysOptions')}"
    assert exc.path == "genesysOptions[0]"
    assert "nope.cfg" in exc.problem


# ------------------------------------------------------------------------------ mistakes
GOOD = """\
[TimeProfiles]
Default,Growing=00:00
LastHour,Sliding=3600:60

[TimeRanges]
Range0-20=0-20

[Filters]
Gold=PairExists("Segment","Gold")

[statserver]
ready-ends-on-call=no

[Total_Calls_Answered]
Category=TotalNumber
MainMask=CallAnswered
Objects=Queue
Subject=DNAction
"""

# (id, old line, new line, path in the option file, what the message says)
CFG_MISTAKES = [
    (
        "unknown-category",
        "Category=TotalNumber",
        "Category=TotalNumbers",
        "[Total_Calls_Answered].Category",
        "unknown Category 'TotalNumbers'",
    ),
    (
        "unknown-mask",
        "MainMask=CallAnswered",
        "MainMask=CallsAnswered",
        "[Total_Calls_Answered].MainMask",
        "unknown action or status 'CallsAnswered'",
    ),
    (
        "bad-sliding-profile",
        "LastHour,Sliding=3600:60",
        "LastHour,Sliding=3600:7",
        "[TimeProfiles].LastHour,Sliding",
        "multiple of the step",
    ),
    (
        "profile-without-type",
        "Default,Growing=00:00",
        "Default=00:00",
        "[TimeProfiles].Default",
        "'<Name>,<Type>'",
    ),
    (
        "bad-time-range",
        "Range0-20=0-20",
        "Range0-20=20-10",
        "[TimeRanges].Range0-20",
        "end must be greater than the start",
    ),
    (
        "bad-filter",
        'Gold=PairExists("Segment","Gold")',
        'Gold=PairExists("Segment",)',
        "[Filters].Gold",
        "column",
    ),
    (
        "bad-option",
        "ready-ends-on-call=no",
        "ready-ends-on-call=sometimes",
        "[statserver].ready-ends-on-call",
        "yes or no",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "path", "says"), [pytest.param(*m[1:], id=m[0]) for m in CFG_MISTAKES]
)
def test_a_mistake_in_an_option_file_names_that_file(
    tmp_path: Path, old: str, new: str, path: str, says: str
):
    """Merged from YAML or checked alone, the error names the option file, its line and
    '[Section].option'."""
    assert GOOD.count(old) == 1
    text = GOOD.replace(old, new)
    cfg_file = write(tmp_path, "app.cfg", text)
    yaml_file = write(tmp_path, "center.yaml", OBJECTS + "genesysOptions: [app.cfg]\n")
    line = line_of(text, new)
    for target in (yaml_file, cfg_file):
        with pytest.raises(ConfigError) as info:
            load_config(target)
        exc = info.value
        assert exc.source == f"{cfg_file}:{line}", str(exc)
        assert exc.path == path, str(exc)
        assert says in exc.problem, str(exc)


def test_a_line_that_is_not_an_option(tmp_path: Path):
    """A line that is neither '[Section]' nor 'name=value' is named with its line."""
    text = GOOD.replace("Subject=DNAction", "Subject DNAction")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "app.cfg", text))
    assert info.value.source == f"{tmp_path / 'app.cfg'}:{line_of(text, 'Subject DNAction')}"
    assert "'Subject DNAction' is neither a [Section] line nor a name=value option" in str(
        info.value
    )


def test_an_option_before_any_section(tmp_path: Path):
    """Options must come after a [Section] line."""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "app.cfg", "Category=TotalNumber\n" + GOOD))
    assert info.value.source == f"{tmp_path / 'app.cfg'}:1"
    assert "before any [Section] line" in info.value.problem


def test_option_text_can_be_parsed_from_a_string():
    """load_config_text merges option files given by absolute path too."""
    cfg = load_config_text(f"tenants: [{{name: T}}]\ngenesysOptions: ['{EXAMPLE}']\n")
    assert "CurrentAgentState" in cfg.catalog.stat_types

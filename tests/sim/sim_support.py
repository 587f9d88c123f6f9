"""Helpers for the simulator tests: the sample configuration, and what the simulator's own
state says a statistic should be (the ground truth the server is compared with)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from statserver.config import load_config_text
from statserver.config.load import LoadedConfig
from statserver.sim.core import Agent, Simulation

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "demo" / "config.yaml"
#: 2026-11-25T08:00:00Z: an 8-hour run stays inside one day (Default resets at midnight)
T0 = 1795593600

#: current agent stat types of the sample -> the agent statuses they count
STATUS_STATS: dict[str, Any] = {
    "AgentsReady": lambda s: s == "WaitForNextCall",
    "AgentsNotReady": lambda s: s == "NotReadyForNextCall",
    "AgentsInACW": lambda s: s == "AfterCallWork",
    "AgentsBusy": lambda s: s.startswith("Call"),
    "AgentsLoggedIn": lambda s: s != "LoggedOut",
}


def sample_doc() -> dict[str, Any]:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def config_from(doc: dict[str, Any]) -> LoadedConfig:
    doc = copy.deepcopy(doc)
    doc.setdefault("timeProfiles", {})["Forever"] = {"type": "EverGrowing"}
    return load_config_text(yaml.safe_dump(doc, sort_keys=False), source="<sample>")


def members(
    config: LoadedConfig, sim: Simulation, tenant: str, kind: str, name: str
) -> list[Agent]:
    """The simulated agents of a group (listed, or a Skill / LoggedIn script), or a tenant."""
    agents = sim.agents(tenant)
    if kind == "Tenant":
        return agents
    info = config.directory.tenants[tenant].agent_groups[name]
    if info.members:
        return [a for a in agents if a.id in info.members]
    assert info.script is not None
    m = re.fullmatch(r'Skill\("(\w+)"\)>=(\d+)', info.script)
    if m:
        return [a for a in agents if a.spec.skills.get(m[1], 0) >= int(m[2])]
    m = re.fullmatch(r'LoggedIn\("(\w+)@\w+"\)', info.script)
    assert m, info.script
    return [a for a in agents if a.voice and a.spec.login_queue == m[1]]


def groups(config: LoadedConfig) -> list[tuple[str, str, str]]:
    """(tenant, object type, object id) of every tenant and agent group."""
    out = []
    for tname, model in config.directory.tenants.items():
        out.append((tname, "Tenant", tname))
        out.extend((tname, "GroupAgents", g) for g in model.agent_groups)
    return out


def expected_count(
    config: LoadedConfig, sim: Simulation, tenant: str, kind: str, name: str, stat: str
) -> int:
    test = STATUS_STATS[stat]
    return sum(1 for a in members(config, sim, tenant, kind, name) if test(a.status()))

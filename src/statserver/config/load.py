"""Loading and validating the configuration file (contracts.md §2).

Every error names the file, the line, the path inside the file and what was expected::

    demo.yaml:42: agents[3].loginIds.SW9: no switch 'SW9'; known switches: SW1, SW2

The result is a :class:`LoadedConfig`: the object model (:class:`Directory`), the named
definitions (:class:`Catalog`), the engine options and the server options.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec
import yaml

from statserver.config.genesys import GenesysOptions, parse_genesys_options
from statserver.config.schema import ConfigFile, SourceCfg
from statserver.core.catalog import Catalog, CompiledFilter, parse_time_range
from statserver.core.expr import (
    ExprError,
    compile_custom_value,
    compile_filter,
    compile_formula,
    compile_group_script,
)
from statserver.core.model import (
    MEDIATION_DN_TYPES,
    REGULAR_DN_TYPES,
    AgentInfo,
    Directory,
    DnInfo,
    GroupInfo,
    PlaceInfo,
    SourceInfo,
    SourceKind,
    SwitchInfo,
    TenantModel,
)
from statserver.core.options import ENGINE_OPTION_NAMES, EngineOptions
from statserver.core.stats.definition import StatTypeError, parse_stat_type
from statserver.core.stats.profiles import parse_time_profile
from statserver.errors import ConfigError

__all__ = ["LoadedConfig", "load_config", "load_config_text"]


@dataclass
class LoadedConfig:
    source: str
    directory: Directory
    catalog: Catalog
    engine_options: EngineOptions
    options: dict[str, Any]
    sources: dict[str, SourceCfg]
    raw: ConfigFile
    warnings: list[str] = field(default_factory=list)


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a configuration file; raises :class:`ConfigError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", source=str(p)) from None
    if p.suffix.lower() in (".cfg", ".ini", ".conf"):
        # a Genesys option file alone: stat types and options, no objects
        text = f"genesysOptions: [{p.name!r}]\n"
        return load_config_text(text, source=str(p), base=p.parent, objects_required=False)
    return load_config_text(text, source=str(p), base=p.parent)


def load_config_text(
    text: str, source: str = "<config>", base: Path | None = None, *, objects_required: bool = True
) -> LoadedConfig:
    """Validate configuration text; ``objects_required=False`` accepts a file without tenants
    (a Genesys option file checked alone)."""
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)  # a safe loader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", source=where) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the file must be a mapping of sections (tenants, dns, ...)", source=source
        )
    lines = _LineFinder(text)
    try:
        cfg = msgspec.convert(data, ConfigFile, str_keys=True)
    except msgspec.ValidationError as exc:
        raise _from_validation(exc, source, lines, data) from None
    try:
        return _Builder(cfg, source, base or Path("."), lines, objects_required).build()
    except ConfigError as exc:
        if exc.path and exc.source == source:
            line = lines.line(exc.path)
            if line is not None:
                raise ConfigError(exc.problem, source=f"{source}:{line}", path=exc.path) from None
        raise


# ------------------------------------------------------------------------------ line numbers
#: libyaml's parser when PyYAML was built with it (about 7 times faster on a configuration
#: of 10,000 agents), the pure-Python one otherwise; both construct the same safe data
_FAST_LOADER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineFinder:
    """Maps a path such as ``agents[3].loginIds`` to a line of the YAML document.  The
    document is parsed again for its line numbers only when an error needs one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._root: yaml.Node | None = None
        self._composed = False

    def _node(self) -> yaml.Node | None:
        if not self._composed:
            self._composed = True
            self._root = yaml.compose(self.text, Loader=_FAST_LOADER)
        return self._root

    def line(self, path: str) -> int | None:
        node = self._node()
        best: int | None = None
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if node is None:
                break
            if part.startswith("["):
                if not isinstance(node, yaml.SequenceNode):
                    break
                index = int(part[1:-1])
                if index >= len(node.value):
                    break
                node = node.value[index]
            elif isinstance(node, yaml.MappingNode):
                found = None
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == part:
                        found = value
                        best = key.start_mark.line + 1
                        break
                if found is None:
                    break
                node = found
                continue
            else:
                break
            best = node.start_mark.line + 1
        return best


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]*)`$")


def _keys_at(path: str) -> list[str] | None:
    """The keys accepted by the mapping at ``path`` (None when it is not a fixed mapping)."""
    info: Any = msgspec.inspect.type_info(ConfigFile)
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if isinstance(info, msgspec.inspect.StructType):
            info = next((f.type for f in info.fields if f.encode_name == part), None)
        elif isinstance(info, msgspec.inspect.ListType) and part.startswith("["):
            info = info.item_type
        elif isinstance(info, msgspec.inspect.DictType):
            info = info.value_type
        else:
            return None
    if isinstance(info, msgspec.inspect.StructType):
        return [f.encode_name for f in info.fields]
    return None


def _name_map_keys(path: str, data: Any, message: str) -> str:
    """msgspec writes ``[...]`` for a value of a map: find which key it is."""
    while "[...]" in path:
        prefix, rest = path.split("[...]", 1)
        container: Any = data
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", prefix):
            if part.startswith("[") and isinstance(container, list):
                container = container[int(part[1:-1])]
            elif isinstance(container, dict):
                container = container.get(part)
            else:
                return path
        if not isinstance(container, dict):
            return path
        culprit = None
        for key in container:
            trial = copy.deepcopy(data)
            target: Any = trial
            for part in re.findall(r"[^.\[\]]+|\[\d+\]", prefix):
                target = target[int(part[1:-1])] if part.startswith("[") else target[part]
            target.clear()
            target[key] = container[key]
            try:
                msgspec.convert(trial, ConfigFile, str_keys=True)
            except msgspec.ValidationError as exc:
                if str(exc).split(" - at ", 1)[0] == message:
                    culprit = key
                    break
        if culprit is None:
            return path
        path = f"{prefix}.{culprit}{rest}"
    return path


def _from_validation(
    exc: msgspec.ValidationError, source: str, lines: _LineFinder, data: Any
) -> ConfigError:
    m = _AT.match(str(exc))
    assert m is not None
    path = _name_map_keys((m.group("path") or "").lstrip("."), data, m.group("msg"))
    problem = m.group("msg").replace("`", "'")
    unknown = _UNKNOWN.match(m.group("msg"))
    if unknown is not None:
        key = unknown.group("key")
        accepted = _keys_at(path)
        path = f"{path}.{key}" if path else key
        problem = f"unknown key {key!r}"
        if accepted:
            problem += f"; expected one of {', '.join(accepted)}"
        problem += " (see docs/configuration.md)"
    line = lines.line(path) if path else None
    where = f"{source}:{line}" if line else source
    return ConfigError(problem, source=where, path=path)


# ------------------------------------------------------------------------------ building
class _Builder:
    def __init__(
        self,
        cfg: ConfigFile,
        source: str,
        base: Path,
        lines: _LineFinder,
        objects_required: bool = True,
    ) -> None:
        self.cfg = cfg
        self.source = source
        self.base = base
        self.lines = lines
        self.objects_required = objects_required
        self.warnings: list[str] = []
        self.directory = Directory()
        #: definitions that came from a Genesys option file: "statTypes.X" -> (file, options)
        self.origins: dict[str, tuple[str, GenesysOptions]] = {}

    def fail(self, path: str, problem: str) -> ConfigError:
        found = self._genesys_location(path)
        if found is not None:
            where, gpath = found
            return ConfigError(problem, source=where, path=gpath)
        return ConfigError(problem, source=self.source, path=path)

    def _genesys_location(self, path: str) -> tuple[str, str] | None:
        """For a definition read from a Genesys option file: ``file:line`` and ``[Section].key``."""
        parts = path.split(".", 2)
        if len(parts) < 2:
            return None
        origin = self.origins.get(f"{parts[0]}.{parts[1]}")
        if origin is None:
            return None
        file, opts = origin
        name, key = parts[1], (parts[2] if len(parts) > 2 else None)
        section = {
            "timeProfiles": "TimeProfiles",
            "timeRanges": "TimeRanges",
            "filters": "Filters",
            "options": "statserver",
        }.get(parts[0])
        if section is None:  # a stat type: one section per stat type
            line = opts.line(name, key)
            gpath = f"[{name}].{key}" if key else f"[{name}]"
        else:
            line = opts.line(section, name)
            if parts[0] == "timeProfiles":
                ptype = opts.time_profiles.get(name, {}).get("type", "")
                gpath = f"[{section}].{name},{ptype}"
            else:
                gpath = f"[{section}].{name}"
        return (f"{file}:{line}" if line else file), gpath

    def build(self) -> LoadedConfig:
        stat_types = dict(self.cfg.stat_types)
        profiles: dict[str, dict[str, Any]] = {}
        ranges: dict[str, Any] = {}
        filters: dict[str, str] = {}
        options: dict[str, Any] = {}
        for i, name in enumerate(self.cfg.genesys_options):
            file, opts = self._genesys(name, f"genesysOptions[{i}]")
            stat_types = {**opts.stat_types, **stat_types}
            profiles.update(opts.time_profiles)
            ranges.update(opts.time_ranges)
            filters.update(opts.filters)
            options.update(opts.options)
            for prefix, names in (
                ("statTypes", opts.stat_types),
                ("timeProfiles", opts.time_profiles),
                ("timeRanges", opts.time_ranges),
                ("filters", opts.filters),
                ("options", opts.options),
            ):
                for key in names:
                    self.origins[f"{prefix}.{key}"] = (file, opts)
            self.warnings.extend(
                f"{name}: section [{s}] is not used by this server" for s in opts.ignored
            )
        # what the YAML file defines itself overrides the option files
        for prefix, names in (
            ("statTypes", self.cfg.stat_types),
            ("timeProfiles", self.cfg.time_profiles),
            ("timeRanges", self.cfg.time_ranges),
            ("filters", self.cfg.filters),
            ("options", self.cfg.options),
        ):
            for key in names:
                self.origins.pop(f"{prefix}.{key}", None)
        for pname, p in self.cfg.time_profiles.items():
            profiles[pname] = {"type": p.type, "value": p.value, "timeZone": p.time_zone}
        ranges.update(self.cfg.time_ranges)
        filters.update(self.cfg.filters)
        options.update(self.cfg.options)
        catalog = self._catalog(stat_types, profiles, ranges, filters)
        for key, value in options.items():
            if key in ENGINE_OPTION_NAMES:
                try:
                    EngineOptions.from_mapping({key: value})
                except ValueError as exc:
                    raise self.fail(f"options.{key}", str(exc)) from None
        try:
            engine_options = EngineOptions.from_mapping(options)
        except ValueError as exc:
            raise self.fail("options", str(exc)) from None
        self._objects()
        if self.cfg.wallboard is not None:
            from statserver.service.wallboard import check_config

            try:
                check_config(self.cfg.wallboard, catalog, self.directory)
            except ConfigError as exc:
                raise self.fail(exc.path, exc.problem) from None
        return LoadedConfig(
            source=self.source,
            directory=self.directory,
            catalog=catalog,
            engine_options=engine_options,
            options=options,
            sources={str(s.name): s for s in self.cfg.sources},
            raw=self.cfg,
            warnings=self.warnings,
        )

    def _genesys(self, name: str, path: str) -> tuple[str, GenesysOptions]:
        file = (self.base / name) if not Path(name).is_absolute() else Path(name)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            problem = f"cannot read Genesys option file {str(file)!r}: {exc.strerror}"
            raise self.fail(path, problem) from None
        return str(file), parse_genesys_options(text, source=str(file))

    def _catalog(
        self,
        stat_types: Mapping[str, Mapping[str, Any]],
        profiles: Mapping[str, Mapping[str, Any]],
        ranges: Mapping[str, Any],
        filters: Mapping[str, str],
    ) -> Catalog:
        cat = Catalog()
        for name, spec in profiles.items():
            try:
                cat.profiles[name] = parse_time_profile(
                    name, str(spec.get("type", "")), spec.get("value"), spec.get("timeZone")
                )
            except ValueError as exc:
                raise self.fail(f"timeProfiles.{name}", str(exc)) from None
        for name, text in ranges.items():
            try:
                cat.ranges[name] = parse_time_range(text)
            except ValueError as exc:
                raise self.fail(f"timeRanges.{name}", str(exc)) from None
        for name, text in filters.items():
            try:
                cat.filters[name] = CompiledFilter(name, text, compile_filter(text))
            except ExprError as exc:
                raise self.fail(f"filters.{name}", str(exc)) from None
        for name, spec in stat_types.items():
            if not isinstance(spec, Mapping):
                raise self.fail(f"statTypes.{name}", "a stat type is a mapping of Genesys keys")
            try:
                cat.stat_types[name] = parse_stat_type(name, spec)
            except StatTypeError as exc:
                raise self.fail(f"statTypes.{name}.{exc.key}", str(exc)) from None
            except ValueError as exc:
                raise self.fail(f"statTypes.{name}", str(exc)) from None
            d = cat.stat_types[name]
            if d.expression:
                try:
                    compile_formula(d.expression)
                except ExprError as exc:
                    raise self.fail(f"statTypes.{name}.Expression", str(exc)) from None
            if d.formula:
                try:
                    compile_custom_value(d.formula)
                except ExprError as exc:
                    raise self.fail(f"statTypes.{name}.Formula", str(exc)) from None
        return cat

    # -- objects -------------------------------------------------------------------------------
    def _objects(self) -> None:
        cfg, d = self.cfg, self.directory
        names = [str(t.name) for t in cfg.tenants]
        if not names and not self.objects_required:
            return
        if not names:
            raise self.fail("tenants", "at least one tenant is required, e.g. '- name: Resources'")
        for i, t in enumerate(cfg.tenants):
            if str(t.name) in d.tenants:
                raise self.fail(f"tenants[{i}].name", f"tenant {t.name!r} is defined twice")
            d.tenants[str(t.name)] = TenantModel(str(t.name), t.password)
        only = names[0] if len(names) == 1 else None

        def tenant_of(value: Any, path: str, fallback: str | None = None) -> str:
            name = str(value) if value is not None else (fallback or only)
            if name is None:
                raise self.fail(path, f"say which tenant; known tenants: {', '.join(names)}")
            if name not in d.tenants:
                raise self.fail(path, f"no tenant {name!r}; known tenants: {', '.join(names)}")
            return name

        for i, src in enumerate(cfg.sources):
            try:
                kind = SourceKind(src.kind)
            except ValueError:
                raise self.fail(
                    f"sources[{i}].kind", f"kind {src.kind!r}; expected tserver or interaction"
                ) from None
            tenants = tuple(tenant_of(t, f"sources[{i}].tenants") for t in src.tenants)
            if str(src.name) in d.sources:
                raise self.fail(f"sources[{i}].name", f"source {src.name!r} is defined twice")
            d.sources[str(src.name)] = SourceInfo(str(src.name), kind, tenants or tuple(names))

        switch_tenant: dict[str, str] = {}
        for i, sw in enumerate(cfg.switches):
            tname = tenant_of(sw.tenant, f"switches[{i}].tenant")
            name = str(sw.name)
            if name in switch_tenant:
                raise self.fail(f"switches[{i}].name", f"switch {name!r} is defined twice")
            if sw.source is not None and str(sw.source) not in d.sources:
                raise self.fail(
                    f"switches[{i}].source",
                    f"no source {sw.source!r}; known sources: {', '.join(d.sources) or 'none'}",
                )
            switch_tenant[name] = tname
            d.tenants[tname].switches[name] = SwitchInfo(
                name, tname, str(sw.source) if sw.source is not None else None
            )
        switches_known = ", ".join(switch_tenant) or "none"

        dn_tenant: dict[str, str] = {}
        for i, dn in enumerate(cfg.dns):
            path = f"dns[{i}]"
            sw_name = str(dn.switch)
            if sw_name not in switch_tenant:
                raise self.fail(
                    f"{path}.switch", f"no switch {sw_name!r}; known switches: {switches_known}"
                )
            if dn.type not in REGULAR_DN_TYPES and dn.type not in MEDIATION_DN_TYPES:
                accepted = ", ".join(sorted(REGULAR_DN_TYPES | set(MEDIATION_DN_TYPES)))
                raise self.fail(
                    f"{path}.type", f"unknown DN type {dn.type!r}; expected one of {accepted}"
                )
            info = DnInfo(
                str(dn.number),
                sw_name,
                dn.type,
                use_alt_enter_time=dn.use_alt_enter_time,
                media_type=(dn.media_type or _default_media(dn.type)).lower(),
            )
            if info.key in dn_tenant:
                raise self.fail(f"{path}.number", f"DN {info.key} is defined twice")
            dn_tenant[info.key] = switch_tenant[sw_name]
            d.tenants[switch_tenant[sw_name]].dns[info.key] = info

        def dn_ref(value: Any, path: str) -> str:
            key = str(value)
            if "@" not in key:
                raise self.fail(path, f"DN {key!r} must be named number@switch, e.g. 7001@SW1")
            if key not in dn_tenant:
                raise self.fail(path, f"no DN {key!r} in dns")
            return key

        place_tenant: dict[str, str] = {}
        for i, pl in enumerate(cfg.places):
            path = f"places[{i}]"
            keys = tuple(dn_ref(v, f"{path}.dns[{j}]") for j, v in enumerate(pl.dns))
            for j, key in enumerate(keys):
                info = d.tenants[dn_tenant[key]].dns[key]
                if info.type in MEDIATION_DN_TYPES:
                    raise self.fail(
                        f"{path}.dns[{j}]", f"a place cannot contain {key}, a {info.type}"
                    )
            owners = {dn_tenant[k] for k in keys}
            if len(owners) > 1:
                raise self.fail(f"{path}.dns", "the DNs of a place belong to one tenant")
            tname = tenant_of(pl.tenant, f"{path}.tenant", next(iter(owners), None))
            name = str(pl.name)
            if name in d.tenants[tname].places:
                raise self.fail(f"{path}.name", f"place {name!r} is defined twice")
            place_tenant[name] = tname
            d.tenants[tname].places[name] = PlaceInfo(name, keys)
        # the places holding each DN, in configuration order (one pass: linear in the places)
        holders_of: dict[tuple[str, str], list[str]] = {}
        for pname, tname in place_tenant.items():
            for key in d.tenants[tname].places[pname].dns:
                found = holders_of.setdefault((tname, key), [])
                if not found or found[-1] != pname:
                    found.append(pname)
        for i, pl in enumerate(cfg.places):
            tname = place_tenant[str(pl.name)]
            for key in d.tenants[tname].places[str(pl.name)].dns:
                holders = holders_of[(tname, key)]
                if len(holders) > 1:
                    raise self.fail(f"places[{i}].dns", f"DN {key} is on places {holders}")

        agent_tenant: dict[str, str] = {}
        for i, ag in enumerate(cfg.agents):
            path = f"agents[{i}]"
            logins: dict[str, str] = {}
            for sw_name, login in ag.login_ids.items():
                if sw_name not in switch_tenant:
                    raise self.fail(
                        f"{path}.loginIds.{sw_name}",
                        f"no switch {sw_name!r}; known switches: {switches_known}",
                    )
                logins[sw_name] = str(login)
            owners = {switch_tenant[k] for k in logins}
            if len(owners) > 1:
                raise self.fail(f"{path}.loginIds", "an agent's switches belong to one tenant")
            tname = tenant_of(ag.tenant, f"{path}.tenant", next(iter(owners), None))
            emp = str(ag.employee_id)
            if emp in d.tenants[tname].agents:
                raise self.fail(f"{path}.employeeId", f"agent {emp!r} is defined twice")
            place = str(ag.place) if ag.place is not None else None
            if place is not None and place not in d.tenants[tname].places:
                raise self.fail(f"{path}.place", f"no place {place!r} in tenant {tname}")
            agent_tenant[emp] = tname
            d.tenants[tname].agents[emp] = AgentInfo(
                emp, ag.user_name, logins, dict(ag.skills), dict(ag.capacity), place
            )
        for model in d.tenants.values():
            seen: dict[tuple[str, str], str] = {}
            for agent in model.agents.values():
                for sw_name, login in agent.login_ids.items():
                    other = seen.get((sw_name, login))
                    if other is not None:
                        i = next(
                            j
                            for j, a in enumerate(cfg.agents)
                            if str(a.employee_id) == agent.employee_id
                        )
                        raise self.fail(
                            f"agents[{i}].loginIds.{sw_name}",
                            f"login id {login} on {sw_name} is also {other}'s",
                        )
                    seen[(sw_name, login)] = agent.employee_id

        switch_names = frozenset(switch_tenant)
        for i, g in enumerate(cfg.agent_groups):
            path = f"agentGroups[{i}]"
            members = tuple(str(a) for a in g.agents)
            for j, m in enumerate(members):
                if m not in agent_tenant:
                    raise self.fail(f"{path}.agents[{j}]", f"no agent with employeeId {m!r}")
            if g.script is not None:
                if members:
                    raise self.fail(f"{path}", "a group has either agents or a script, not both")
                try:
                    compile_group_script(g.script, switch_names)
                except ExprError as exc:
                    raise self.fail(f"{path}.script", str(exc)) from None
            owners = {agent_tenant[m] for m in members}
            tname = tenant_of(g.tenant, f"{path}.tenant", next(iter(owners), None))
            origination = tuple(
                dn_ref(v, f"{path}.originationDNs[{j}]") for j, v in enumerate(g.origination_dns)
            )
            self._add_group(
                d.tenants[tname].agent_groups,
                str(g.name),
                path,
                GroupInfo(str(g.name), members, g.script, origination),
            )
        for i, pg in enumerate(cfg.place_groups):
            path = f"placeGroups[{i}]"
            members = tuple(str(p) for p in pg.places)
            for j, m in enumerate(members):
                if m not in place_tenant:
                    raise self.fail(f"{path}.places[{j}]", f"no place {m!r}")
            tname = tenant_of(
                pg.tenant, f"{path}.tenant", next(iter({place_tenant[m] for m in members}), None)
            )
            self._add_group(
                d.tenants[tname].place_groups, str(pg.name), path, GroupInfo(str(pg.name), members)
            )
        for i, dg in enumerate(cfg.dn_groups):
            path = f"dnGroups[{i}]"
            members = tuple(dn_ref(v, f"{path}.dns[{j}]") for j, v in enumerate(dg.dns))
            tname = tenant_of(
                dg.tenant, f"{path}.tenant", next(iter({dn_tenant[m] for m in members}), None)
            )
            self._add_group(
                d.tenants[tname].dn_groups, str(dg.name), path, GroupInfo(str(dg.name), members)
            )
        for i, sw in enumerate(cfg.switches):
            if sw.source is not None:
                info_src = d.sources[str(sw.source)]
                if info_src.kind is not SourceKind.TSERVER:
                    raise self.fail(
                        f"switches[{i}].source",
                        f"source {info_src.name!r} is an {info_src.kind.value} source, not tserver",
                    )

    def _add_group(
        self, groups: dict[str, GroupInfo], name: str, path: str, info: GroupInfo
    ) -> None:
        if name in groups:
            raise self.fail(f"{path}.name", f"group {name!r} is defined twice")
        groups[name] = info


def _default_media(dn_type: str) -> str:
    return {"Chat": "chat", "Email": "email"}.get(dn_type, "voice")

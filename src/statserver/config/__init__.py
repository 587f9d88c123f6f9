"""Configuration: the YAML file of contracts.md §2 and Genesys option files."""

from statserver.config.genesys import GenesysOptions, parse_genesys_options
from statserver.config.load import LoadedConfig, load_config, load_config_text

__all__ = [
    "GenesysOptions",
    "LoadedConfig",
    "load_config",
    "load_config_text",
    "parse_genesys_options",
]

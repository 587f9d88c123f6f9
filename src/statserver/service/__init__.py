"""The Stat Server service: the engine inside a real server (links, clients, backup)."""

"""The client protocol (contracts.md §3): messages and the sans-I/O session."""

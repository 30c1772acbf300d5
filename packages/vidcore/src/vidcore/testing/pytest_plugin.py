"""pytest plugin (entry point `pytest11: vidcore`): fixtures for testing vidcore plugins."""

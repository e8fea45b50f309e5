"""Settings, database and repositories: the bottom layer every other package may use."""

from data.config import ConfigError, FetchSettings, PipelineSettings, Settings, export_ca_bundle, load_settings
from data.db import create_engine, ensure_reachable, migrate, safe_url, session_factory
from data.models import MediaKind, Platform, Surface
from data.repositories import Repositories

__all__ = [
    "ConfigError", "FetchSettings", "MediaKind", "PipelineSettings", "Platform", "Repositories", "Settings", "Surface",
    "create_engine", "ensure_reachable", "export_ca_bundle", "load_settings", "migrate", "safe_url", "session_factory",
]

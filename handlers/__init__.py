"""aiogram Routers, one module per feature; the Dispatcher that wires them (handlers.dispatcher); the factory
of everything a process holds (handlers.factory); and the runners (handlers.runners)."""

from handlers.dispatcher import COMMANDS, create_dispatcher
from handlers.i18n import LANGUAGES

__all__ = ["COMMANDS", "LANGUAGES", "create_dispatcher"]

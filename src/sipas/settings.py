"""Settings, declared once.

Each setting has a name, a default and a help text (the ``Field`` description). Values come, in
increasing priority, from the defaults, a TOML config file, ``SIPAS_*`` environment variables and
command-line flags. ``sipas settings`` shows the effective values and where each came from.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sipas.errors import SipasError

CONFIG_ENV = "SIPAS_CONFIG"
DEFAULT_CONFIG_NAME = "sipas.toml"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sipas"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIPAS_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the default SQLite database, uploaded evidence and reports.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: a SQLite file sipas.db in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/dbname.",
    )
    lang: Literal["vi", "en"] = Field(default="vi", description="Interface language.")
    seed: int = Field(default=20241, description="Seed for synthetic data and replicate weights.")
    debug: bool = Field(default=False, description="Show tracebacks for unexpected errors.")
    host: str = Field(default="127.0.0.1", description="Address `sipas serve` listens on.")
    port: int = Field(default=8000, description="Port `sipas serve` listens on.")
    secret_key: str | None = Field(
        default=None,
        description="Key that signs session cookies; default: a random key kept in data_dir.",
    )
    service_index_data: Path | None = Field(
        default=None,
        description="Dossier dataset whose service-index (QĐ 766) results the web app shows "
        "(results in its results/ folder); default: the folder dossiers in data_dir, where "
        "`sipas demo` writes its synthetic dossiers.",
    )
    secure_cookies: bool = Field(
        default=True,
        description="Send session cookies over HTTPS only (browsers also allow them on localhost).",
    )

    behind_https: bool = Field(
        default=False,
        description="The app is reached through HTTPS (a proxy in front): send "
        "Strict-Transport-Security so browsers use HTTPS only.",
    )

    report_renders: int = Field(
        default=2,
        ge=1,
        description="Report files (PDF, XLSX) rendered at the same time by one web process; "
        "further requests wait their turn.",
    )
    report_rate: int = Field(
        default=20,
        ge=1,
        description="Report files one client address may download a minute (short bursts "
        "allowed); beyond it the answer is 429 with Retry-After.",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sipas.db'}"

    def resolved_service_index_data(self) -> Path:
        return self.service_index_data or self.data_dir / "dossiers"


SETTING_NAMES = tuple(Settings.model_fields)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SipasError("config.missing", path=path, variable=CONFIG_ENV) from None
    except tomllib.TOMLDecodeError as exc:
        raise SipasError("config.syntax", path=path, error=str(exc)) from None
    section = data.get("sipas", data)
    unknown = sorted(set(section) - set(SETTING_NAMES))
    if unknown:
        raise SipasError(
            "config.unknown_setting", path=path, unknown=unknown, known=list(SETTING_NAMES)
        )
    return dict(section)


def find_config(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Defaults < config file < environment < explicit overrides (flags)."""
    path = find_config(config)
    from_file = _read_config(path) if path else {}
    env_names = {name for name in SETTING_NAMES if f"SIPAS_{name.upper()}" in os.environ}
    # Environment beats the file: pass file values only where no variable is set.
    init = {k: v for k, v in from_file.items() if k not in env_names}
    init.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**init)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise SipasError("config.invalid", setting=field, problem=first["msg"]) from None


def describe_settings(settings: Settings, config: Path | None = None) -> list[dict[str, Any]]:
    """Each setting with its value, help and where the value came from."""
    path = find_config(config)
    from_file = _read_config(path) if path else {}
    rows = []
    for name, field in Settings.model_fields.items():
        if f"SIPAS_{name.upper()}" in os.environ:
            source = f"environment SIPAS_{name.upper()}"
        elif name in from_file:
            source = f"config {path}"
        elif name in settings.model_fields_set:
            source = "flag"
        else:
            source = "default"
        rows.append(
            {
                "name": name,
                "value": str(getattr(settings, name)),
                "source": source,
                "help": field.description or "",
            }
        )
    return rows

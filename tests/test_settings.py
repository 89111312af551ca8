"""Settings: declared once; defaults < config file < environment < flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sipas.errors import SipasError
from sipas.settings import Settings, describe_settings, load_settings


def test_every_setting_has_help() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help text"


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "sipas.toml"
    config.write_text('[sipas]\nlang = "en"\nseed = 5\n', "utf-8")
    assert load_settings(config).seed == 5
    monkeypatch.setenv("SIPAS_SEED", "6")
    assert load_settings(config).seed == 6  # environment beats the file
    assert load_settings(config).lang == "en"  # file beats the default
    assert load_settings(config, seed=7).seed == 7  # a flag beats everything


def test_config_in_working_folder_is_found(tmp_path: Path) -> None:
    (tmp_path / "sipas.toml").write_text('lang = "en"\n', "utf-8")
    assert load_settings().lang == "en"


def test_describe_says_where_values_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('lang = "en"\n', "utf-8")
    monkeypatch.setenv("SIPAS_SEED", "9")
    rows = {r["name"]: r for r in describe_settings(load_settings(config), config)}
    assert rows["lang"]["source"].startswith("config")
    assert rows["seed"]["source"] == "environment SIPAS_SEED"
    assert rows["debug"]["source"] == "default"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ('langg = "en"\n', "config.unknown_setting"),
        ("lang = \n", "config.syntax"),
        ('lang = "fr"\n', "config.invalid"),
    ],
)
def test_bad_config_gives_clear_errors(tmp_path: Path, content: str, code: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content, "utf-8")
    with pytest.raises(SipasError) as caught:
        load_settings(config)
    assert caught.value.code == code
    assert str(config) in caught.value.message or "lang" in caught.value.message


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SipasError) as caught:
        load_settings(tmp_path / "absent.toml")
    assert caught.value.code == "config.missing"


def test_settings_command_lists_sources(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_LANG", "en")
    result = run_cli("settings", "--format", "json")
    assert result.exit_code == 0
    assert '"environment SIPAS_LANG"' in result.output


def test_flag_overrides_environment(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_LANG", "en")
    result = run_cli("--lang", "vi", "settings", "--format", "json")
    assert '"value": "vi"' in result.output

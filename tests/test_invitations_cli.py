"""`sipas invitations create` refuses what it cannot issue, in the user's language, before any
token is made: a sample file without provinces or with a weight that is not a number, no
count, an output file that exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sipas.errors import SipasError


def _sample(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sample.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sample_row_without_province_is_named_by_its_row(run_cli: Any, tmp_path: Path) -> None:
    sample = _sample(tmp_path, "province_code,weight\n01,2\n,1\n")
    out = tmp_path / "tokens.csv"
    result = run_cli("--lang", "vi", "invitations", "create", "--survey", "s", "--sample",
                     str(sample), "-o", str(out))  # fmt: skip
    assert result.exit_code == 1
    assert "sample.csv, dòng 3: không có province_code [invitations.sample_no_province]" in (
        result.stderr
    )
    assert "Mỗi người trong mẫu cần mã tỉnh, thành phố của mình" in result.stderr
    assert not out.exists()


def test_a_sample_weight_that_is_not_a_number_is_refused(run_cli: Any, tmp_path: Path) -> None:
    sample = _sample(tmp_path, "province_code,weight\n01,abc\n")
    result = run_cli("--lang", "en", "invitations", "create", "--survey", "s", "--sample",
                     str(sample), "-o", str(tmp_path / "t.csv"))  # fmt: skip
    assert result.exit_code == 1
    assert "sample.csv, row 2, weight: 'abc' is not a number" in result.stderr


def test_nothing_to_issue_and_an_existing_output_are_refused(run_cli: Any, tmp_path: Path) -> None:
    result = run_cli("--lang", "vi", "invitations", "create", "--survey", "s", "-o",
                     str(tmp_path / "t.csv"))  # fmt: skip
    assert result.exit_code == 1 and "[invitations.what]" in result.stderr
    assert "Cần cho biết bao nhiêu thư mời" in result.stderr
    existing = tmp_path / "old.csv"
    existing.write_text("token\nsecret\n", encoding="utf-8")
    result = run_cli("invitations", "create", "--survey", "s", "--count", "1", "--province",
                     "01", "-o", str(existing))  # fmt: skip
    assert result.exit_code == 1 and "[invitations.output_exists]" in result.stderr
    assert existing.read_text(encoding="utf-8") == "token\nsecret\n"  # never overwritten


def test_invitation_errors_carry_their_values() -> None:
    error = SipasError("invitations.too_many", count=20_000, limit=10_000)
    assert error.text("vi") == ("Yêu cầu 20.000 thư mời; mỗi lần tối đa 10.000",
                                "Hãy tạo thành nhiều lần")  # fmt: skip
    assert error.message == "20,000 invitations asked for; at most 10,000 at a time"


@pytest.mark.parametrize("days", [0, 400])
def test_an_expiry_outside_a_year_is_refused(days: int) -> None:
    from sipas.api import invitations

    with pytest.raises(SipasError) as refused:
        invitations.create_invitations(None, "s", [invitations.Sampled("01")], days)  # type: ignore[arg-type]
    assert refused.value.code == "invitations.bad_expiry"
    assert refused.value.values == {"days": days}
    assert refused.value.text("vi")[0].endswith(f"(đã cho {days})")

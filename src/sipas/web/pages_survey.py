"""Survey pages: the respondent's form reached by a one-time invitation, and the clerk's entry
of paper questionnaires."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

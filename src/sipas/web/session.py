"""The name of the session cookie, shared by the app factory and the pages that look for it."""

SESSION_COOKIE = "sipas_session"

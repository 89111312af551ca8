"""The one orchestration surface that the CLI, the web app and reports call.

Functions here take plain arguments and return plain data (dicts, lists, bytes) so that every
caller — a command, a page, its JSON twin, a notebook — gets the same answer.
"""

"""Read models: what the web pages, the reports and their JSON twins show, computed from stored
data and never writing it (``tests/test_layers.py`` checks that no query opens a write
transaction, calls a writing store function or imports a command module).

The rest of :mod:`sipas.api` holds the commands the CLI mirrors one for one.
"""

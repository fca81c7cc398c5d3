"""``obscode import``: existing Prometheus, Alertmanager and Grafana files turned into a
readable stack package (``stacks/<name>/``) that ``obscode generate`` compiles back to
semantically equal output.

One module per input kind (:mod:`.rules`, :mod:`.alertmanager`, :mod:`.scrape`,
:mod:`.dashboards`), each reading its files into validated obscode models and writing the
Python a person would write; :mod:`.package` composes the modules into a stack package and
writes them all or none; :mod:`.roundtrip` compares generated output with the input.
"""

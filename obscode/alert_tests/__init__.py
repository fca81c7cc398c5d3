"""Alert tests: the typed AlertTests of a stack (obscode.model.alert_tests), the tests obscode
synthesises from the catalog for alerts of simple shapes (:mod:`.synthesis`), their promtool
files (written by obscode.emit.prometheus) and the runner that gives them to
``promtool test rules`` (:mod:`.run`). See docs/alert-tests.md."""

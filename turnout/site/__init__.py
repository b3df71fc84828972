"""Composition: the one package that may import every app (demo data, the dashboard, the
demo/serve/worker commands, test helpers). Nothing imports it but tests."""

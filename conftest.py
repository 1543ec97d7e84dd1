"""Root conftest: puts this checkout first on sys.path, so tests import its sklik."""

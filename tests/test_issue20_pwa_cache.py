"""/sw.js hashes the app shell's files once per process, not on every request (a review
finding of issue 20); the script served stays the same."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from nrs.web import pwa

pytestmark = pytest.mark.django_db


def test_the_shell_is_hashed_once_per_process() -> None:
    clear = getattr(pwa._shell, "cache_clear", None)
    if clear is not None:
        clear()
    with mock.patch.object(pwa.finders, "find", wraps=finders.find) as find:
        first = Client().get("/sw.js")
        read = shell_files(find)
        second = Client().get("/sw.js")
    assert read == sorted(pwa.SHELL)  # each shell file found (and read) once
    assert shell_files(find) == read  # the second request reads none again
    assert first.status_code == second.status_code == 200
    assert second.content == first.content


def shell_files(find: mock.MagicMock) -> list[str]:
    """The shell's files looked up so far (the static storage may look up others)."""
    return sorted(c.args[0] for c in find.call_args_list if c.args and c.args[0] in pwa.SHELL)

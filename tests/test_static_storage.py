"""Static files under a lenient manifest: a page never links a hashed copy that is not there
(issue 20: after an upgrade, an old collection without hashed copies left pages unstyled)."""

from pathlib import Path

from nrs.web.storage import StaticStorage


def test_an_old_plain_collection_is_served_under_the_plain_name(tmp_path: Path) -> None:
    (tmp_path / "nrs").mkdir()
    (tmp_path / "nrs" / "nrs.css").write_text("body{}", encoding="utf-8")  # collected before hashing
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    assert storage.stored_name("nrs/nrs.css") == "nrs/nrs.css"
    assert storage.url("nrs/nrs.css") == "/static/nrs/nrs.css"


def test_a_name_never_collected_is_served_under_its_own_name(tmp_path: Path) -> None:
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    assert storage.stored_name("nrs/site.js") == "nrs/site.js"

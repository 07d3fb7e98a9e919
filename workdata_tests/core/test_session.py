from datetime import UTC, datetime

from workdata.core.session import is_session_id, new_session_id


def test_session_id_shape():
    moment = datetime(2024, 11, 30, 10, 15, tzinfo=UTC)
    assert new_session_id(moment, "ABCDEF12") == "etl_20241130_101500_abcdef"
    assert is_session_id(new_session_id())
    assert not is_session_id("../../etc/passwd")

from __future__ import annotations

from services.gateway.edge.http_io import PageRequest, page_body


def test_middle_page_has_both_neighbours() -> None:
    body = page_body([], total=45, page=PageRequest(page=2, limit=20))
    assert body["totalPages"] == 3
    assert (body["hasPrevPage"], body["hasNextPage"]) == (True, True)
    assert (body["prevPage"], body["nextPage"]) == (1, 3)


def test_empty_result_is_one_empty_page() -> None:
    body = page_body([], total=0, page=PageRequest(page=1, limit=20))
    assert body["totalDocs"] == 0
    assert body["totalPages"] == 1
    assert not body["hasNextPage"]
    assert body["nextPage"] is None


def test_a_page_past_the_end_points_back_to_the_last_page() -> None:
    body = page_body([], total=45, page=PageRequest(page=9, limit=20))
    assert (body["hasPrevPage"], body["prevPage"]) == (True, 3)
    assert (body["hasNextPage"], body["nextPage"]) == (False, None)


def test_offset_follows_page_and_limit() -> None:
    assert PageRequest(page=3, limit=25).offset == 50

"""differences: what an existing document lacks of the wanted one."""

from __future__ import annotations

from pmcp_action.trust.model import differences


def test_the_same_document_has_no_differences_and_extra_keys_are_kept() -> None:
    want = {"Version": "1", "Statement": [{"Action": ["a", "b"]}]}
    have = {"Version": "1", "Statement": [{"Action": ["a", "b"]}], "Id": "x"}

    assert differences(have, want) == []


def test_a_missing_key_a_changed_value_and_a_missing_item_are_named() -> None:
    want = {"Version": "2", "Tags": ["t"], "Name": "n"}
    have = {"Version": "1", "Tags": []}

    assert differences(have, want) == [
        'Version is "1", wanted "2"',
        'Tags lacks "t"',
        'Name is missing (wanted "n")',
    ]

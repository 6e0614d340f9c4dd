from __future__ import annotations

from shared.domain.api_keys import generate_key, hash_secret, parse_key, secret_matches


def test_generated_key_has_documented_shape_and_parses_back() -> None:
    key = generate_key("test")
    assert key.token.startswith(f"pe_test_{key.prefix}_")
    parsed = parse_key(key.token)
    assert parsed is not None
    assert parsed.prefix == key.prefix
    assert secret_matches(parsed, key.secret_hash)


def test_only_a_hash_of_the_secret_is_kept() -> None:
    key = generate_key("live")
    parsed = parse_key(key.token)
    assert parsed is not None
    assert key.secret_hash == hash_secret(parsed.secret)
    assert parsed.secret.encode() not in key.secret_hash


def test_one_changed_character_breaks_the_checksum() -> None:
    token = generate_key().token
    position = len("pe_test_12345678_") + 3
    swapped = "a" if token[position] != "a" else "b"
    assert parse_key(token[:position] + swapped + token[position + 1 :]) is None


def test_malformed_keys_are_refused() -> None:
    for token in ("", "pe_test_your_prefix_your_secret", "sk_live_abc", "pe_prod_x_y"):
        assert parse_key(token) is None


def test_wrong_secret_does_not_match() -> None:
    first, second = generate_key(), generate_key()
    parsed = parse_key(first.token)
    assert parsed is not None
    assert not secret_matches(parsed, second.secret_hash)

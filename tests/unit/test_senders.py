"""Each sender's knowledge sits in its own module, and the rules an integration must follow
come from there."""

from __future__ import annotations

from typing import get_args

import pytest
from standardwebhooks.webhooks import Webhook

from shared.adapters import integrations
from shared.adapters.integrations import SOURCES, InvalidIntegration, Source
from shared.domain import senders
from shared.domain.senders import strapi


def test_every_source_an_integration_may_name_has_a_sender() -> None:
    assert set(senders.SENDERS) == set(SOURCES) == set(get_args(Source))


def test_a_verification_the_sender_cannot_do_is_refused_with_the_defaults_problems() -> None:
    body = {
        "name": "cms",
        "source": "strapi",
        "channelId": 1,
        "verification": "signature",
        "defaults": {"timezone": "Mars/Olympus"},
    }
    with pytest.raises(InvalidIntegration) as refused:
        integrations.validate_spec(body)
    assert [(p.path, p.code) for p in refused.value.problems] == [
        ("verification", "unsupported"),
        ("defaults.timezone", "unknown_timezone"),
    ]


def test_the_default_verification_is_the_best_the_sender_supports() -> None:
    for source, expected in (("wordpress", "signature"), ("strapi", "token")):
        spec = integrations.validate_spec({"name": "cms", "source": source, "channelId": 1})
        assert senders.verification_of(spec.source, spec.verification) == expected


def test_standard_webhooks_secrets_take_the_form_its_library_reads() -> None:
    secret = senders.new_secret("standard")
    assert secret.startswith("whsec_")
    Webhook(secret)  # raises on a secret the reference library cannot decode
    assert not senders.new_secret("generic").startswith("whsec_")


def test_strapis_trigger_button_is_a_verified_test_with_nothing_to_apply() -> None:
    # The admin panel's Trigger sends {"event": "trigger-test", ...}: no entry, not unreadable.
    delivery = strapi.read({}, {}, {"event": "trigger-test", "createdAt": "2026-12-03T16:00:00Z"})
    assert delivery.skip_reason is not None
    assert "Trigger" in delivery.skip_reason

"""The developer portal in a real browser (Debian's chromium driven by playwright-core): an
operator creates an account with `pinned accounts create`; its owner follows the invitation,
sets a password, signs in, completes setup, creates a key (its secret once, not after a
reload) and a Strapi integration, pastes a sample delivery and sees the live preview follow
the mapping as it is typed, sends the delivery with curl and finds it in the deliveries list;
a form posted without its CSRF token is refused. Screenshots:
test-output/browser/portal/."""

from __future__ import annotations

import json
import uuid

from devstack.stack import Servers, ServiceProcess
from tests.browser_runner import run_scenario
from tests.integration.portal_support import PASSWORD
from tests.integration.test_key_cli import pinned


async def test_a_new_customer_reaches_a_working_integration_in_the_portal(
    stack: Servers, services: dict[str, ServiceProcess]
) -> None:
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    gateway = services["gateway"].url
    created = pinned(stack, "accounts", "create", "--name", "Riverside", "--owner-email", email)
    assert created.returncode == 0, created.stderr
    invitation = json.loads(created.stdout)["invitationLink"]
    output = await run_scenario(
        "portal",
        {
            "gatewayUrl": gateway,
            # The link as printed, on the test stack's gateway.
            "invitationUrl": gateway + invitation[invitation.index("/developers") :],
            "email": email,
            "password": PASSWORD,
            "marker": uuid.uuid4().hex[:8],
        },
    )
    assert "scenario portal: passed" in output
    assert output.count("screenshot ") == 14

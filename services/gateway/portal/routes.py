"""The portal's table: every page, one row each (`routing.Page`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from services.gateway.portal import (
    account_data_pages,
    account_pages,
    delivery_pages,
    integration_pages,
    key_pages,
    operations_pages,
)
from services.gateway.portal.routing import Page, portal_routes

PAGES: tuple[Page, ...] = (
    *account_pages.PAGES,
    *key_pages.PAGES,
    *account_data_pages.PAGES,
    *integration_pages.PAGES,
    *delivery_pages.PAGES,
    *operations_pages.PAGES,
)


def routes() -> list[BaseRoute]:
    return portal_routes(PAGES)

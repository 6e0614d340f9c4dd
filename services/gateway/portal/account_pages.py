"""Signing in and out, setting a password from an invitation, changing it, and the account's
setup on its owner's first sign-in.

Sign-in goes through the shared sign-in guard (attempt limits per IP and per address, lockout
after a run of wrong passwords) and always starts a new session: whatever session the browser
held before is ended, so a session fixed in a browser beforehand is worth nothing. A new
password ends every session of its user, and the browser that set it gets a fresh one.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from services.gateway.portal.forms import (
    FormInvalid,
    InvitationForm,
    PasswordForm,
    SetupForm,
    SignInForm,
    parsed,
)
from services.gateway.portal.routing import Page, Redirect, forged_form
from services.gateway.portal.visits import (
    PORTAL,
    SESSION_COOKIE,
    Visit,
    clear_session_cookie,
    set_session_cookie,
)
from shared.adapters import accounts, sign_in
from shared.domain.passwords import PASSWORD_MIN_LENGTH, email_key
from shared.domain.tokens import (
    INVITATION_PREFIX,
    csrf_token,
    new_form_token,
    same_secret,
    well_formed,
)
from shared.runtime.browser_security import clear_secret_cookie, safe_next, set_secret_cookie

SIGNIN_CSRF_COOKIE = "pinned_portal_csrf"
INVITATION_COOKIE = "pinned_portal_invitation"
_INVITATION_PATH = f"{PORTAL}/invitation"
_INVITATION_PURPOSE = b"pinned-portal-invitation"
NOTICES = {
    "password-set": "Your password is set: sign in with it.",
    "signed-out": "You are signed out.",
}


async def home(visit: Visit) -> Response:
    viewer = visit.viewer
    if viewer is None:
        raise Redirect(f"{PORTAL}/signin")
    raise Redirect(f"{PORTAL}/keys" if viewer.account else f"{PORTAL}/operations/dead-letters")


async def signin_page(visit: Visit) -> Response:
    """Shown signed in too (to sign in as someone else): a sign-in always starts afresh."""
    return _signin_form(visit)


def _signin_form(
    visit: Visit, error: FormInvalid | sign_in.SignInRefused | None = None, status: int = 200
) -> Response:
    request = visit.request
    token = request.cookies.get(SIGNIN_CSRF_COOKIE) or new_form_token()
    notice = NOTICES.get(request.query_params.get("done", ""))
    context = {
        "csrf": token,
        "signed_in_as": visit.viewer.session.email if visit.viewer else None,
        "next": _next(request.query_params.get("next") or visit.field("next")),
        "email": visit.field("email"),
        "error": error,
        "notice": notice,
    }
    response = visit.pages.render("signin.html", context, status=status)
    set_secret_cookie(request, response, SIGNIN_CSRF_COOKIE, token, path=PORTAL, samesite="strict")
    return response


async def signin(visit: Visit) -> Response:
    request, gateway = visit.request, visit.gateway
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    if not expected or not same_secret(visit.field("csrf"), expected):
        raise forged_form()
    try:
        form = parsed(SignInForm, visit)
        user_id = await gateway.sign_in.check(
            email_key(form.email), form.password, visit.client_ip, _failed(visit)
        )
        if not await gateway.portal.account_active(user_id):
            raise sign_in.SignInRefused("This account is disabled; ask the operator why.")
    except sign_in.TooManyAttempts as exc:
        return _with_headers(_signin_form(visit, exc, 429), exc.headers)
    except sign_in.LockedOut as exc:
        retry = {"Retry-After": str(exc.retry_after_seconds)}
        return _with_headers(_signin_form(visit, exc, 429), retry)
    except (FormInvalid, sign_in.SignInRefused) as exc:
        return _signin_form(visit, exc, 401 if isinstance(exc, sign_in.SignInRefused) else 422)
    user = await gateway.portal.user(user_id)
    await _audit(visit, user, "signed_in")
    return await _signed_in(visit, user_id, _next(visit.field("next")))


def _failed(visit: Visit) -> sign_in.WrongPasswordHook:
    async def heard(user_id: int) -> None:
        user = await visit.gateway.portal.user(user_id)
        await _audit(visit, user, "signin_failed")

    return heard


async def _signed_in(visit: Visit, user_id: int, target: str) -> Response:
    """A new session for the user; the one the browser held (if any) ends."""
    request, gateway = visit.request, visit.gateway
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await gateway.portal.end_session(old)
    hours = gateway.settings.portal.session_hours
    token = await gateway.portal.new_session(user_id, hours, request.headers.get("user-agent"))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token, hours)
    clear_secret_cookie(response, SIGNIN_CSRF_COOKIE, path=PORTAL)
    return response


async def signout(visit: Visit) -> Response:
    token = visit.request.cookies.get(SESSION_COOKIE)
    if token:
        await visit.gateway.portal.end_session(token)
    response = RedirectResponse(f"{PORTAL}/signin?done=signed-out", status_code=303)
    clear_session_cookie(response)
    return response


async def invitation_link(visit: Visit) -> Response:
    """The link in the e-mail: keep its token in a cookie and move to an address without it,
    so the token stays out of the history, the Referer and the audit log's paths."""
    request = visit.request
    token = request.query_params.get("token", "")
    if not token:
        return await _invitation_form(visit)
    response = RedirectResponse(_INVITATION_PATH, status_code=303)
    if well_formed(token, INVITATION_PREFIX):
        set_secret_cookie(request, response, INVITATION_COOKIE, token, max_age=3600,
                          path=_INVITATION_PATH)  # fmt: skip
    return response


async def _invitation_form(
    visit: Visit, error: FormInvalid | None = None, status: int = 200
) -> Response:
    token = visit.request.cookies.get(INVITATION_COOKIE, "")
    try:
        invited = await visit.gateway.portal.invited_user(token) if token else None
    except accounts.InvitationInvalid:
        invited = None
    if invited is None:
        return visit.pages.render("invitation_invalid.html", {"viewer": None}, status=404)
    context = {
        "invited": invited,
        "csrf": csrf_token(token, _INVITATION_PURPOSE),
        "display_name": visit.field("displayName"),
        "min_password": PASSWORD_MIN_LENGTH,
        "error": error,
    }
    return visit.pages.render("invitation.html", context, status=status)


async def accept_invitation(visit: Visit) -> Response:
    token = visit.request.cookies.get(INVITATION_COOKIE, "")
    if not token or not same_secret(visit.field("csrf"), csrf_token(token, _INVITATION_PURPOSE)):
        raise forged_form()
    try:
        form = parsed(InvitationForm, visit).matching()
    except FormInvalid as exc:
        return await _invitation_form(visit, exc, 422)
    hashed = await visit.gateway.passwords.hash(form.password)
    try:
        await visit.gateway.portal.accept_invitation(token, hashed, form.displayName)
    except accounts.InvitationInvalid:
        return visit.pages.render("invitation_invalid.html", {"viewer": None}, status=404)
    response = RedirectResponse(f"{PORTAL}/signin?done=password-set", status_code=303)
    clear_secret_cookie(response, INVITATION_COOKIE, path=_INVITATION_PATH)
    return response


async def setup_page(visit: Visit, error: FormInvalid | None = None, status: int = 200) -> Response:
    viewer = visit.me
    if viewer.session.account_id is None or viewer.session.account_set_up:
        raise Redirect(PORTAL)
    account = await visit.gateway.portal.account(viewer.account_id)
    context = {
        "viewer": viewer,
        "name": visit.field("name") or account["name"],
        "channel_name": visit.field("channelName"),
        "needs_channel": await visit.gateway.portal.needs_channel(viewer.account_id),
        "error": error,
    }
    return visit.pages.render("setup.html", context, status=status)


async def complete_setup(visit: Visit) -> Response:
    viewer = visit.me
    if viewer.session.account_id is None:
        raise Redirect(PORTAL)
    try:
        form = parsed(SetupForm, visit)
        needs_channel = await visit.gateway.portal.needs_channel(viewer.account_id)
        if needs_channel and not form.channelName:
            raise FormInvalid("Name the first channel.", [])
    except FormInvalid as exc:
        return await setup_page(visit, exc, 422)
    await visit.gateway.portal.complete_setup(
        viewer.account_id, form.name, form.channelName, viewer.session.actor
    )
    raise Redirect(f"{PORTAL}/keys")


async def password_page(
    visit: Visit, error: FormInvalid | sign_in.SignInRefused | None = None, status: int = 200
) -> Response:
    context = {"viewer": visit.me, "min_password": PASSWORD_MIN_LENGTH, "error": error}
    return visit.pages.render("password.html", context, status=status)


async def change_password(visit: Visit) -> Response:
    viewer, gateway = visit.me, visit.gateway
    try:
        form = parsed(PasswordForm, visit).matching()
        # The current password is checked like a sign-in: a stolen session cannot guess it.
        await gateway.sign_in.check(
            email_key(viewer.session.email), visit.field("current"), visit.client_ip
        )
    except (FormInvalid, sign_in.SignInRefused) as exc:
        return await password_page(visit, exc, 422)
    await gateway.portal.change_password(
        viewer.session.user_id, await gateway.passwords.hash(form.password)
    )
    user = await gateway.portal.user(viewer.session.user_id)
    await _audit(visit, user, "password_changed")
    return await _signed_in(visit, viewer.session.user_id, f"{PORTAL}/keys?done=password-changed")


async def _audit(visit: Visit, user: dict[str, object], action: str) -> None:
    account = user["account_id"]
    await visit.gateway.portal.audit(
        account if isinstance(account, int) else None,
        int(str(user["id"])),
        action,
        f"portal:{user['email']}",
        visit.request_id,
        visit.client_ip,
    )


def _next(raw: str | None) -> str:
    return safe_next(raw, PORTAL, within=PORTAL)


def _with_headers(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


PAGES = (
    Page("GET", PORTAL, home, access="anyone"),
    Page("GET", f"{PORTAL}/signin", signin_page, access="anyone"),
    Page("POST", f"{PORTAL}/signin", signin, access="anyone"),
    Page("POST", f"{PORTAL}/signout", signout, access="signed_in"),
    Page("GET", _INVITATION_PATH, invitation_link, access="anyone"),
    Page("POST", _INVITATION_PATH, accept_invitation, access="anyone"),
    Page("GET", f"{PORTAL}/setup", setup_page, access="signed_in"),
    Page("POST", f"{PORTAL}/setup", complete_setup, access="signed_in"),
    Page("GET", f"{PORTAL}/password", password_page, access="signed_in"),
    Page("POST", f"{PORTAL}/password", change_password, access="signed_in"),
)

"""Sign-in in the browser: anonymous pages go to the sign-in form; a signed-in user sees their
name, creates an API token on the tokens page (shown once) and it works on the API."""

import re
from typing import Any

from playwright.sync_api import expect


def test_anonymous_browsers_sign_in_first(browser: Any, server: str) -> None:
    context = browser.new_context(base_url=server)
    try:
        page = context.new_page()
        page.goto("/deployments")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fdeployments"))
        page.get_by_test_id("login-name").fill("e2e-admin")
        page.get_by_test_id("login-password").fill("wrong password")
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("login-error")).to_be_visible()
        api = context.request.get("/api/v1/experiments")  # the real server's API: 401
        assert api.status == 401
        assert api.headers["www-authenticate"] == "Bearer"
        revoked = context.request.get("/api/v1/me", headers={"Authorization": "Bearer tl_nope"})
        assert revoked.status == 401
    finally:
        context.close()


def test_tokens_page_shows_a_new_token_once(page: Any, shot: Any) -> None:
    page.goto("/account/tokens")
    expect(page.get_by_test_id("user-name")).to_have_text("e2e-admin")
    page.get_by_test_id("token-name").fill("notebook")
    page.get_by_test_id("token-scope").select_option("read")
    page.get_by_test_id("token-submit").click()
    token = page.get_by_test_id("token-secret").inner_text().strip()
    assert token.startswith("tl_")
    shot("tokens")
    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["scope"] == "read"
    page.goto("/account/tokens")
    expect(page.get_by_test_id(f"token-{token[:8]}")).to_be_visible()
    assert token not in page.content()

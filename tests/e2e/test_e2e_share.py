"""The sharing dialog of a resource page (both languages): open it, share with a named user,
see it saved and the access changed; the share page itself still works."""

from typing import Any

import pytest
from e2e_api import ok
from playwright.sync_api import expect

SAVED = {"en": "Saved", "ko": "저장했습니다"}
TITLE = {"en": "Sharing", "ko": "공유"}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_sharing_from_the_resource_page_dialog(page: Any, shot: Any, lang: str) -> None:
    name, friend = f"share-dialog-{lang}", f"friend-{lang}"
    ok(page.request.post("/api/v1/registry", data={"name": name}))
    ok(page.request.post("/api/v1/users", data={"name": friend, "role": "viewer"}))

    page.goto(f"/registry/{name}?lang={lang}")
    modal = page.get_by_test_id("share-modal")
    expect(modal).to_be_hidden()
    page.get_by_test_id("share-open").click()
    expect(modal).to_be_visible()
    expect(modal).to_contain_text(TITLE[lang])
    expect(modal.get_by_test_id("share-owner")).to_have_text("e2e-admin")
    modal.get_by_test_id("share-users").fill(f"{friend} read")
    modal.get_by_test_id("share-visibility").select_option("private")
    modal.get_by_test_id("share-submit").click()
    expect(modal.get_by_test_id("share-saved")).to_contain_text(SAVED[lang])
    expect(modal.get_by_test_id("share-users")).to_have_value(f"{friend} read\n")
    shot(f"share-dialog-{lang}")
    access = ok(page.request.get(f"/api/v1/access/registered_model/{name}"))
    assert access["shares"] == {friend: "read"}
    page.get_by_test_id("share-close").click()
    expect(modal).to_be_hidden()
    assert page.url.endswith(f"/registry/{name}?lang={lang}")  # never left the page

    page.goto(f"/share/registered_model/{name}?lang={lang}")  # the page without the dialog
    expect(page.get_by_test_id("share-users")).to_have_value(f"{friend} read\n")

"""The admin pages' shells and their shared assets, served from the package."""

from __future__ import annotations

import pytest

from shared.api.admin_pages import STATIC

SHELLS = {
    "/admin": "console.html",
    "/admin/llm-config": "llm_config.html",
    "/admin/evaluation": "evaluation.html",
    "/signin": "signin.html",
    "/signin/callback": "signin_callback.html",
}


@pytest.mark.parametrize(("path", "name"), SHELLS.items())
def test_a_shell_is_the_packaged_html_and_is_revalidated(client, path, name):
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == (STATIC / name).read_text(encoding="utf-8")
    assert response.headers["cache-control"] == "no-cache"
    # The shell loads the shared look and token code rather than carrying its own copies.
    assert '<link rel="stylesheet" href="/admin/assets/admin.css">' in response.text
    assert "sessionStorage" not in response.text


def test_assets_are_served_as_modules_and_stylesheets(client):
    script = client.get("/admin/assets/client.js")
    assert script.status_code == 200
    assert script.headers["content-type"].split(";")[0] in {
        "text/javascript",
        "application/javascript",
    }
    assert "export async function api(" in script.text
    style = client.get("/admin/assets/admin.css")
    assert (style.status_code, style.headers["content-type"].split(";")[0]) == (200, "text/css")


@pytest.mark.parametrize("path", ["/admin/assets/../llm_config.py", "/admin/assets/%2e%2e/db.py"])
def test_assets_stay_inside_their_folder(client, path):
    assert client.get(path).status_code == 404


def test_an_unknown_asset_is_a_404(client):
    assert client.get("/admin/assets/nope.js").status_code == 404

"""axe-core (through axe-playwright-python) on a live page: the serious and critical
violations, each as one readable line, so a test can assert the list is empty."""

from __future__ import annotations

BLOCKING = {"serious", "critical"}


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]

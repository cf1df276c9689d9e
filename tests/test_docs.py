"""The docs hold together: the site builds with --strict, docs/cli.md is what the parser says,
and every relative link in README.md points at a file that exists."""

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_site_builds_strict(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip('mkdocs-material is not installed: python -m pip install -e ".[docs]"')
    import yaml  # mkdocs's own dependency
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site"
    pages = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    assert {"index.md", "python-api.md"} <= set(pages), pages  # python-api.md sits in a section: the walk reaches nested entries
    missing = [page for page in pages if not (site / _built_path(page)).is_file()]
    assert not missing, f"nav pages with no built HTML: {missing}"

    # The Python API page's example survives the build: its load_champion call is in the page's text.
    examples = "".join(re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "python-api.md").read_text(), flags=re.S))
    calls = [line.strip() for line in examples.splitlines() if "load_champion(" in line]
    assert calls, "docs/python-api.md's examples no longer call load_champion"
    built = html.unescape(re.sub(r"<[^>]+>", "", (site / _built_path("python-api.md")).read_text()))
    assert all(call in built for call in calls), f"{calls} not in the built Python API page"


def _nav_pages(nav) -> list[str]:
    """The Markdown files a mkdocs nav names, in order, sections flattened."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return [page for entry in nav for page in _nav_pages(entry)]


def _built_path(page: str) -> str:
    """Where mkdocs (directory URLs, its default) writes ``page``: index.md -> index.html, a.md -> a/index.html."""
    stem = page.removesuffix(".md")
    return "index.html" if stem == "index" else f"{stem}/index.html"


def test_cli_reference_matches_the_parser():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from eve_arena.cli import build_parser

    written = (ROOT / "docs" / "cli.md").read_text()
    assert written == module.reference(build_parser()), "docs/cli.md is stale: run `python scripts/cli_reference.py`"


def _relative_links(markdown: str) -> list[str]:
    """Targets of Markdown links and images that are not URLs or in-page anchors, anchors dropped."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)  # a code block's brackets are not links
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose)
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_readme_relative_links_exist():
    links = _relative_links((ROOT / "README.md").read_text())
    assert links, "README.md has no relative links: the link pattern is broken"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"

"""Every code block of the documentation runs: no example in docs/ can rot.

Each page runs in a fresh directory, its blocks in order, in one Python process per page
(``python tests/test_docs.py STEPS.json`` is the driver), which imports the installed libraries
the page's code imports once, before its first command, and runs its ``pytest`` and ``python -m
pytest_clearstone`` commands (after any ``env -u NAME`` or ``NAME=value``) in itself. A
```python block is executed; the HTML comment on the line before a block can change that:

``<!-- docs-test: file PATH -->``
    write the block to PATH (a module the next blocks import, a test file, an ini file). Writing
    a ``.py`` file again forgets the module, so the next import sees the new version.
``<!-- docs-test: run -->`` / ``<!-- docs-test: run exit=1 input=p self.memory\nq -->``
    run the shell commands of a ```bash block (``pytest``, ``python -m pytest_clearstone``); the
    last must exit with that status, the others with 0. ``input=`` (last, to the end of the
    comment, ``\n`` for newlines) is fed to stdin; without it stdin is empty.
``<!-- docs-test: output -->``
    the block's lines must appear, in order, in the output of the previous block (a command's
    output, or what a Python block printed); ``...`` inside a line matches anything, runs of
    spaces compare as one and rules of ``=`` compare equal whatever their width.
``<!-- docs-test: with-files DIR -->``
    copy the files of DIR (relative to the repository) into the page's directory, then run the
    ```python block (for pages about files the reader already has, such as other tools' files).
``<!-- docs-test: skip -->``
    not run: only for fragments that cannot run alone (kept rare, see the test below).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.machinery
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from unittest import mock

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_DIRECTIVE = re.compile(r"^<!--\s*docs-test:\s*(.*?)\s*-->$")
_FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)")
_KINDS = ("python", "file", "run", "output", "skip", "with-files")
MAX_SKIPPED = 6


@dataclass
class Step:
    kind: str  # one of _KINDS
    line: int  # line of the opening fence, 1-based
    lang: str
    code: str
    arg: str = ""


def parse(text: str, page: str = "<page>") -> list[Step]:
    """The steps of a page: its fenced blocks with their directives."""
    steps: list[Step] = []
    lines = text.splitlines()
    i = 0
    directive: tuple[str, int] | None = None
    while i < len(lines):
        stripped = lines[i].strip()
        found = _DIRECTIVE.match(stripped)
        if found:
            directive = (found.group(1), i + 1)
            i += 1
            continue
        fence = _FENCE.match(lines[i])
        if not fence:
            if stripped and directive is not None:
                raise ValueError(f"{page}:{directive[1]}: a docs-test directive must come "
                                 f"right before a code block")  # fmt: skip
            i += 1
            continue
        indent, lang = fence.group(1), fence.group(2)
        body: list[str] = []
        start = i + 1
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1  # the closing fence
        code = "\n".join(body) + "\n"
        if directive is None:
            if lang == "python":
                steps.append(Step("python", start, lang, code))
            continue
        words, where = directive[0].split(), directive[1]
        directive = None
        if not words or words[0] not in _KINDS:
            raise ValueError(f"{page}:{where}: unknown docs-test directive {' '.join(words)!r}")
        kind, arg = words[0], " ".join(words[1:])
        if kind in ("file", "with-files") and not arg:
            raise ValueError(f"{page}:{where}: the docs-test directive {kind!r} needs a path")
        steps.append(Step(kind, start, lang, code, arg))
    return steps


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


# -- the driver: runs one page's steps in this process -----------------------------------------
def _normal(line: str) -> str:
    """Whitespace runs as one space, rules of ``=`` as ``===`` (their width varies)."""
    return re.sub(r"={3,}", "===", " ".join(line.split()))


def _expect(expected: str, actual: str) -> str | None:
    """``None`` when every expected line appears in ``actual`` in order, else what is missing."""
    actual_lines = [_normal(line) for line in actual.splitlines()]
    position = 0
    for want in expected.splitlines():
        want = _normal(want)
        if not want or want == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("...")))
        for index in range(position, len(actual_lines)):
            if pattern.fullmatch(actual_lines[index]):
                position = index + 1
                break
        else:
            return f"expected line not found (in order): {want!r}"
    return None


def _commands(code: str) -> list[str]:
    commands, current = [], ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if line.startswith("$ "):
            line = line[2:]
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        commands.append(current + line)
        current = ""
    return commands


def _forget_module(path: Path, workdir: Path) -> None:
    if path.suffix != ".py":
        return
    rel = path.resolve().relative_to(workdir.resolve()).with_suffix("")
    name = ".".join(p for p in rel.parts if p != "__init__")
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


_SHELL_SYNTAX = set("|&;<>$`*?(){}~")


def _in_process(call: Callable[[], object], environment: dict[str, str | None]) -> tuple[int, str]:
    """Run ``call`` with stdout and stderr captured and ``environment`` set in ``os.environ``
    (``None``: unset) until it returns, then forget the modules it imported but installed
    libraries' (as the inner runs of the tests keep them: ``tests/inner_runs.py``), extension
    modules, the packages holding them and the standard library: a second instance of an
    extension module is not always safe (orjson 3.12 and 3.13 made a second module share the
    first one's exception types without a reference of its own: freed twice at exit, a
    segmentation fault on Python 3.13)."""
    from tests.inner_runs import installed_library

    modules, path = set(sys.modules), list(sys.path)
    buffer = io.StringIO()
    try:
        with (
            mock.patch.dict(os.environ),
            contextlib.redirect_stdout(buffer),
            contextlib.redirect_stderr(buffer),
        ):
            for name, value in environment.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            try:
                code = call()
            except SystemExit as exc:
                code = exc.code
    finally:
        new = set(sys.modules) - modules
        extension = importlib.machinery.ExtensionFileLoader
        kept = {
            n for n in new if isinstance(getattr(sys.modules[n], "__loader__", None), extension)
        }
        # the packages above a kept one (rpds's __init__, imported again without its extension
        # submodule's import setting the package attribute, fails with NameError), and the
        # standard library (a second asyncio has other CancelledError and Future classes than
        # the _asyncio kept: anyio's cancel scopes then fail)
        kept |= {".".join(n.split(".")[:i]) for n in kept for i in range(1, n.count(".") + 1)}
        # and the whole package holding one: an extension may keep the classes of the package's
        # modules it was first given (cryptography's Rust bindings check the hash algorithm of
        # mcp 2's MCPServer against the first hashes.HashAlgorithm: "Expected instance of
        # hashes.HashAlgorithm" in the next run, the module imported again)
        holding = {n.partition(".")[0] for n in kept}
        kept |= {n for n in new if n.partition(".")[0] in holding}
        kept |= {n for n in new if n.partition(".")[0] in sys.stdlib_module_names}
        kept |= {n for n in new if installed_library(n)}
        for name in new - kept:
            del sys.modules[name]
        sys.path[:] = path
    return int(code or 0) if not isinstance(code, str) else 1, buffer.getvalue()


_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")


def _environment_prefix(words: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """The variables a command's ``env -u NAME`` and ``NAME=value`` words set (``None``: unset),
    and the words after them."""
    environment: dict[str, str | None] = {}
    if words[:1] == ["env"]:
        words = words[1:]
        while words[:1] == ["-u"] and len(words) > 1:
            environment[words[1]] = None
            words = words[2:]
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words[0].partition("=")
        environment[name] = value
        words = words[1:]
    return environment, words


def _run_command(command: str, workdir: Path, stdin: str) -> tuple[int, str]:
    """Run one documented command. ``pytest ...`` and ``python -m pytest_clearstone ...``, with
    the variables an ``env -u NAME`` or ``NAME=value`` before them sets, run in this process
    (the same entry points, without a second interpreter start-up and import of the agent's
    libraries each); anything else, or anything reading stdin, in a shell."""
    words = None if stdin or set(command) & _SHELL_SYNTAX else shlex.split(command)
    environment, words = _environment_prefix(words) if words else ({}, words)
    if words and words[0] == "pytest":
        return _in_process(lambda: pytest.main(words[1:]), environment)
    if words and words[:3] == ["python", "-m", "pytest"]:
        return _in_process(lambda: pytest.main(words[3:]), environment)
    if words and words[:3] == ["python", "-m", "pytest_clearstone"]:
        from pytest_clearstone.cli import main

        return _in_process(lambda: main(words[3:]), environment)
    done = subprocess.run(command, shell=True, cwd=workdir, capture_output=True, text=True,
                          check=False, input=stdin)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def _import_installed_libraries(steps: list[Step]) -> None:
    """Import the installed libraries the page's code imports, before its first command, as the
    process a reader starts imports them once: kept between the page's in-process runs
    (``_in_process``), a module first imported inside one run would keep what it read of that
    run, such as the output capture pytest closes at its end (mcp's ``stdio_client`` takes
    ``sys.stderr`` as its default ``errlog`` when it is imported)."""
    from tests.inner_runs import LIBRARIES

    for step in steps:
        if step.kind != "python" and not (step.kind == "file" and step.arg.endswith(".py")):
            continue
        for node in ast.walk(ast.parse(step.code)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                found = importlib.util.find_spec(name.partition(".")[0])
                if found and type(found.origin) is str and found.origin.startswith(LIBRARIES):
                    importlib.import_module(name)


def _drive(steps_file: str) -> int:
    spec = json.loads(Path(steps_file).read_text())
    page, workdir = spec["page"], Path(spec["workdir"])
    os.chdir(workdir)
    sys.path.insert(0, str(workdir))
    sys.dont_write_bytecode = True
    namespace: dict[str, object] = {"__name__": "docs_page"}
    last_output = ""
    steps = [Step(**raw) for raw in spec["steps"]]
    _import_installed_libraries(steps)
    for step in steps:
        where = f"{page}:{step.line}"
        if step.kind == "file":
            target = workdir / step.arg
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.code)
            _forget_module(target, workdir)
        elif step.kind in ("python", "with-files"):
            if step.kind == "with-files":
                shutil.copytree(DOCS.parent / step.arg, workdir, dirs_exist_ok=True)
            buffer = io.StringIO()
            try:
                with contextlib.redirect_stdout(buffer):
                    exec(compile(step.code, where, "exec"), namespace)
            except BaseException:
                print(f"{where}: the python block failed:\n{buffer.getvalue()}")
                traceback.print_exc()
                return 1
            last_output = buffer.getvalue()
        elif step.kind == "run":
            options, _, stdin = step.arg.partition("input=")
            wanted = int(options.partition("exit=")[2].split()[0]) if "exit=" in options else 0
            stdin = stdin.encode().decode("unicode_escape")
            last_output = ""
            commands = _commands(step.code)
            for number, command in enumerate(commands, 1):
                code, output = _run_command(command, workdir, stdin)
                last_output += output
                status = wanted if number == len(commands) else 0
                if code != status:
                    print(f"{where}: `{command}` exited with {code}, expected {status}:\n{output}")
                    return 1
        elif step.kind == "output":
            problem = _expect(step.code, last_output)
            if problem:
                print(f"{where}: {problem}\n--- actual output ---\n{last_output}")
                return 1
    return 0


# -- the tests ---------------------------------------------------------------------------------
def _runnable(path: Path) -> bool:
    steps = parse(path.read_text(), str(path))
    return any(s.kind in ("python", "run", "with-files") for s in steps)


def _page_id(path: Path) -> str:
    return str(path.relative_to(DOCS))


@pytest.mark.parametrize("page", [p for p in pages() if _runnable(p)], ids=_page_id)
def test_page_code_blocks_run(page: Path, tmp_path: Path) -> None:
    from tests.inner_runs import LEAN_ADDOPTS  # (not at the top: this file also runs as a script)

    text = page.read_text()
    steps = parse(text, _page_id(page))
    addopts = LEAN_ADDOPTS
    if "import pytest_asyncio" in text:  # a page about pytest-asyncio: loaded, as for its readers
        addopts = addopts.replace("-p no:asyncio", "")
    # the driver imports the page's libraries before its first run (_import_installed_libraries):
    # pytest, told a plugin's package (anyio's) is imported, says it cannot rewrite its asserts
    addopts += " -W 'ignore:Module already imported:pytest.PytestAssertRewriteWarning'"
    spec = {"page": f"docs/{_page_id(page)}", "workdir": str(tmp_path),
            "steps": [asdict(s) for s in steps]}  # fmt: skip
    steps_file = tmp_path.parent / f"{tmp_path.name}.steps.json"
    steps_file.write_text(json.dumps(spec))
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "NO_COLOR": "1",
        "COLUMNS": "80",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_ADDOPTS": addopts,
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    # a reader's project is a git checkout: the summary's hints say "review with git diff" there
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run([sys.executable, __file__, str(steps_file)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_options_page_lists_every_option_and_ini_key(pytester: pytest.Pytester) -> None:
    text = "\n".join(pytester.runpytest("--help").outlines)
    flags = set(re.findall(r"--clearstone-[\w-]+", text))
    ini_keys = set(re.findall(r"^\s+(clearstone_\w+) \(", text, re.M))
    assert flags and ini_keys
    page = (DOCS / "reference" / "options.md").read_text()
    assert sorted(x for x in flags | ini_keys if f"`{x}" not in page) == []


def test_hooks_page_lists_every_hook() -> None:
    from pytest_clearstone import hookspecs

    hooks = [name for name in vars(hookspecs) if name.startswith("pytest_clearstone_")]
    page = (DOCS / "reference" / "hooks.md").read_text()
    assert hooks and [h for h in hooks if f"`{h}(" not in page] == []


def test_exceptions_page_has_a_row_for_every_error_and_warning() -> None:
    """The tables of the exceptions page say when each error and warning comes (the tree block
    on the page checks the error classes' bases; this, that none lacks its row)."""
    import inspect

    from pytest_clearstone import errors

    bases = {errors.ClearstoneError, errors.CheckpointError, errors.ReplayError}
    public = [
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if not name.startswith("_")
        and cls.__module__ == errors.__name__
        and issubclass(cls, (errors.ClearstoneError, Warning))
        and cls not in bases
    ]
    page = (DOCS / "reference" / "exceptions.md").read_text()
    assert public and [n for n in public if f"\n| `{n}` |" not in page] == []


def test_fixtures_page_has_a_section_for_every_fixture(pytester: pytest.Pytester) -> None:
    text = "\n".join(pytester.runpytest("--fixtures").outlines)
    fixtures = set(re.findall(r"^(\w+)(?: \[\w+ scope\])? -- .*pytest_clearstone", text, re.M))
    page = (DOCS / "reference" / "fixtures.md").read_text()
    assert fixtures and sorted(f for f in fixtures if f"\n## `{f}`" not in page) == []


def test_marker_page_shows_the_registered_signature(pytester: pytest.Pytester) -> None:
    text = "\n".join(pytester.runpytest("--markers").outlines)
    found = re.search(r"^(@pytest\.mark\.replay\(.*?\)):", text, re.M)
    assert found
    page = (DOCS / "reference" / "marker.md").read_text()
    assert page.split("```")[1].strip() == found.group(1)


def test_architecture_page_names_every_module() -> None:
    """The page's "modules, one line each": a module added to the package gets its line."""
    package = DOCS.parent / "pytest_clearstone"
    text = (DOCS / "explanation" / "architecture.md").read_text()
    named: set[str] = set()
    for row in re.findall(r"^\|[^|]*\| (.*?) \|", text, re.M):
        folder = ""
        for name in re.findall(r"`([\w/]+(?:\.py|/))`", row):
            folder = name.rpartition("/")[0] + "/" if "/" in name else folder
            named.add(name if "/" in name else folder + name)
    modules = {
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    folders = {n for n in named if n.endswith("/")}
    assert sorted(m for m in modules if m not in named and not m.startswith(tuple(folders))) == []
    assert sorted(n for n in named - folders if n not in modules) == []


def test_every_python_block_runs_unless_marked():
    """Only a handful of blocks may opt out, each with an explicit skip directive."""
    skipped = [(p, s.line) for p in pages() for s in parse(p.read_text(), str(p))
               if s.kind == "skip"]  # fmt: skip
    assert len(skipped) <= MAX_SKIPPED, skipped
    assert pages(), "docs/ has no pages"


def test_parse_reads_directives_and_blocks():
    text = (
        "<!-- docs-test: file app.py -->\n```python\nX = 1\n```\n\n"
        "```python\nimport app\n```\n"
        "<!-- docs-test: run exit=1 -->\n```bash\n$ pytest -q \\\n  --x\n```\n"
        "<!-- docs-test: output -->\n```text\n1 failed ...\n```\n"
        "```bash\npip install nothing-run\n```\n"
    )
    steps = parse(text)
    assert [(s.kind, s.arg, s.line) for s in steps] == [
        ("file", "app.py", 2),
        ("python", "", 6),
        ("run", "exit=1", 10),
        ("output", "", 15),
    ]
    assert _commands(steps[2].code) == ["pytest -q    --x"]


def test_a_commands_environment_words_are_read_and_set_only_while_it_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = shlex.split("env -u GONE -u ALSO_GONE pytest -q")
    assert _environment_prefix(words) == ({"GONE": None, "ALSO_GONE": None}, ["pytest", "-q"])
    words = shlex.split("KEY=sk-1 OTHER='a b' python -m pytest_clearstone list")
    expected = {"KEY": "sk-1", "OTHER": "a b"}
    assert _environment_prefix(words) == (expected, ["python", "-m", "pytest_clearstone", "list"])
    assert _environment_prefix(["ls", "A=1"]) == ({}, ["ls", "A=1"])
    monkeypatch.setenv("GONE", "here")
    monkeypatch.delenv("KEY", raising=False)
    seen = lambda: print(os.environ.get("GONE"), os.environ.get("KEY"))  # noqa: E731
    assert _in_process(seen, {"GONE": None, "KEY": "sk-1"}) == (0, "None sk-1\n")
    assert (os.environ.get("GONE"), os.environ.get("KEY")) == ("here", None)


@pytest.mark.parametrize(
    "text",
    [
        "<!-- docs-test: skpi -->\n```python\nx\n```\n",
        "<!-- docs-test: file -->\n```\n```\n",
        "<!-- docs-test: skip -->\nprose\n```python\nx\n```\n",
    ],
)
def test_parse_rejects_bad_directives(text):
    with pytest.raises(ValueError, match="docs-test"):
        parse(text)


def test_expected_output_matching():
    actual = "collected 2 items\n\ntest_a.py ..\n2 passed in 0.12s\n"
    assert _expect("collected 2 items\n...\n2 passed in ...s", actual) is None
    assert _expect("2 passed in ...s\ncollected 2 items", actual) is not None  # order matters
    assert _expect("3 passed", actual) == "expected line not found (in order): '3 passed'"


# -- Markdown tables -----------------------------------------------------------------------------
_TABLE_ROW = re.compile(r"^\s*\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def broken_tables(text: str) -> list[int]:
    """Lines (1-based) that start rows of ``|`` outside code blocks which are not a table: rows
    with no header and ``|---|`` rule above them, such as the rows after a blank line inside a
    table (Markdown ends the table at the blank line and prints the rest as a paragraph)."""
    broken: list[int] = []
    lines = text.splitlines()
    fence = ""
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if fence:
            fence = "" if stripped.startswith(fence) else fence
            i += 1
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            i += 1
            continue
        if not _TABLE_ROW.match(lines[i]):
            i += 1
            continue
        start = i
        while i < len(lines) and _TABLE_ROW.match(lines[i]):
            i += 1
        if i - start < 2 or not _TABLE_RULE.match(lines[start + 1]):
            broken.append(start + 1)
    return broken


def _markdown_files() -> list[Path]:
    return [*pages(), DOCS.parent / "README.md"]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: str(p.relative_to(DOCS.parent)))
def test_tables_are_not_broken_by_blank_lines(page: Path) -> None:
    where = [f"{page.relative_to(DOCS.parent)}:{n}" for n in broken_tables(page.read_text())]
    assert where == [], f"rows of | with no table header above (a blank line in a table?): {where}"


def test_broken_tables_finds_a_blank_line_inside_a_table() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert broken_tables(table) == []
    assert broken_tables("text\n\n" + table + "\n" + table) == []  # two tables
    assert broken_tables(table + "\n| 3 | 4 |\n| 5 | 6 |\n") == [5]  # the rows after the gap
    assert broken_tables("|:--|--:|\n") == [1]  # a rule with no header
    assert broken_tables("```text\n| 1 | 2 |\n```\n~~~\n| x |\n~~~\n") == []  # code


# -- diagrams: docs/diagrams/*.json rendered to docs/img/*.svg by docs/diagrams/render.py ------
def _diagrams() -> ModuleType:
    path = DOCS / "diagrams" / "render.py"
    spec = importlib.util.spec_from_file_location("docs_diagrams_render", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name)
    if module is None:  # (registered first: its dataclasses look their module up)
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def test_diagrams_are_rendered_from_their_sources() -> None:
    """The committed SVGs are what the script makes of the sources, byte for byte; after editing a
    source run ``python docs/diagrams/render.py``."""
    render = _diagrams()
    sources = render.sources()
    assert {s.stem for s in sources} == {p.stem for p in (DOCS / "img").glob("*.svg")}
    for source in sources:
        committed = render.target(source).read_bytes().decode("utf-8")
        assert render.rendered(source) == committed, f"{source.name}: run docs/diagrams/render.py"


def test_every_diagram_is_shown_on_a_page() -> None:
    text = "\n".join(p.read_text() for p in pages())
    svgs = sorted(p.name for p in (DOCS / "img").glob("*.svg"))
    assert svgs and [name for name in svgs if f"img/{name})" not in text] == []


def test_a_diagram_is_a_readable_svg() -> None:
    import xml.etree.ElementTree as ET

    render = _diagrams()
    svg = render.render(
        {"title": "t & t", "width": 200, "height": 100,
         "boxes": [{"id": "a", "x": 10, "y": 10, "w": 80, "h": 40, "lines": ["`x` <y>"]},
                   {"id": "b", "x": 110, "y": 10, "w": 80, "h": 40}],
         "arrows": [{"from": "a.right", "to": "b.left", "label": "go"}]}
    )  # fmt: skip
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("viewBox") == "0 0 200 100"
    assert root.findtext(f"{ns}title") == "t & t"
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    assert texts == ["x <y>", "go"]
    assert render.render({"title": "t", "width": 10, "height": 10}) == render.render(
        {"title": "t", "width": 10, "height": 10}
    )
    with pytest.raises(ValueError, match="needs ~"):
        render.render({"title": "t", "width": 100, "height": 50,
                       "boxes": [{"id": "a", "x": 0, "y": 0, "w": 40, "h": 40,
                                  "lines": ["far too long for this box"]}]})  # fmt: skip


if __name__ == "__main__":
    sys.path[0] = str(DOCS.parent)  # (this file's directory): the driver imports tests.inner_runs
    sys.exit(_drive(sys.argv[1]))

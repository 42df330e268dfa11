"""Agents served by a Django app and tested with pytest-django (``client``, ``django_db``): their
tools query the Django ORM. Run in subprocesses: Django is set up once per process, from the
project's ``DJANGO_SETTINGS_MODULE``."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from .harness import SEALED_ENV, SUBPROCESS_TIMEOUT, Stack

pytest.importorskip("django")
pytest.importorskip("pytest_django")

RUN = ("-p", "pytest_django.plugin", "-p", "no:randomly")  # (the inner runs leave it out)

SETTINGS = """
SECRET_KEY = "django-insecure-CLEARSTONE-SECRET-key"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
"""

MODELS = """
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=50)
    price = models.DecimalField(max_digits=8, decimal_places=2)
"""

TOOLS = """
from shop.models import Product


def find(name):
    return Product.objects.filter(name=name).first()


def prices():
    return Product.objects.values("name", "price")
"""

ORM_ANSWERS = """
import pytest

import tools
from shop.models import Product


@pytest.fixture
def tea(db):
    Product.objects.create(name="tea", price="3.50")


@pytest.mark.replay(mock={"database": "tools.find"})
def test_instance(tea):
    assert tools.find("tea").name == "tea"


@pytest.mark.replay(mock={"database": "tools.prices"})
def test_values(tea):
    assert [p["name"] for p in tools.prices()] == ["tea"]


@pytest.mark.replay(mock={"database": "django.db.models.query.QuerySet.first"})
def test_django_method(tea):
    assert tools.find("tea").name == "tea"
"""


def _run(stack: Stack, *args: str, sealed: bool = False) -> pytest.RunResult:
    """A run of the Django project in a subprocess; ``sealed``: with the fake services sealed
    (a replay: reaching them fails the test)."""
    with pytest.MonkeyPatch.context() as mp:
        if sealed:
            mp.setenv(SEALED_ENV, "1")
        return stack.pytester.runpytest_subprocess(*args, *RUN, timeout=SUBPROCESS_TIMEOUT)


def _django_project(stack: Stack) -> None:
    stack.pytester.makepyfile(settings=SETTINGS, tools=TOOLS)
    (stack.path / "shop").mkdir()
    (stack.path / "shop" / "__init__.py").write_text("")
    (stack.path / "shop" / "models.py").write_text(MODELS)
    stack.pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = settings\n")


def test_django_model_instances_and_querysets_are_refused_with_the_conversion_that_works(
    make_stack: Callable[..., Stack],
) -> None:
    """A tool answering a model instance or a ``QuerySet`` (lazy: ``.values()`` is one too) was
    refused with "mock the function under this one", which is Django's ``QuerySet.first`` or
    ``Manager.values``, answering the same; the fix is to return plain data from the tool."""
    stack: Stack = make_stack()
    _django_project(stack)
    stack.write_test("answers", ORM_ANSWERS)
    result = _run(stack, "--clearstone-record")
    result.assert_outcomes(failed=3)
    result.stdout.no_fnmatch_line("*the function under this one*")
    refused = "*cannot serialise the answer of call #1 to tools.{}*repr cannot be replayed. "
    result.stdout.fnmatch_lines(
        [
            refused.format("find (a shop.models.Product)")
            + "Convert each model instance where it is made to plain data "
            "(django.forms.models.model_to_dict(obj), or a dict of the fields the agent "
            "reads)*allow pickles*",
            refused.format("prices (a django.db.models.query.QuerySet)")
            + "Evaluate the QuerySet where it is made into plain data (return "
            "list(queryset.values(...)) or list(queryset.values_list(...)): a QuerySet runs "
            "its query when read)*allow pickles*",
            refused.format("django.db.models.query.QuerySet.first (a shop.models.Product)").replace(
                "tools.", ""
            )
            + "Mock a function of your own in place of django.db.models.query.QuerySet.first: "
            "one that runs the query and returns plain data (list(queryset.values(...)))*",
        ],
        consecutive=False,
    )


VIEWS = """
import uuid

import openai
from django.http import JsonResponse
from django.urls import path

import services


def chat(request):
    client = openai.OpenAI(http_client=services.OPENAI.client(), max_retries=0)
    answer = client.chat.completions.create(
        model="gpt-4o-mini", user=str(uuid.uuid4()),
        messages=[{"role": "user", "content": request.GET["q"]}])
    return JsonResponse({"answer": answer.choices[0].message.content})


urlpatterns = [path("chat", chat)]
"""

LIVE_SERVER = """
import json
import urllib.request

import pytest

MOCK = {"llm": "openai.resources.chat.completions.Completions.create"}


@pytest.mark.replay(mock=MOCK)
def test_live(live_server):
    with urllib.request.urlopen(live_server.url + "/chat?q=Faro") as response:
        assert json.loads(response.read())["answer"] == "Answer to 'Faro'"
"""


def test_live_server_blocked_on_replay_names_the_ini_line_that_allows_it(
    make_stack: Callable[..., Stack],
) -> None:
    """pytest-django's ``live_server`` listens on loopback, on a new port each run: the test's
    request to it is blocked on replay. The message said to allow "the host" while naming it
    with this run's port (``localhost (127.0.0.1) port 41327``), so an entry with that port
    failed the next run; it now gives the line that works, which the replay then passes with."""
    stack: Stack = make_stack()
    _django_project(stack)
    stack.pytester.makepyfile(urls=VIEWS)
    with open(stack.path / "settings.py", "a") as settings:
        settings.write('\nROOT_URLCONF = "urls"\nSTATIC_URL = "/static/"\nALLOWED_HOSTS = ["*"]\n')
    stack.write_test("live", LIVE_SERVER)
    _run(stack, "--clearstone-record").assert_outcomes(passed=1)
    blocked = _run(stack, sealed=True)
    blocked.assert_outcomes(failed=1)
    blocked.stdout.fnmatch_lines(
        [
            "*tried to connect to * port * during the replay; the network guard blocked it",
            "*a server on this machine*allow it with the ini line "
            "`clearstone_allow_hosts = localhost` (no port: *",
        ]
    )
    stack.pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = settings\nclearstone_allow_hosts = localhost\n"
    )
    _run(stack, sealed=True).assert_outcomes(passed=1)


TEMPLATED_AGENT = """
import openai
from django.template import Context, Template

import services

PROMPT = Template("Recommend a {{ drink }} to {{ name }}.")


class Sommelier:
    def __init__(self):
        self.client = openai.OpenAI(http_client=services.OPENAI.client(), max_retries=0)
        self.prompts = []

    def recommend(self, drink, name):
        prompt = PROMPT.render(Context({"drink": drink, "name": name}))  # a SafeString
        self.prompts.append(prompt)
        answer = self.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
        return answer.choices[0].message.content
"""

TEMPLATED_TEST = """
import pytest

from sommelier import Sommelier


@pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_recommend(replay):
    assert "port" in replay.run(Sommelier().recommend, "port", "Ana")
"""


def test_a_prompt_rendered_by_a_django_template_is_compared_by_its_text(
    make_stack: Callable[..., Stack],
) -> None:
    """A Django template renders a ``SafeString``, whose ``str()`` is itself: the codec stored
    it in the call's arguments as a placeholder compared by type only, so an edited prompt
    replayed green, and refused it in the agent's state as "a reference cycle"."""
    stack: Stack = make_stack()
    _django_project(stack)
    stack.pytester.makepyfile(sommelier=TEMPLATED_AGENT)
    stack.write_test("sommelier", TEMPLATED_TEST)
    _run(stack, "--clearstone-record", "-W", "error").assert_outcomes(passed=1)
    _run(stack, "-W", "error", sealed=True).assert_outcomes(passed=1)
    golden = (stack.path / "goldens" / "test_sommelier" / "test_recommend.ckpt").read_text()
    assert "Recommend a port to Ana." in golden and '"__cs__": "repr"' not in golden
    stack.edit("sommelier", "Recommend a", "Suggest a")
    diverged = _run(stack, sealed=True)
    diverged.assert_outcomes(failed=1)
    diverged.stdout.fnmatch_lines(
        [
            "*root[[]'messages'][[]0][[]'content']: "
            "'Recommend a port to Ana.' -> 'Suggest a port to Ana.'"
        ]
    )


def test_show_with_pickles_of_django_objects_does_not_call_the_golden_corrupt(
    make_stack: Callable[..., Stack],
) -> None:
    """A golden holding a pickled model instance (recorded with pickles allowed, as the refusal
    offers) is sound, but ``show --allow-pickle`` runs outside the Django app: unpickling it
    raises Django's own error. It was reported as an unreadable checkpoint to restore from
    version control or re-record; it now says the file is sound and what shows it."""
    stack: Stack = make_stack()
    _django_project(stack)
    stack.write_test("answers", ORM_ANSWERS)
    _run(stack, "--clearstone-record", "--clearstone-allow-pickle", "-k", "test_instance")
    golden = stack.path / "goldens" / "test_answers" / "test_instance.ckpt"
    assert golden.exists()
    shown = stack.pytester.run(
        sys.executable, "-m", "pytest_clearstone", "show", "--allow-pickle", str(golden)
    )
    assert shown.ret == 2
    shown.stderr.no_fnmatch_line("*Restore it from version control*")
    shown.stderr.no_fnmatch_line("*not a readable checkpoint*")
    shown.stderr.fnmatch_lines(
        [
            "*test_instance.ckpt: cannot unpickle a stored 'shop.models.Product': "
            "AppRegistryNotReady: *; the file is sound: the pickled value's own code could not "
            "rebuild it here, outside its application. Run without --allow-pickle to show "
            "pickled values as placeholders"
        ]
    )
    placeholders = stack.pytester.run(
        sys.executable, "-m", "pytest_clearstone", "show", str(golden)
    )
    assert placeholders.ret == 0

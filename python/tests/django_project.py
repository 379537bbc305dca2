"""A minimal Django project for the Django tests: settings, a test database, URLs and
views (a login through django.contrib.auth that also opens a Magnetar session)."""

import django
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from magnetar.contrib.django import PASSWORD_HASHERS

SESSION_REGISTRY = {}  # "registry": the SessionRegistry the login view uses


def configure():
    """Configures Django once per process (both Django test modules share it)."""
    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="tests-only-not-a-secret",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=PASSWORD_HASHERS,
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        ROOT_URLCONF="django_project",
        USE_TZ=True,
    )
    django.setup()


@pytest.fixture(scope="module")
def django_db():
    """A real test database (Django's test runner machinery) for one test module."""
    configure()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    yield
    connection.creation.destroy_test_db(old_name, verbosity=0)
    teardown_test_environment()


def login(request: HttpRequest) -> HttpResponse:
    """Authenticates with django.contrib.auth and opens a Magnetar session whose token
    goes into the `session` cookie."""
    from django.contrib.auth import authenticate
    from django.contrib.auth import login as django_login

    from magnetar.contrib.django.middleware import request_context

    user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
    if user is None:
        return JsonResponse({"error": "bad credentials"}, status=403)
    django_login(request, user)
    token, _session = SESSION_REGISTRY["registry"].create(user.get_username(), **request_context(request))
    response = JsonResponse({"user": user.get_username(), "token": token})
    response.set_cookie("session", token, httponly=True)
    return response


def whoami(request: HttpRequest) -> HttpResponse:
    assessment = getattr(request, "magnetar_assessment", None)
    if assessment is None:
        return JsonResponse({"session": None})
    return JsonResponse({"user": assessment.session.user_id, "decision": assessment.decision})


urlpatterns = [path("login/", login), path("whoami/", whoami)]

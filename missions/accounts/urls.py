"""The person's own settings that Observa adds to allauth's: the language menu."""

from django.urls import path

from missions.accounts import language

urlpatterns = [
    path("language/", language.language_set, name="language_set"),
]

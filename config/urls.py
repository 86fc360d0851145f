from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# The admin has no login form of its own: it sends people to allauth's, with its rate limits and
# second factor.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="missions:list", permanent=False), name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Django tries the patterns in order: election day's filing routes come first (polling/urls.py).
    # Every pattern of these apps has its own literal segments after m/<code>/, so the order changes
    # nothing else.
    path("", include("polling.urls")),
    path("", include("missions.urls")),
    path("", include("reports.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

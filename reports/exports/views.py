"""Exports: ask for one, watch its progress, download it (through this view only: exports are personal data)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from polling.models import Checklist
from reports.exports.services import ExportError, export_request, visible_exports
from reports.models import Export
from reports.results.views import results_access


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Content"), choices=Export.Kind.choices)
    format = forms.ChoiceField(label=_("Format"), choices=Export.Format.choices)
    checklist = forms.ModelChoiceField(
        label=_("Checklist"),
        queryset=Checklist.objects.none(),
        required=False,
        to_field_name="code",
        help_text=_("For visits: one column per question of this checklist."),
    )
    breakdown = forms.TypedChoiceField(label=_("Results by"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, mission, own_team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].queryset = Checklist.objects.filter(mission=mission)
        choices = [("", _("Whole mission only"))]
        choices += [(str(n), name) for n, name in enumerate(mission.area_levels or [], start=1)]
        if own_team is None:
            choices.append(("0", _("Team")))
        self.fields["breakdown"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("kind") == Export.Kind.VISITS and not data.get("checklist"):
            self.add_error("checklist", _("Choose the checklist whose visits to export."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def exports(request, code):
    access, own_team = results_access(request.user, code)
    form = ExportForm(request.POST or None, mission=access.mission, own_team=own_team)
    if request.method == "POST" and form.is_valid():
        try:
            export_request(
                mission=access.mission,
                user=request.user,
                kind=form.cleaned_data["kind"],
                fmt=form.cleaned_data["format"],
                checklist=form.cleaned_data["checklist"],
                team=own_team,
                breakdown=form.cleaned_data["breakdown"],
                request=request,
            )
        except ExportError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The export is being prepared. It will appear below when ready."))
        return redirect("reports:exports", code=access.mission.code)
    exports_list = visible_exports(access.mission, team=own_team)[:30]
    context = {"mission": access.mission, "access": access, "form": form, "exports": exports_list}
    return render(request, "reports/exports/list.html", context)


@login_required
@require_GET
def export_status(request, code, export):
    access, own_team = results_access(request.user, code)
    item = get_object_or_404(visible_exports(access.mission, team=own_team), uuid=export)
    return render(request, "reports/exports/_export_row.html", {"mission": access.mission, "x": item})


@login_required
@require_GET
def export_download(request, code, export):
    access, own_team = results_access(request.user, code)
    item = get_object_or_404(
        visible_exports(access.mission, team=own_team), uuid=export, status=Export.Status.DONE
    )
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=item.download_name())

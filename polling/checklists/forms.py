"""Forms of the checklist builder: they validate fields; polling.checklists decides and writes."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat, truncatechars
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from polling.checklists import checklists_copyable_by, finding_problems
from polling.checklists.definition import OPTION_VALUE_RE
from polling.models import Checklist, Option, Question, code_validator


class ChecklistForm(forms.ModelForm):
    class Meta:
        model = Checklist
        fields = ["code", "name", "description", "is_active", "order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _(
                "Short and stable, e.g. opening, voting, counting. Observers' visits are filed under it."
            ),
            "is_active": _("Observers can file this checklist on election day."),
            "order": _("Checklists are listed by this number, then by name."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True  # visits and exports name the checklist by it
        else:
            del self.fields["is_active"], self.fields["order"]


class ChecklistImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("Our JSON format, an XLSForm (.xlsx) from KoboToolbox or ODK, or a Vote Monitor form."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[
            ("", _("Recognise it from the file")),
            ("json", _("Observa checklist (JSON)")),
            ("xlsform", _("XLSForm (.xlsx)")),
            ("votemonitor", _("Vote Monitor / code4ro form (JSON)")),
        ],
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        validators=[code_validator],
        help_text=_("Leave empty to use the code in the file."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the name in the file."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CHECKLIST_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
            )
        return upload


class _SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.mission.name} · {obj.name} ({obj.code}, v{obj.current_version.number})"


class ChecklistCopyForm(forms.Form):
    source = _SourceChoiceField(
        label=_("Checklist to copy"),
        queryset=Checklist.objects.none(),
        help_text=_(
            "From any mission where you are secretariat or head of mission. Its current version is copied."
        ),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        validators=[code_validator],
        help_text=_("Leave empty to keep the code of the checklist you copy."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = checklists_copyable_by(user)


class QuestionForm(forms.ModelForm):
    """One question's own fields; its options come in OptionFormSet, its place from `after` or moves."""

    show_if = forms.ChoiceField(
        label=_("Show only if"),
        required=False,
        help_text=_("Only earlier yes/no, choice and rating questions can decide whether this one is shown."),
    )
    after = forms.ChoiceField(label=_("Position"), required=False)

    class Meta:
        model = Question
        fields = [
            "section",
            "code",
            "text",
            "type",
            "required",
            "help_text",
            "min_value",
            "max_value",
            "finding_none",
            "finding_some",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "help_text": forms.Textarea(attrs={"rows": 2}),
            "finding_none": forms.Textarea(attrs={"rows": 2}),
            "finding_some": forms.Textarea(attrs={"rows": 2}),
            "section": forms.TextInput(attrs={"list": "checklist-sections"}),
        }
        help_texts = {
            "code": _(
                "Short, e.g. A4. Results are compared across versions by code: keep it when you reword."
            ),
            "finding_some": _(
                "e.g. Campaign materials were present in {count} of {total} polling stations observed ({percent}%)."
                " Placeholders: {count}, {total}, {percent}."
            ),
        }

    def __init__(self, *args, earlier: list[Question], positions: list[Question] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = []
        for question in earlier:
            if question.has_options:
                heading = f"{question.code} · {truncatechars(question.text, 70)}"
                groups.append(
                    (
                        heading,
                        [
                            (f"{question.code}={o.value}", f"{question.code} = {o.label}")
                            for o in question.options.all()
                        ],
                    )
                )
        self.fields["show_if"].choices = [("", _("Always shown")), *groups]
        if self.instance.pk and self.instance.show_if_question_id:
            self.initial["show_if"] = f"{self.instance.show_if_question.code}={self.instance.show_if_value}"
        if positions is None:
            del self.fields["after"]
        else:
            self.fields["after"].choices = [("", _("At the end"))] + [
                (q.code, _("After %(question)s") % {"question": f"{q.code} · {truncatechars(q.text, 60)}"})
                for q in positions
            ]

    def _clean_finding(self, field):
        text = self.cleaned_data[field]
        problems = finding_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_finding_none(self):
        return self._clean_finding("finding_none")

    def clean_finding_some(self):
        return self._clean_finding("finding_some")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") != Question.Type.NUMBER:
            cleaned["min_value"] = cleaned["max_value"] = None  # the fields are hidden for other types
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("The maximum is smaller than the minimum."))
        return cleaned

    def definition(self) -> dict:
        """The question's fields in our format, for question_save."""
        data = self.cleaned_data
        show_if = None
        if data.get("show_if"):
            question, _sep, value = data["show_if"].partition("=")
            show_if = {"question": question, "equals": value}
        finding = {"none": data["finding_none"], "some": data["finding_some"]}
        return {
            "code": data["code"],
            "section": data["section"],
            "text": data["text"],
            "type": data["type"],
            "required": data["required"],
            "help_text": data["help_text"],
            "min": data["min_value"],
            "max": data["max_value"],
            "show_if": show_if,
            "finding": finding if finding["none"] or finding["some"] else None,
        }


class OptionForm(forms.Form):
    """One answer option, rendered as a compact row of the question form (hence the widget classes)."""

    label = forms.CharField(
        label=_("Answer"), max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=100,
        required=False,
        help_text=_("Stored and exported; made from the answer when left empty."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm font-monospace"}),
    )
    flagged = forms.BooleanField(
        label=_("Irregularity"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", "—"), *Option.Severity.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    negative = forms.BooleanField(
        label=_("Negative"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def clean_value(self):
        value = self.cleaned_data["value"].strip()
        if value and not OPTION_VALUE_RE.match(value):
            raise forms.ValidationError(_("Use letters, digits, dots, hyphens and underscores, no spaces."))
        return value


class BaseOptionFormSet(forms.BaseFormSet):
    ordering_widget = forms.HiddenInput

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.ordered_forms:
            data = form.cleaned_data
            if not data.get("value"):
                base = slugify(data["label"], allow_unicode=True).replace("-", "_")[:90] or "option"
                value, n = base, 2
                while value in seen:
                    value, n = f"{base}_{n}", n + 1
                data["value"] = value
            if data["value"] in seen:
                raise forms.ValidationError(
                    _("Two answers have the value “%(value)s”; values must differ.")
                    % {"value": data["value"]}
                )
            seen.add(data["value"])

    def options(self) -> list[dict]:
        """The options in the order the builder shows them, in our format."""
        return [
            {
                "value": f.cleaned_data["value"],
                "label": f.cleaned_data["label"],
                "flagged": f.cleaned_data["flagged"],
                "severity": f.cleaned_data["severity"] if f.cleaned_data["flagged"] else "",
                "negative": f.cleaned_data["negative"],
            }
            for f in self.ordered_forms
        ]


OptionFormSet = forms.formset_factory(
    OptionForm, formset=BaseOptionFormSet, extra=2, can_order=True, can_delete=True, max_num=200
)


def option_initial(question: Question | None) -> list[dict]:
    if question is None or not question.pk:
        return []
    return [
        {
            "label": o.label,
            "value": o.value,
            "flagged": o.flagged,
            "severity": o.severity,
            "negative": o.negative,
            "ORDER": o.order,
        }
        for o in question.options.all()
    ]

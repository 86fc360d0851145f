from django import forms
from django.conf import settings
from django.contrib.auth.forms import SetPasswordMixin
from django.db.models import Case, Value, When
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from missions.models import (
    AREA_LEVEL_SEPARATOR,
    Invitation,
    Meeting,
    Member,
    Mission,
    Team,
    User,
    time_zone_names,
)


class AreaLevelsField(forms.CharField):
    """Area level names typed as `Region > City`, stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return AREA_LEVEL_SEPARATOR.join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        levels = [part.strip() for part in value.split(">")]
        if any(not level for level in levels):
            raise forms.ValidationError(_("Every level needs a name, e.g. Region > City."))
        if len({level.lower() for level in levels}) != len(levels):
            raise forms.ValidationError(_("Each level name may appear only once."))
        return levels


class MissionForm(forms.ModelForm):
    area_levels = AreaLevelsField(
        label=_("Area levels"),
        help_text=_("Largest first, separated by '>', e.g. Region > City or State > LGA > Ward."),
    )

    class Meta:
        model = Mission
        fields = [
            "code",
            "name",
            "organization",
            "election",
            "country",
            "time_zone",
            "election_date",
            "observation_start",
            "observation_end",
            "status",
            "area_levels",
            "statement_level",
        ]
        widgets = {
            "election_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "observation_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "observation_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    statement_level_name = forms.CharField(
        label=_("Statement names places by"),
        required=False,
        help_text=_("One of the area levels, e.g. City. Empty means the largest level."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["statement_level"]
        # A list to choose from, not a name to spell: the zones this machine's tzdata knows.
        self.fields["time_zone"].widget = forms.Select(choices=[(name, name) for name in time_zone_names()])
        if self.instance.pk:
            # The code is in every address and command: it does not change once the mission exists.
            self.fields["code"].disabled = True
            self.fields["statement_level_name"].initial = self.instance.statement_level_name

    def clean(self):
        cleaned = super().clean()
        levels = cleaned.get("area_levels") or []
        wanted = (cleaned.get("statement_level_name") or "").strip()
        if not wanted:
            self.instance.statement_level = 1
        else:
            matches = [i for i, name in enumerate(levels, start=1) if name.lower() == wanted.lower()]
            if matches:
                self.instance.statement_level = matches[0]
            else:
                self.add_error(
                    "statement_level_name",
                    _("“%(name)s” is not one of the area levels (%(levels)s).")
                    % {"name": wanted, "levels": AREA_LEVEL_SEPARATOR.join(levels)},
                )
        return cleaned


class MemberChoiceField(forms.ModelChoiceField):
    """A member shown as "Name — Role · Country (Team)", addressed by UUID in the page."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="uuid", **kwargs)

    def label_from_instance(self, member):
        return member_label(member)


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="uuid", **kwargs)

    def label_from_instance(self, member):
        return member_label(member)


def member_label(member: Member) -> str:
    details = [member.get_role_display()]
    if member.country:
        details.append(member.country)
    label = f"{member.user} — {' · '.join(details)}"
    if member.team_id:
        label += f" ({member.team.name})"
    return label


def active_members(mission: Mission):
    return (
        mission.members.filter(is_active=True)
        .select_related("user", "team")
        .order_by("user__name", "user__email")
    )


class InvitationForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=lambda: settings.LANGUAGES,
        required=False,
        help_text=_("The e-mail is written in it, and the new member's pages start in it."),
    )

    class Meta:
        model = Invitation
        fields = ["email", "name", "role", "country", "team", "language"]

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["team"].queryset = mission.teams.order_by("name")
        self.fields["team"].to_field_name = "uuid"
        self.fields["team"].empty_label = _("No team yet")
        self.fields["email"].widget.attrs["autofocus"] = True

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_language(self):
        """Left out (an older form, a script): the inviter's own language."""
        return self.cleaned_data.get("language") or translation.get_language()


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["role", "country", "team"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = self.instance.mission.teams.order_by("name")
        self.fields["team"].to_field_name = "uuid"
        self.fields["team"].empty_label = _("No team")


class InvitationSignupForm(SetPasswordMixin, forms.Form):
    """A new account for the invited e-mail address: the invitation proves the address."""

    name = forms.CharField(label=_("Full name"), max_length=200)
    password1, password2 = SetPasswordMixin.create_password_fields()

    def __init__(self, *args, invitation: Invitation, **kwargs):
        kwargs.setdefault("initial", {"name": invitation.name})
        super().__init__(*args, **kwargs)
        self.email = invitation.email

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        self.validate_password_for_user(User(email=self.email, name=cleaned.get("name", "")))
        return cleaned

    def account_fields(self) -> dict:
        return {"name": self.cleaned_data["name"], "password": self.cleaned_data["password1"]}


class TeamForm(forms.ModelForm):
    """Name, members and leader of a team; the leader joins the team if not ticked as a member."""

    members = MemberMultipleChoiceField(
        queryset=Member.objects.none(),
        required=False,
        label=_("Members"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("A member belongs to one team: ticking someone from another team moves them here."),
    )
    leader = MemberChoiceField(queryset=Member.objects.none(), required=False, label=_("Leader"))

    class Meta:
        model = Team
        fields = ["name"]

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission = mission
        self.fields["members"].queryset = active_members(mission)
        self.fields["leader"].queryset = active_members(mission)
        self.fields["leader"].empty_label = _("No leader yet")
        if self.instance.pk:
            # The team's own members first, then everyone else by name.
            own_first = Case(When(team=self.instance, then=Value(0)), default=Value(1))
            self.fields["members"].queryset = active_members(mission).order_by(
                own_first, "user__name", "user__email"
            )
            self.fields["members"].initial = [m.uuid for m in self.instance.members.filter(is_active=True)]
            if self.instance.leader_id:
                self.fields["leader"].initial = self.instance.leader.uuid

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = self.mission.teams.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("This mission already has a team called “%(name)s”.") % {"name": name}
            )
        return name

    def clean(self):
        cleaned = super().clean()
        members = list(cleaned.get("members") or [])
        leader = cleaned.get("leader")
        if leader and leader not in members:
            members.append(leader)
        cleaned["members"] = members
        return cleaned


class TeamMembershipForm(forms.Form):
    """The quick actions of the team page: add members, remove one, make one the leader."""

    ADD, REMOVE, LEADER = "add", "remove", "leader"

    action = forms.ChoiceField(choices=[(ADD, ADD), (REMOVE, REMOVE), (LEADER, LEADER)])
    members = MemberMultipleChoiceField(queryset=Member.objects.none(), label=_("Members"))

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = active_members(mission)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.LEADER and len(cleaned.get("members") or []) != 1:
            raise forms.ValidationError(_("Choose exactly one leader."))
        return cleaned


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["date", "counterpart", "title", "category", "notes"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

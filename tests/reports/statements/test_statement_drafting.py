"""The drafting rules: numbers in words, English lists, none/some findings, the overall sentence, live figures."""

import datetime

import pytest

from missions.models import Role
from reports.statements import drafting, figures, services, tokens
from reports.statements.document import build_document, plain_text
from reports.statements.language import country_phrase, date_range, join_list, number_in_words
from tests.helpers.factories import make_meeting, make_member, make_station, make_user
from tests.helpers.statements import build_demo_like, fast_passwords, make_visit  # noqa: F401 - fast_passwords is an autouse fixture


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "zero"), (1, "one"), (3, "three"), (10, "ten"), (11, "11"), (22, "22"), (1250, "1,250")],
)
def test_numbers_up_to_ten_read_as_words(n, words):
    assert number_in_words(n) == words


def test_number_in_words_refuses_what_is_not_a_whole_number():
    with pytest.raises(TypeError):
        number_in_words(2.5)


@pytest.mark.parametrize(
    ("items", "joined"),
    [
        ([], ""),
        (["Baku"], "Baku"),
        (["Baku", "Shusha"], "Baku and Shusha"),
        (["Baku", "Shusha", "Hankendi", "Khojaly"], "Baku, Shusha, Hankendi and Khojaly"),
        (["Mr A, Chair", "Ms B, Minister", "Mr C"], "Mr A, Chair; Ms B, Minister; and Mr C"),
    ],
)
def test_lists_are_joined_as_english_does(items, joined):
    assert join_list(items) == joined


def test_date_ranges_and_country_names():
    assert date_range(datetime.date(2024, 2, 4), datetime.date(2024, 2, 7)) == "from 4 to 7 February 2024"
    assert (
        date_range(datetime.date(2024, 1, 28), datetime.date(2024, 2, 7))
        == "from 28 January to 7 February 2024"
    )
    assert country_phrase("Republic of Azerbaijan") == "the Republic of Azerbaijan"
    assert country_phrase("Azerbaijan") == "Azerbaijan"


def _text(snapshot, key):
    section = next(s for s in drafting.default_sections(snapshot) if s["key"] == key)
    return tokens.plain_text(section["text"], snapshot["figures"])


@pytest.mark.django_db
def test_election_day_sentence_reads_like_the_ots_statement(mission):
    build_demo_like(mission)
    snapshot = figures.collect(mission)
    assert _text(snapshot, drafting.ELECTION_DAY) == (
        "On election day, the Mission was divided into three groups and visited 22 polling stations in "
        "Baku, Shusha, Hankendi and Khojaly."
    )


@pytest.mark.django_db
def test_places_follow_the_order_of_visits(mission):
    data = build_demo_like(mission)
    first = data["visits"][0]
    # A later first visit to Khojaly than to anything else: move Khojaly's visits to the very start.
    for visit in data["visits"][-2:]:
        visit.arrived_at = first.arrived_at.replace(hour=7)
        visit.save(update_fields=["arrived_at"])
    snapshot = figures.collect(mission)
    assert snapshot["figures"]["places"]["value"] == "Khojaly, Baku, Shusha and Hankendi"


@pytest.mark.django_db
def test_a_single_team_is_not_said_to_be_divided(mission, observer):
    from tests.helpers.statements import make_checklist

    version = make_checklist(mission)
    make_visit(version, make_station(mission, area="Region > Baku"), observer, answers={"secrecy": "yes"})
    snapshot = figures.collect(mission)
    assert (
        _text(snapshot, drafting.ELECTION_DAY)
        == "On election day, the Mission visited one polling station in Baku."
    )


@pytest.mark.django_db
def test_finding_uses_the_none_sentence_when_nobody_reported_it(mission):
    build_demo_like(mission, campaign_at=0)
    snapshot = figures.collect(mission)
    assert _text(snapshot, "finding:ed:campaign") == (
        "The Mission did not identify any campaign materials in the polling stations."
    )


@pytest.mark.django_db
def test_finding_uses_the_some_sentence_with_count_total_and_percent(mission):
    build_demo_like(mission, campaign_at=3)
    snapshot = figures.collect(mission)
    assert _text(snapshot, "finding:ed:campaign") == (
        "Campaign materials were seen in three of the 22 polling stations visited (14%)."
    )


@pytest.mark.django_db
def test_questions_without_statement_wording_get_no_paragraph(mission):
    build_demo_like(mission)
    keys = [s["key"] for s in drafting.default_sections(figures.collect(mission))]
    assert "finding:ed:secrecy" in keys
    assert not any("queue" in key for key in keys)


@pytest.mark.django_db
def test_overall_sentence_says_no_significant_irregularities_only_without_serious_answers(mission):
    build_demo_like(mission, campaign_at=5)  # minor irregularities only
    assert (
        _text(figures.collect(mission), drafting.OVERALL)
        == "The Mission observed no significant irregularities."
    )


@pytest.mark.django_db
def test_overall_sentence_counts_stations_with_serious_irregularities(mission):
    build_demo_like(mission, serious_at=2)
    assert _text(figures.collect(mission), drafting.OVERALL) == (
        "Serious irregularities were reported in two of the 22 polling stations visited (9%)."
    )


@pytest.mark.django_db
def test_introduction_names_head_of_mission_and_counts_countries(mission):
    make_member(
        mission, Role.HEAD_OF_MISSION, country="Kyrgyzstan", user=make_user(name="Kubanychbek Omuraliev")
    )
    make_member(mission, Role.OBSERVER, country="Kyrgyzstan")
    make_member(mission, Role.OBSERVER, country="Türkiye")
    text = _text(figures.collect(mission), drafting.INTRODUCTION)
    assert "The Mission was headed by Kubanychbek Omuraliev." in text
    assert "three members from two countries or delegations" in text
    assert "from 4 to 7 February 2024" in text


@pytest.mark.django_db
def test_meetings_are_grouped_by_category_with_counterparts_and_titles(mission):
    make_meeting(
        mission,
        counterpart="Mr. Mazahir Panahov",
        title="Chairman of the CEC",
        category="election_administration",
    )
    make_meeting(mission)
    text = _text(figures.collect(mission), drafting.MEETINGS)
    assert "held two meetings with representatives of the government and the election administration" in text
    government = text.index(
        "From the government, the Mission met H.E. Jeyhun Bayramov, Minister of Foreign Affairs."
    )
    assert government < text.index("From the election administration, the Mission met Mr. Mazahir Panahov")


@pytest.mark.django_db
def test_edited_prose_keeps_live_figures_and_survives_a_redraft(mission, secretariat, observer):
    data = build_demo_like(mission)
    version = services.statement_start(mission=mission, user=secretariat.user)
    snapshot = figures.collect(mission)
    services.statement_edit(
        version=version,
        user=secretariat.user,
        texts={drafting.ELECTION_DAY: "Our observers saw [[stations_visited]] stations, in [[places]]."},
        known_figures=snapshot["figures"],
    )
    # New visits after the edit: the prose stays, its figures follow the data.
    late = data["visits"][-1].arrived_at + datetime.timedelta(hours=1)
    station = make_station(mission, "NEW-1", area="Aghdam > Aghdam city")
    make_visit(data["version"], station, observer, answers={"secrecy": "yes"}, at=late)
    warnings = services.statement_redraft(version=version, user=secretariat.user)
    version.refresh_from_db()
    assert warnings == []
    document = plain_text(build_document(version))
    assert "Our observers saw 23 stations, in Baku, Shusha, Hankendi, Khojaly and Aghdam." in document
    assert version.section(drafting.ELECTION_DAY)["edited"] is True
    # Unedited sections were redrafted: the overall sentence still reads from the data.
    assert version.section(drafting.OVERALL)["edited"] is False


@pytest.mark.django_db
def test_redraft_warns_when_edited_finding_no_longer_matches_the_data(mission, secretariat):
    data = build_demo_like(mission)
    version = services.statement_start(mission=mission, user=secretariat.user)
    services.statement_edit(
        version=version,
        user=secretariat.user,
        texts={"finding:ed:campaign": "No campaign material was seen anywhere."},
        known_figures=figures.collect(mission)["figures"],
    )
    visit = data["visits"][0]
    answer = visit.answers.get(question__code="campaign")
    answer.option = answer.question.options.get(value="yes")
    answer.save(update_fields=["option"])
    assert services.statement_redraft(version=version, user=secretariat.user) == ["finding:ed:campaign"]
    version.refresh_from_db()
    document = build_document(version)
    stale = next(s for s in document["sections"] if s["key"] == "finding:ed:campaign")
    assert stale["stale"] is True


@pytest.mark.django_db
def test_unknown_figures_are_refused_when_saving(mission, secretariat):
    build_demo_like(mission)
    version = services.statement_start(mission=mission, user=secretariat.user)
    with pytest.raises(services.StatementError, match="no_such_figure"):
        services.statement_edit(
            version=version,
            user=secretariat.user,
            texts={drafting.CONCLUSION: "We saw [[no_such_figure]]."},
            known_figures=figures.collect(mission)["figures"],
        )


def test_token_syntax_is_not_a_template_language():
    figures_ = {"n": {"kind": "count", "value": 3, "label": "n"}}
    assert tokens.plain_text("{{ n }} {% load x %} [[n]] [[n|digits]] [[ n ]]", figures_) == (
        "{{ n }} {% load x %} three 3 three"
    )
    assert tokens.unknown_tokens("[[n]] [[secret.key]]", figures_) == ["secret.key"]
    assert tokens.neutralise("[[n]]") != "[[n]]"


@pytest.mark.django_db
def test_question_wording_cannot_inject_tokens(mission):
    build_demo_like(mission)
    from polling.models import Question

    Question.objects.filter(code="secrecy").update(finding_none="All fine [[serious:count]].")
    snapshot = figures.collect(mission)
    text = next(s for s in drafting.default_sections(snapshot) if s["key"] == "finding:ed:secrecy")["text"]
    assert tokens.token_names(text) == []


@pytest.mark.django_db
def test_snapshot_hash_is_stable_and_changes_with_the_data(mission, observer):
    data = build_demo_like(mission)
    first, again = figures.collect(mission), figures.collect(mission)
    assert figures.sha256(first) == figures.sha256(again)
    make_visit(
        data["version"], make_station(mission, area="Baku > Sabail"), observer, answers={"secrecy": "no"}
    )
    fresh = figures.collect(mission)
    assert figures.sha256(fresh) != figures.sha256(first)
    changed = {c["name"] for c in figures.changed_figures(first, fresh)}
    assert {"stations_visited", "serious:count", "serious:total"} <= changed
    assert "meetings_count" not in changed


def test_drafting_snapshot_has_every_figure_without_gathering_the_visits_behind_them(
    mission, django_assert_max_num_queries
):
    build_demo_like(mission, serious_at=2, campaign_at=5)
    full = figures.collect(mission, annex=False)
    with django_assert_max_num_queries(len(_queries(mission, visit_sets=True)) - 1):
        drafting_only = figures.collect(mission, annex=False, visit_sets=False)
    assert drafting_only["figures"] == full["figures"]
    assert drafting_only["findings"] == full["findings"]
    assert drafting_only["visit_sets"] == {}
    assert len(full["visit_sets"]["serious"]) == 2 and len(full["visit_sets"]["all"]) == 22
    assert drafting.default_sections(drafting_only) == drafting.default_sections(full)


def _queries(mission, **options) -> list:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        figures.collect(mission, annex=False, **options)
    return context.captured_queries

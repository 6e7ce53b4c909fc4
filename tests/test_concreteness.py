"""The svada check: each rule family, the protected grounds, and the labelled sentences."""

from __future__ import annotations

import shutil
import unicodedata
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest
import yaml

from bot.concreteness import (
    Assessment,
    ConcretenessRules,
    Ground,
    assess,
    assessor_for,
    evaluate,
    load_rules,
    phrase_regex,
    rules_for,
)
from conversation_guides import GUIDES_DIR, GuideError

SENTENCES = Path(__file__).parent / "data" / "feedback_sentences.yaml"
STEPS = ("competence", "gaps", "luxury_problem", "self_presentation", "internal_value")
GROUNDS = get_args(Ground)


def family_hit(language: str, section: str, key: str, text: str) -> str | None:
    families = getattr(rules_for(language), section)
    return next(f for f in families if f.key == key).find(text)


# -- the phrase syntax --------------------------------------------------------------------


def test_phrase_star_matches_inflections_and_compounds_but_only_whole_words() -> None:
    import re

    assert re.search(phrase_regex("sterkere kandidat*"), "en  sterkere\nkandidatene")
    assert re.search(phrase_regex("*førerbevis*"), "truckførerbeviset")
    assert re.search(phrase_regex("småbarn*"), "småbarnsmor")
    assert not re.search(phrase_regex("ung"), "ungdomsskole")
    assert not re.search(phrase_regex("age"), "manager")


# -- vague phrase families ----------------------------------------------------------------

VAGUE_FAMILIES = [
    ("nb", "fit", "Du var ikke helt den rette for denne stillingen.", "den rette"),
    ("nb", "fit", "Du passa ikke inn hos oss.", "passa ikke inn"),
    ("nb", "fit", "Du passet dårlig inn i gjengen.", "passet dårlig inn"),
    ("nb", "fit", "Etter en helhetsvurdering ble det nei.", "helhetsvurdering"),
    ("nb", "chemistry", "Personkjemien stemte ikke.", "Personkjemien"),
    ("nb", "stronger_candidates", "Vi gikk for sterkere kandidater.", "gikk for"),
    ("nb", "stronger_candidates", "Det var sterkere søkere med.", "sterkere søkere"),
    ("nb", "stronger_candidates", "Konkurransen var knallhard.", "Konkurransen"),
    ("nb", "hedge", "Det var kanskje litt tynt.", "kanskje"),
    ("nb", "empty_evaluation", "Du var flink.", "flink"),
    ("nb", "nothing_named", "Det var noen hull i forhold til kravene.", "noen hull"),
    ("nb", "courtesy", "Vi setter stor pris på deg.", "setter stor pris"),
    ("en", "fit", "You weren't quite the right fit.", "fit"),
    ("en", "fit", "You didn't tick all the boxes.", "tick all the boxes"),
    ("en", "chemistry", "The chemistry wasn't there.", "chemistry"),
    ("en", "stronger_candidates", "We went with a stronger candidate.", "went with"),
    ("en", "stronger_candidates", "We chose the strongest candidates.", "strongest candidates"),
    ("en", "hedge", "It was maybe a bit thin.", "maybe"),
    ("en", "empty_evaluation", "You were impressive.", "impressive"),
    ("en", "nothing_named", "There were a few gaps against the requirements.", "a few gaps"),
    ("en", "courtesy", "We really appreciate you.", "appreciate"),
]


@pytest.mark.parametrize(("language", "key", "text", "phrase"), VAGUE_FAMILIES)
def test_vague_family_finds_its_phrase_and_the_text_is_vague(
    language: str, key: str, text: str, phrase: str
) -> None:
    assert family_hit(language, "vague", key, text) == phrase
    found = assess(text, language)
    assert found.vague
    assert not found.risky
    assert any(phrase in reason for reason in found.reasons), found.reasons


def test_long_polite_text_with_nothing_in_it_is_vague() -> None:
    text = (
        "Tusen takk for at du tok deg tid til å møte oss, vi satte stor pris på samtalen og "
        "på engasjementet ditt, men etter en grundig og samlet vurdering landet vi på en "
        "annen kandidat som vi mente passet litt bedre inn i teamet akkurat nå."
    )
    found = assess(text, "nb")
    assert found.vague
    assert len(found.reasons) <= 3  # the recruiter gets the main points, not a lecture


def test_evaluation_next_to_an_example_is_not_counted_against_the_text() -> None:
    # "godt" alone is svada; next to what they actually did it is fine.
    assert assess("Du var god.", "nb").vague
    text = "Du svarte godt, men i rollespillet avbrøt du kunden to ganger."
    assert not assess(text, "nb").vague


# -- concrete signals ---------------------------------------------------------------------

CONCRETE = [
    ("nb", "number", "Du har 2 års erfaring, vi trenger 5."),
    ("nb", "counted", "Du har tre års erfaring, vi trenger fem."),
    ("nb", "acronym", "Du kan ikke SQL."),
    ("nb", "proper_name", "Du har ikke jobbet i Visma før."),
    ("nb", "tool_or_qualification", "Mangler truckførerbevis."),
    ("nb", "requirement", "Stillingen krever sikkerhetsklarering."),
    ("nb", "interview_example", "Da du fortalte om prosjektet, hørte vi lite om din rolle."),
    ("nb", "work_sample", "I skriveoppgaven måtte flere avsnitt skrives om."),
    ("nb", "track_record", "Den vi valgte har ledet en tilsvarende omlegging."),
    ("nb", "advice", "Neste gang bør du ta med porteføljen."),
    ("nb", "what_they_did", "I rollespillet avbrøt du kunden."),
    ("nb", "what_they_do", "Du holder vaktlista i gang for hele avdelingen."),
    ("nb", "result", "Rutinen har halvert tiden vi bruker på oppfølging."),
    ("nb", "time_anchor", "Opplegget du satte i gang i fjor brukes fortsatt."),
    ("nb", "contrast", "Du beskrev rutinen i stedet for hva du gjorde."),
    ("nb", "comparison", "Det som skilte var erfaringen med anbud."),
    ("nb", "experience_with", "Du har erfaring med anbudsprosesser."),
    ("nb", "counted", "Her styrer du femten millioner og ni medarbeidere."),
    ("nb", "counted", "Halve dagen er kundesamtaler på telefon."),
    ("nb", "what_they_did", "Du kom for sent til andre intervju og nevnte det ikke."),
    ("en", "number", "You have 2 years; we need 5."),
    ("en", "counted", "You have three years; we need five."),
    ("en", "acronym", "You don't have SQL."),
    ("en", "proper_name", "You haven't used Workday before."),
    ("en", "tool_or_qualification", "Missing a forklift licence."),
    ("en", "requirement", "The job requires security clearance."),
    ("en", "interview_example", "When you described the project, we heard little about you."),
    ("en", "work_sample", "In the role play you interrupted the customer."),
    ("en", "track_record", "The person we hired has already led a similar migration."),
    ("en", "advice", "Next time, bring your portfolio."),
    ("en", "what_they_did", "You interrupted the customer twice."),
    ("en", "what_they_do", "The whole ward depends on the rota you keep."),
    ("en", "result", "Your checklist halved our follow-up time."),
    ("en", "time_anchor", "The course you started last year is still running."),
    ("en", "contrast", "You described the procedure rather than what you did."),
    ("en", "comparison", "The difference was the tender work."),
    ("en", "experience_with", "You have experience with public tenders."),
    ("en", "counted", "Here you would run fifteen million and nine staff."),
    ("en", "counted", "Half of this job is customer calls."),
    ("en", "what_they_did", "You spent twenty minutes on the company history."),
]


@pytest.mark.parametrize(("language", "key", "text"), CONCRETE)
def test_concrete_family_finds_its_signal(language: str, key: str, text: str) -> None:
    assert family_hit(language, "concrete", key, text), f"{key} missed {text!r}"


def _strong_alone(language: str, key: str) -> bool:
    rules = rules_for(language)
    family = next(f for f in rules.concrete if f.key == key)
    return family.weight >= rules.scoring.concrete_needed


@pytest.mark.parametrize(
    ("language", "text"),
    # Weaker signals ("when you...", "because") only count together with another one.
    [(language, text) for language, key, text in CONCRETE if _strong_alone(language, key)],
)
def test_a_concrete_sentence_is_not_vague(language: str, text: str) -> None:
    found = assess(text, language)
    assert not found.vague, found.reasons
    assert found.reasons == []
    assert found.suggestion == rules_for(language).texts.concrete_ok


def test_the_proper_name_signal_ignores_sentence_starts_and_i() -> None:
    assert family_hit("en", "concrete", "proper_name", "Maybe I thought so.") is None
    assert family_hit("nb", "concrete", "proper_name", "Kanskje. Litt.") is None


def test_cv_is_not_a_named_skill() -> None:
    assert family_hit("en", "concrete", "acronym", "Your CV is strong.") is None
    assert assess("Your CV is strong, but something was missing.", "en").vague


# -- short texts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"), [("nb", ""), ("nb", "   "), ("nb", "Ok."), ("en", "No."), ("en", "Fine.")]
)
def test_too_short_is_vague_and_says_so(language: str, text: str) -> None:
    found = assess(text, language)
    assert found.vague
    assert not found.risky
    assert found.reasons


def test_too_short_reason_is_given_when_no_phrase_explains_it() -> None:
    assert assess("Nei.", "nb").reasons == [rules_for("nb").texts.too_short]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nb", "Mangler sertifikat klasse C, som er et krav."),
        ("nb", "Mangler førerkort klasse B."),
        ("nb", "Mangler SQL."),
        ("en", "No driving licence, which is a requirement."),
        ("en", "Missing PRINCE2."),
        ("nb", "Du har ikke C1 i norsk."),
        ("en", "You lack IFRS experience."),
        ("en", "Missing a forklift licence."),
        # Two weak signals back each other: a system's name and "the one we chose".
        ("nb", "Den vi valgte, kan Tripletex."),
    ],
)
def test_short_but_concrete_is_not_vague(language: str, text: str) -> None:
    assert not assess(text, language).vague


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nb", "log Per ringt"),
        ("nb", "Hei Kari, takk for sist!"),
        ("nb", "Vi snakket med Lise og Per."),
        ("nb", "Det var 2 gode kandidater."),
        ("en", "log Peter called"),
        ("en", "Hi Sarah, thanks again!"),
        ("en", "You came 2nd overall."),
    ],
)
def test_one_weak_signal_does_not_rescue_a_short_text(language: str, text: str) -> None:
    # A capitalised word or a bare number is a hint, not content.
    found = assess(text, language, "internal_value")
    assert found.concrete and all(_is_weak(language, key) for key in found.concrete)
    assert found.vague
    assert found.reasons
    assert found.suggestion == rules_for(language).suggestions.steps["internal_value"]


def _is_weak(language: str, key: str) -> bool:
    return next(f for f in rules_for(language).concrete if f.key == key).weak


def test_a_short_text_rescued_by_a_name_alone_is_called_too_short() -> None:
    assert assess("log Per ringt", "nb", "internal_value").reasons == [
        rules_for("nb").texts.too_short
    ]


@pytest.mark.parametrize(
    ("language", "text", "phrase"),
    [
        ("nb", "Hei Ola, takk for en hyggelig prat, det var veldig fint å møte deg.", "fint"),
        ("en", "Hi Ben, thanks for a lovely chat, it was really nice to meet you.", "lovely"),
    ],
)
def test_a_name_does_not_excuse_an_evaluation_with_no_example(
    language: str, text: str, phrase: str
) -> None:
    found = assess(text, language)
    assert found.concrete == ["proper_name"]
    assert found.vague
    assert any(f"{phrase}" in reason for reason in found.reasons), found.reasons


def test_the_weak_flag_is_what_keeps_a_name_from_rescuing_a_short_text(rules_copy: Path) -> None:
    def strengthen_names(data: dict[str, list[dict[str, object]]]) -> None:
        next(f for f in data["concrete"] if f["key"] == "proper_name")["weak"] = False

    assert assessor_for("nb")("log Per ringt").vague
    _break(rules_copy, strengthen_names)
    assert not evaluate(load_rules(rules_copy), "log Per ringt").vague


def test_long_text_with_no_signal_at_all_says_nothing_concrete_was_found() -> None:
    text = "Vi har tenkt grundig gjennom saken og blitt enige om veien videre for stillingen."
    found = assess(text, "nb")
    assert found.vague
    assert found.reasons == [rules_for("nb").texts.no_concrete]


# -- protected grounds ----------------------------------------------------------------------

RISKY = [
    ("nb", "age", "Vi er en ung og dynamisk gjeng."),
    ("nb", "age", "Vi ønsket en yngre profil."),
    ("nb", "age", "Vi er usikre på om en 58-åring orker omstillingen."),
    ("nb", "age", "Du nærmer deg jo pensjonsalderen."),
    ("nb", "gender", "En mannlig leder ville balansert teamet."),
    ("nb", "gender", "Det er tungt arbeid for en kvinne."),
    ("nb", "family", "Som småbarnsmor får du det travelt med turnus."),
    ("nb", "family", "Graviditeten gjør tidspunktet vanskelig."),
    ("nb", "family", "Du er nettopp tilbake fra foreldrepermisjon."),
    ("nb", "family", "Planlegger du flere barn?"),
    ("nb", "family", "Du har tre barn, så reisingen blir tung."),
    ("nb", "family", "Med ungene hjemme blir kveldsvaktene vanskelige."),
    ("nb", "ethnicity", "Vi ønsket noen som er etnisk norsk."),
    ("nb", "ethnicity", "Folk med innvandrerbakgrunn sliter ofte med fagspråket."),
    ("nb", "ethnicity", "Vi ønsket noen med norsk som morsmål."),
    ("nb", "ethnicity", "Aksenten din kan bli et problem."),
    ("nb", "ethnicity", "Med din somaliske bakgrunn blir det vanskelig."),
    ("nb", "religion", "Hijaben din kan skape utfordringer i kundemøter."),
    ("nb", "religion", "Troen din kan komme i veien for helgejobbing."),
    ("nb", "disability", "Med ADHD blir det vanskelig med overtid."),
    ("nb", "disability", "Vi er usikre på om helsa di tåler tempoet."),
    ("nb", "disability", "Du stammet en del i intervjuet."),
    ("nb", "sexual_orientation", "Som homofil ville du fått det tøft her."),
    ("nb", "sexual_orientation", "Du nevnte kjæresten din flere ganger."),
    ("nb", "age", "Kandidaten er 61 år, og vi trenger en som blir lenge."),
    ("nb", "age", "Han er nok overkvalifisert for denne jobben."),
    ("nb", "age", "Han er for gammal til å lære det nye systemet."),
    ("nb", "gender_identity", "Hen er ikke-binær, og vi tror teamet ikke er klart for det."),
    ("nb", "care_responsibilities", "Hun tar seg av sin syke mor, så reising blir vanskelig."),
    ("nb", "care_responsibilities", "Ho har tre born, så vaktene blir vanskelege."),
    ("nb", "ethnicity", "Vi lurer på om hun vil passe inn kulturelt."),
    ("nb", "ethnicity", "Gutane på lageret vil ha ein av sine eigne."),
    ("nb", "national_origin", "Kandidaten kommer fra Polen."),
    ("nb", "national_origin", "Han er frå Øst-Europa, så vi valde ein annan."),
    ("nb", "national_origin", "Han er svensk, så han drar sikkert hjem igjen."),
    ("nb", "health", "Hun har vært sykmeldt mye det siste året."),
    ("nb", "health", "Ho har vore sjukmeld i fleire månader."),
    ("nb", "health", "Han går på antidepressiva."),
    ("nb", "health", "Han er uføretrygdet på halv tid."),
    ("nb", "political_views", "Han er aktiv i Rødt."),
    ("nb", "political_views", "Ho sit i kommunestyret for Senterpartiet."),
    ("nb", "trade_union", "Hun er medlem av Fagforbundet og tillitsvalgt."),
    ("nb", "trade_union", "Ho har vore plasstillitsvald i LO."),
    ("en", "age", "We want a young, energetic team."),
    ("en", "age", "With retirement a few years away, it makes no sense."),
    ("en", "age", "He's a digital native, and that matters."),
    ("en", "gender", "We picked a man because the team is all women."),
    ("en", "gender", "She'd struggle to fit in with the lads."),
    ("en", "family", "With three small children you couldn't manage the on-call rota."),
    ("en", "family", "You're just back from maternity leave."),
    ("en", "family", "Are you planning to start a family?"),
    ("en", "family", "With two little ones at home, the travel would be hard."),
    ("en", "ethnicity", "We really need a native English speaker."),
    ("en", "ethnicity", "Your accent might put clients off."),
    ("en", "ethnicity", "With a foreign-sounding name, customers may hang up."),
    ("en", "ethnicity", "Your Somali background would make it hard."),
    ("en", "religion", "Your headscarf might put some clients off."),
    ("en", "religion", "Your religion might stop you working Saturdays."),
    ("en", "disability", "With your diagnosis, night shifts wouldn't be fair."),
    # Sick leave is health, its own ground since the second edition (issue 13).
    ("en", "health", "Given your sick leave last year, we held back."),
    ("en", "disability", "Your wheelchair would make site visits hard."),
    ("en", "sexual_orientation", "Clients might react badly to you being gay."),
    ("en", "sexual_orientation", "You mentioned your girlfriend a few times."),
    ("en", "age", "She's 57 and we need someone who'll stay long."),
    ("en", "age", "Probably overqualified for this one."),
    ("en", "gender_identity", "The candidate is transitioning."),
    ("en", "care_responsibilities", "He's a single dad, so night shifts are out."),
    ("en", "ethnicity", "Not sure he'd fit in culturally."),
    ("en", "national_origin", "Candidate is from Romania, we went with a local."),
    ("en", "national_origin", "He's from Eastern Europe."),
    ("en", "national_origin", "He's Nigerian, so we weren't sure."),
    ("en", "health", "She's on medication for depression."),
    ("en", "health", "He was on sick leave for most of last year."),
    ("en", "political_views", "She's openly a Green Party activist."),
    ("en", "trade_union", "He's a union rep at his current place."),
]


@pytest.mark.parametrize(("language", "ground", "text"), RISKY)
def test_risky_wording_is_flagged_with_the_ground_and_why(
    language: str, ground: str, text: str
) -> None:
    found = assess(text, language, "gaps")
    assert found.risky
    assert ground in found.grounds
    why = "vernet" if language == "nb" else "protected"
    assert why in found.reasons[0]  # the risky reason comes first and says why
    assert found.suggestion.startswith(rules_for(language).texts.risky_suggestion)


def test_every_ground_is_covered_in_both_languages() -> None:
    for language in ("nb", "en"):
        assert {family.ground for family in rules_for(language).risky} == set(GROUNDS)
        assert {ground for lang, ground, _ in RISKY if lang == language} == set(GROUNDS)


def test_a_risky_text_is_told_only_why_it_is_risky() -> None:
    # The hedge "egentlig" is vague too, but next to a protected ground it is noise.
    found = assess("Vi ønsket oss egentlig noen med norsk som morsmål.", "nb", "gaps")
    rules = rules_for("nb")
    origin = next(f for f in rules.risky if f.key == "language_origin")
    assert found.risky and found.vague
    assert found.reasons == [origin.explain("morsmål")]
    assert found.suggestion == f"{rules.texts.risky_suggestion} {rules.suggestions.steps['gaps']}"


def test_no_more_vague_phrases_are_named_than_max_reasons() -> None:
    text = "Du har god erfaring, men ikke helt det vi så etter."
    rules = rules_for("nb")
    hits = [f.key for f in rules.vague if f.find(text)]
    assert len(hits) > rules.scoring.max_reasons  # fit, hedge and an empty evaluation
    found = assess(text, "nb")
    assert len(found.reasons) == rules.scoring.max_reasons == 2
    assert "det vi så etter" in found.reasons[0]  # in the order of the file: fit first


def _texts_shown(rules: ConcretenessRules) -> list[str]:
    families = [*rules.vague, *rules.risky]
    return [
        *(family.reason for family in families),
        *rules.texts.model_dump().values(),
        rules.suggestions.default,
        *rules.suggestions.steps.values(),
    ]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_every_text_shown_to_the_recruiter_ends_a_sentence(language: str) -> None:
    # The coach joins reasons and suggestion with spaces, so each must end its own sentence.
    for text in _texts_shown(rules_for(language)):
        ending = text.rstrip().rstrip('»"”')
        assert ending.endswith((".", "?", "!")), text
        assert "  " not in text, text


def test_risky_outranks_a_concrete_text() -> None:
    text = "Du har ledet kvalitetsarbeidet i tre år, men vi ville ha en mannlig leder."
    found = assess(text, "nb", "internal_value")
    assert found.risky
    assert not found.vague
    assert found.suggestion == rules_for("nb").texts.risky_suggestion


def test_risky_words_do_not_count_as_concrete_content() -> None:
    # "English" would be a named language; here it only describes where someone is from.
    found = assess("We really need a native English speaker for this one.", "en")
    assert found.risky
    assert found.vague


LOOK_ALIKES = [
    ("nb", "Stillingen krever skriftlig norsk på C1-nivå, og i skriveoppgaven var det feil."),
    ("nb", "Du har teknisk bakgrunn fra Equinor, men mangler erfaring med SAP."),
    ("nb", "Mannskapet på båten trenger en med fagbrev."),
    ("nb", "Problemet stammer fra at du ikke hadde sertifikat."),
    ("nb", "Du har jobbet i eldreomsorgen i fem år, men ikke på sykehus."),
    ("nb", "Vi er en familiebedrift, og stillingen krever truckførerbevis."),
    ("nb", "Det som tippet det, var at hun hadde ledet en tilsvarende overgang."),
    ("nb", "Du stammer fra en familie av lærere, og timen du holdt for 7B var god."),
    ("en", "We follow health and safety rules, and you have no NEBOSH certificate."),
    ("en", "Fluent German is required, and your German test was at A2."),
    ("en", "You have a technical background in Java, but no Kotlin."),
    ("en", "We're a family business and need someone with a forklift licence."),
    ("en", "Both of you were strong, but she had run the same migration to Epic."),
    ("en", "You have experience in foreign exchange, but not in payments."),
    # Children as the work itself, not the candidate's family.
    ("nb", "Vi har 30 barn på avdelingen, og stillingen krever barnehagelærerutdanning."),
    ("nb", "Den vi ansatte, har jobbet fem år i barnevernet i en kommune."),
    # A job topic that looks like a ground is not about the person (issue 13).
    ("nb", "Du har ikke jobbet med pensjon og OTP, og det er halve lønnsjobben her."),
    ("nb", "Du har ikkje jobba med pensjon og OTP, og det er kjernen i stillinga."),
    ("nb", "Stillingen handler om regelverket for foreldrepenger, og du kan ikke NAV-regelverket."),
    ("nb", "Du mangler barnehagelærerutdanning, som er et krav for pedagogisk leder i barnehagen."),
    ("nb", "Mangler HMS-kurs for ledere, som er påkrevd fra dag én."),
    ("nb", "Rollen er rådgiver på sykefraværsoppfølging, og du har ikke jobbet med IA-avtalen."),
    (
        "nb",
        "Du har ikke jobbet med tariffavtaler, og som forhandler møter du fagforeningene.",
    ),
    ("nb", "Jobben er å følge opp leverandørene i Polen på polsk, og polsk snakker du ikke."),
    ("nb", "Vi trenger noen som kan føre regnskap etter IFRS, og erfaringen din er fra NRS."),
    ("en", "You haven't worked with pensions or auto-enrolment, and that's half the payroll role."),
    ("en", "The role is advising managers on maternity-pay rules, and you don't know SMP."),
    ("en", "The job is room lead in a nursery, and you have no Level 3 childcare qualification."),
    ("en", "The role is absence management, and you haven't handled long-term sick leave cases."),
    ("en", "The role is a mental health nurse on a ward, and you have no RMN registration yet."),
    # «som manglet» after the thing itself names it.
    ("nb", "Det var budsjettansvaret som manglet, og det er en stor del av stillingen her."),
]


@pytest.mark.parametrize(("language", "text"), LOOK_ALIKES)
def test_look_alikes_and_legitimate_language_requirements_are_not_risky(
    language: str, text: str
) -> None:
    found = assess(text, language)
    assert not found.risky, found.reasons
    assert not found.vague, found.reasons


# -- Norwegian text handling ----------------------------------------------------------------


def test_decomposed_letters_are_normalised() -> None:
    text = unicodedata.normalize("NFD", "Som småbarnsmor får du det travelt.")
    assert "å" not in text  # decomposed into a + ring
    assert assess(text, "nb").risky


def test_curly_apostrophes_match() -> None:
    assert family_hit("en", "vague", "fit", "You didn\u2019t fit in.") == "fit"
    assert assess("You\u2019ve only done data entry in ADP.", "en").concrete


# -- suggestions --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("step", STEPS)
def test_the_suggestion_is_tailored_to_the_step(language: str, step: str) -> None:
    text = "Du var ikke den rette." if language == "nb" else "You weren't the right fit."
    found = assess(text, language, step)
    assert found.suggestion == rules_for(language).suggestions.steps[step]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_without_a_step_the_default_suggestion_is_given(language: str) -> None:
    rules = rules_for(language)
    assert assess("Ok.", language).suggestion == rules.suggestions.default
    assert assess("Ok.", language, "not_a_step").suggestion == rules.suggestions.default
    assert len(set(rules.suggestions.steps.values())) == len(STEPS)


def test_a_risky_and_vague_text_gets_both_suggestions() -> None:
    found = assess("Vi ønsket oss en yngre profil.", "nb", "luxury_problem")
    rules = rules_for("nb")
    assert found.vague and found.risky
    assert found.suggestion == (
        f"{rules.texts.risky_suggestion} {rules.suggestions.steps['luxury_problem']}"
    )


# -- loading the rules --------------------------------------------------------------------


def test_rules_are_loaded_once_and_cached() -> None:
    assert rules_for("nb") is rules_for("nb")
    assert isinstance(rules_for("en"), ConcretenessRules)


def test_assessor_for_binds_a_language() -> None:
    check = assessor_for("en")
    found = check("We went with a stronger candidate.", "gaps")
    assert isinstance(found, Assessment)
    assert found.vague


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="sv"):
        assess("Hej", "sv")


def test_both_languages_have_the_same_families() -> None:
    nb, en = rules_for("nb"), rules_for("en")
    for section in ("vague", "concrete", "risky"):
        assert [f.key for f in getattr(nb, section)] == [f.key for f in getattr(en, section)]


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    path = tmp_path / "nb" / "concreteness.yaml"
    path.parent.mkdir()
    shutil.copy(GUIDES_DIR / "nb" / "concreteness.yaml", path)
    return path


def _break(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["vague"][0].update(patterns=["(unclosed"]), "vague.0.patterns"),
        (lambda d: d["vague"][1].update(weight="heavy"), "vague.1.weight"),
        (lambda d: d["vague"][2].pop("reason"), "vague.2.reason"),
        (lambda d: d["risky"][0].update(ground="height"), "risky.0.ground"),
        (lambda d: d["suggestions"]["steps"].pop("gaps"), "suggestions.steps"),
        (lambda d: d["texts"].update(too_shrot="typo"), "texts.too_shrot"),
        (lambda d: d["scoring"].pop("concrete_needed"), "scoring.concrete_needed"),
        (lambda d: d["concrete"][0].update(phrases=[], patterns=[]), "concrete.0"),
        (lambda d: d["concrete"][0].update(weak="sometimes"), "concrete.0.weak"),
        (lambda d: d["vague"][0].update(weak=True), "vague.0.weak"),
        (lambda d: d["scoring"].update(short_text_words=2), "scoring"),
    ],
)
def test_a_malformed_file_fails_naming_the_file_and_field(
    rules_copy: Path, change: object, field: str
) -> None:
    _break(rules_copy, change)
    with pytest.raises(GuideError) as raised:
        load_rules(rules_copy)
    message = str(raised.value)
    assert str(rules_copy) in message
    assert field in message


def test_a_file_that_is_not_yaml_fails_naming_the_file(rules_copy: Path) -> None:
    rules_copy.write_text("vague: [unclosed\n", encoding="utf-8")
    with pytest.raises(GuideError) as raised:
        load_rules(rules_copy)
    assert str(rules_copy) in str(raised.value)


def test_the_shipped_files_load() -> None:
    for language in ("nb", "en"):
        rules = load_rules(GUIDES_DIR / language / "concreteness.yaml")
        assert rules.language == language


# -- the guides' own examples -------------------------------------------------------------


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_guides_own_examples_pass_their_own_check(language: str) -> None:
    # The coach must never reject the concrete example it shows, nor accept the vague one.
    guide = yaml.safe_load((GUIDES_DIR / language / "guide.yaml").read_text(encoding="utf-8"))
    for step in guide["steps"]:
        good = assess(step["concrete_example"], language, step["key"])
        bad = assess(step["vague_example"], language, step["key"])
        assert not good.vague and not good.risky, (step["key"], good.reasons)
        assert bad.vague, step["key"]


# -- the labelled sentences ---------------------------------------------------------------


def _sentences() -> list[dict[str, object]]:
    return yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))


def test_the_labelled_set_is_big_and_balanced() -> None:
    items = _sentences()
    assert len(items) >= 240
    required = {"language", "risky", "split", "step", "text", "vague"}
    optional = {"grounds", "trap", "variety"}
    assert all(required <= set(item) <= required | optional for item in items)
    assert len({item["text"] for item in items}) == len(items)
    count = Counter((item["language"], item["step"]) for item in items)
    assert all(count[(lang, step)] >= 20 for lang in ("nb", "en") for step in STEPS)
    for language in ("nb", "en"):
        mine = [item for item in items if item["language"] == language]
        assert sum(bool(item["risky"]) for item in mine) >= 20
        vague = sum(bool(item["vague"]) for item in mine)
        assert 0.35 <= vague / len(mine) <= 0.65
        assert {item["split"] for item in mine} == {
            "dev",
            "holdout",
            "fresh",
            "fresh-2026-11",
            "fresh-2026-11-holdout",
        }
        # holdout is a share of the sentences the rules were written against (dev + holdout);
        # fresh is a separate, later test in another style, and big enough to say something.
        written = [item for item in mine if item["split"] in ("dev", "holdout")]
        holdout = sum(item["split"] == "holdout" for item in written)
        assert 0.25 <= holdout / len(written) <= 0.4
        fresh = [item for item in mine if item["split"] == "fresh"]
        assert len(fresh) >= 40
        assert 0.4 <= sum(bool(item["vague"]) for item in fresh) / len(fresh) <= 0.6
        assert {item["step"] for item in fresh} == set(STEPS)


def test_the_second_edition_set_covers_every_ground_style_and_keeps_a_held_out_part() -> None:
    # Issue 13: 200+ sentences written before the rules changed, 80+ of them never tuned on.
    new = [i for i in _sentences() if str(i["split"]).startswith("fresh-2026-11")]
    held_out = [i for i in new if i["split"] == "fresh-2026-11-holdout"]
    assert len(new) >= 200
    assert len(held_out) >= 80
    for part in (new, held_out):
        for language in ("nb", "en"):
            mine = [i for i in part if i["language"] == language]
            grounds = {g for i in mine for g in i.get("grounds", [])}
            assert grounds == set(GROUNDS) - {"gender"}, sorted(set(GROUNDS) - grounds)
            assert sum(bool(i.get("trap")) for i in mine) >= 5
        assert sum(i.get("variety") == "nn" for i in part) >= 10
    for item in new:
        # Every risky sentence names its grounds; no other sentence does.
        assert bool(item["risky"]) == bool(item.get("grounds")), item["text"]
        assert set(item.get("grounds", [])) <= set(GROUNDS)
        assert not (item.get("trap") and item["risky"]), item["text"]


@pytest.mark.parametrize("split", ["dev", "fresh-2026-11"])
@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_tuning_splits_are_classified_correctly(language: str, split: str) -> None:
    dev = [i for i in _sentences() if i["split"] == split and i["language"] == language]
    wrong = {"vague": [], "risky": []}
    for item in dev:
        found = assess(str(item["text"]), language, str(item["step"]))
        for label in wrong:
            if getattr(found, label) != item[label]:
                wrong[label].append(item["text"])
    for label, misses in wrong.items():
        accuracy = 1 - len(misses) / len(dev)
        assert accuracy >= 0.97, (label, misses)


# -- the person, not the topic (second edition) ---------------------------------------------


def test_a_topic_counts_only_about_the_person_and_hr_decides_which_words_are_topics(
    rules_copy: Path,
) -> None:
    about_job = "Du har ikke jobbet med pensjon og OTP, og det er halve jobben."
    about_person = "Han nærmer seg pensjon, så vi valgte en annen."
    assert not assess(about_job, "nb").risky
    found = assess(about_person, "nb")
    assert found.risky and found.grounds == ["age"]

    def make_pension_an_attribute(data: dict[str, list[dict[str, object]]]) -> None:
        age = next(f for f in data["risky"] if f["key"] == "age")
        age["topics"] = [t for t in age["topics"] if "pensjon" not in str(t)]  # type: ignore[union-attr]
        age["phrases"] = [*age["phrases"], "pensjon"]  # type: ignore[misc]

    _break(rules_copy, make_pension_an_attribute)
    assert evaluate(load_rules(rules_copy), about_job).risky


def test_a_job_word_in_the_clause_makes_it_about_the_job(rules_copy: Path) -> None:
    text = "Hun har vært sykmeldt, og rådgiver på sykefraværsoppfølging er jobben."
    assert assess(text, "nb").risky  # the first clause is about her

    def forget_job_words(data: dict[str, dict[str, object]]) -> None:
        data["person"]["job_words"] = ["stillingsbrøk"]

    role = "Rollen gjelder sykefraværsoppfølging, og du har ikke fulgt opp sykmeldte før."
    assert not assess(role, "nb").risky
    _break(rules_copy, forget_job_words)
    assert evaluate(load_rules(rules_copy), role).risky


def test_inflections_and_nynorsk_are_found_through_lemmas() -> None:
    for text in ("Ho er sjukmeld.", "Han er sykmeldt igjen.", "Hun var sykmeldte i fjor."):
        assert "health" in assess(text, "nb").grounds, text
    assert "national_origin" in assess("Han er polakk.", "nb").grounds
    assert "care_responsibilities" in assess("Ho har to born som er små.", "nb").grounds


def test_countries_and_regions_come_from_cldr_in_each_language() -> None:
    from bot.lexicon import place_names

    # No hand-typed list has these; CLDR has them in nb, nn and en.
    assert "Kirgisistan" in place_names("nb") and "Kirgisistan" in place_names("nn")
    assert "Kyrgyzstan" in place_names("en")
    assert assess("Hun kommer fra Kirgisistan.", "nb").grounds == ["national_origin"]
    assert assess("Ho kjem frå Austerrike.", "nb").grounds == ["national_origin"]
    assert assess("She's from Kyrgyzstan.", "en").grounds == ["national_origin"]
    # A place in the job is no origin: the work is there, not the person from there.
    assert not assess("Jobben er å følge opp kundene i Polen på polsk.", "nb").risky
    assert place_names("nb") is place_names("nb")  # loaded once per process


def test_text_in_the_other_language_is_read_with_that_languages_rules() -> None:
    # "men" in a Norwegian sentence is "but", not English "men".
    norwegian = "Hun har god erfaring, men mangler sertifikat klasse C for lastebil."
    assert not assess(norwegian, "en").risky
    assert assess("We picked a man because the team is all women.", "en").risky
    # English written by a Norwegian-speaking recruiter: found, explained in Norwegian.
    found = assess("She is pregnant and due in spring.", "nb")
    assert found.risky and found.grounds == ["family"]
    assert "vernet mot diskriminering" in found.reasons[0]
    # Mixed text stays with the recruiter's language.
    assert not assess("Skills ok, men communication var litt off i intervjuet.", "nb").risky


def test_a_feeling_as_the_reason_is_vague_and_a_no_show_is_concrete() -> None:
    assert assess("magefølelsen sa nei", "nb").vague
    assert assess("gut said no", "en").vague
    assert not assess("Møtte ikke opp til andre intervju og ga ikke beskjed.", "nb").vague
    assert not assess("Didn't turn up to the second interview.", "en").vague
    moment = (
        "When we asked about the outage, she described what the team did, not her own part "
        "or the result."
    )
    assert not assess(moment, "en").vague


def test_look_alikes_are_blanked_for_topic_words_too() -> None:
    # health has only topic words; its "unless" must still apply to them.
    assert not assess("She sold into a depressed market for years, and hit target.", "en").risky
    assert assess("She has been depressed for years.", "en").risky

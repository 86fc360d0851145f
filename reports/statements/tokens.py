"""Figure tokens in statement prose: `[[stations_visited]]`, `[[teams_count|digits]]`.

Prose is stored as plain text in which a token stands for a figure. Tokens are
resolved against a data snapshot whenever the text is shown, so editing the words
around a figure never freezes the figure. This is deliberately not a template
language: there are no expressions, no filters beyond `words`/`digits`, and
nothing from the text is ever executed or marked safe.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reports.statements.language import number_in_digits, number_in_words

TOKEN_RE = re.compile(r"\[\[\s*([A-Za-z0-9_.:/-]{1,120})\s*(?:\|\s*(words|digits)\s*)?\]\]")
PARAGRAPH_RE = re.compile(r"\n\s*\n")
# Explicit direction embeddings, overrides and isolates: in a name they would reorder the sentence around it.
DIRECTION_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Text:
    text: str
    is_figure = False
    is_unknown = False


@dataclass(frozen=True)
class Figure:
    name: str
    text: str
    label: str
    visit_set: str | None
    is_figure = True
    is_unknown = False


@dataclass(frozen=True)
class Unknown:
    name: str
    text: str
    is_figure = False
    is_unknown = True


def token(name: str, modifier: str = "") -> str:
    """The token for a figure, as drafting writes it into default text."""
    return f"[[{name}|{modifier}]]" if modifier else f"[[{name}]]"


def neutralise(text: str) -> str:
    """Make text from elsewhere (question wording, names) unable to smuggle in tokens or reorder the sentence."""
    text = DIRECTION_CONTROLS_RE.sub("", text)
    return text.replace("[[", "[\u200b[").replace("]]", "]\u200b]")


def token_names(text: str) -> list[str]:
    return [m.group(1) for m in TOKEN_RE.finditer(text or "")]


def unknown_tokens(text: str, figures: dict) -> list[str]:
    return sorted({name for name in token_names(text) if name not in figures})


def display(figure: dict, modifier: str | None = None) -> str:
    """A figure as the reader sees it: counts up to ten in words, larger ones and shares in figures."""
    kind, value = figure.get("kind"), figure.get("value")
    if kind == "count":
        if modifier == "digits":
            return number_in_digits(value)
        return number_in_words(value)
    if kind == "percent":
        # Whole per cent, as the wording around it expects ("({percent}%)").
        return number_in_digits(value)
    return str(value if value is not None else "")


def parts(text: str, figures: dict) -> Iterator[Text | Figure | Unknown]:
    """Split one paragraph into plain text and resolved figures."""
    position = 0
    for match in TOKEN_RE.finditer(text):
        if match.start() > position:
            yield Text(text[position : match.start()])
        name, modifier = match.group(1), match.group(2)
        figure = figures.get(name)
        if figure is None:
            yield Unknown(name=name, text=match.group(0))
        else:
            yield Figure(
                name=name,
                text=display(figure, modifier),
                label=str(figure.get("label", "")),
                visit_set=figure.get("visits"),
            )
        position = match.end()
    if position < len(text):
        yield Text(text[position:])


def paragraphs(text: str, figures: dict) -> list[list[Text | Figure | Unknown]]:
    """The text's paragraphs (separated by blank lines), each as a list of parts."""
    chunks = [chunk.strip() for chunk in PARAGRAPH_RE.split((text or "").replace("\r\n", "\n"))]
    return [list(parts(" ".join(chunk.split()), figures)) for chunk in chunks if chunk]


def plain_text(text: str, figures: dict) -> str:
    """The text with every figure resolved, paragraphs separated by blank lines."""
    return "\n\n".join("".join(part.text for part in paragraph) for paragraph in paragraphs(text, figures))

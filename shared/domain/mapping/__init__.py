"""Mapping a sender's document to an event: dotted paths or JMESPath expressions with the
project's functions (functions.py), value maps (values.py), media (media.py), times
(times.py), evaluated by engine.py. Pure: the gateway's webhook intake, its preview and the
`pinned` command line all map with this."""

from shared.domain.mapping.engine import Mapped, UnmappedEvent, evaluate, map_event
from shared.domain.mapping.expressions import (
    Expression,
    InvalidExpression,
    compile_expression,
)
from shared.domain.mapping.functions import MappingContext, MappingProblem
from shared.domain.mapping.notes import Note
from shared.domain.mapping.values import ValueMap

__all__ = [
    "Expression",
    "InvalidExpression",
    "Mapped",
    "MappingContext",
    "MappingProblem",
    "Note",
    "UnmappedEvent",
    "ValueMap",
    "compile_expression",
    "evaluate",
    "map_event",
]

"""Reading a question: what each name in it is for, and which models could answer it.

The cue words decide the **role** of each mention: the thing counted ("how many orders"),
the metric ("average price", "revenue"), a grouping ("by country", "per month"), the entity
of a top-N or having question ("top 5 customers", "countries with more than 50
customers"), the field of a comparison or a text search, the date field of a time
expression, or a filter (values, segments, yes/no fields, "without X").

Modules, bottom to top: :mod:`.records` (the roles found), :mod:`.composer` (the question
being read and the lookups every rule shares), :mod:`.hints` (names that say something
about another name), then one module per family of rules, in the order
:mod:`.assign` runs them: :mod:`.times`, :mod:`.searches`, :mod:`.counting`,
:mod:`.top`, :mod:`.metrics`, :mod:`.groups`, :mod:`.comparisons`, :mod:`.remaining`.
:mod:`.sources` lists the models that could be the **source** (the counted model, the
metric's model, a model named as the subject, the owner of a value, and models below them
that reach every group through to-one relations). :mod:`..readings` builds one plan per
source from this.
"""

from djai_dsl.planners.offline.roles.assign import assign_roles
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.records import Metric, Roles, Top
from djai_dsl.planners.offline.roles.sources import sales_verb, source_candidates, units_aggregate

__all__ = [
    "Composer",
    "Metric",
    "Roles",
    "Top",
    "assign_roles",
    "sales_verb",
    "source_candidates",
    "units_aggregate",
]

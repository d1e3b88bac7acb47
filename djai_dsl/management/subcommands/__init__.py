"""Subcommands of ``manage.py djai``.

Each subcommand is a :class:`~djai_dsl.management.subcommands.base.Subcommand` subclass in its
own small module. To add one, write the module and add a line to :data:`SUBCOMMANDS`; the
``djai`` command builds its argument parser and dispatches from this table.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from djai_dsl.management.subcommands.base import Subcommand

#: subcommand name -> dotted path of its Subcommand class, in the order ``--help`` lists them
SUBCOMMANDS: dict[str, str] = {
    "manifest": "djai_dsl.management.subcommands.manifest.ManifestSubcommand",
    "query": "djai_dsl.management.subcommands.query.QuerySubcommand",
    "explain": "djai_dsl.management.subcommands.query.ExplainSubcommand",
    "prompt": "djai_dsl.management.subcommands.prompt.PromptSubcommand",
    "run-plan": "djai_dsl.management.subcommands.run_plan.RunPlanSubcommand",
    "run-code": "djai_dsl.management.subcommands.run_code.RunCodeSubcommand",
    "ask": "djai_dsl.management.subcommands.ask.AskSubcommand",
    "stats": "djai_dsl.management.subcommands.stats.StatsSubcommand",
    "eval": "djai_dsl.management.subcommands.eval.EvalSubcommand",
}


def load_subcommands() -> dict[str, type[Subcommand]]:
    return {name: import_string(path) for name, path in SUBCOMMANDS.items()}

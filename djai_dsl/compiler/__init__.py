"""plan + manifest + timezone + now -> CompiledQuery (pure: no I/O, no clock)."""

from djai_dsl.compiler.core import compile_plan, fingerprint
from djai_dsl.compiler.types import Column, CompiledQuery, OrderKey

__all__ = ["Column", "CompiledQuery", "OrderKey", "compile_plan", "fingerprint"]

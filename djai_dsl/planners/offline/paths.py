"""Relation paths between models: how to get from the source model to a name.

Routes are shortest by cost, where a to-one hop costs 1 and a to-many hop 3: "orders by
customer country" goes order -> customer (one hop, to-one), never through a to-many detour
when a to-one road exists. Self-references (a category's parent) are not followed when
looking for another model, so routes never wander up a tree.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from djai_dsl.conf import get_config
from djai_dsl.manifest.types import Manifest, RelationInfo

TO_ONE_COST = 1
TO_MANY_COST = 3


@dataclass(frozen=True)
class Route:
    target: str
    hops: tuple[RelationInfo, ...]

    @property
    def path(self) -> str:
        return ".".join(h.name for h in self.hops)

    @property
    def to_many(self) -> bool:
        return any(h.many for h in self.hops)

    @property
    def length(self) -> int:
        return len(self.hops)

    def join(self, name: str) -> str:
        """The dotted path to ``name`` on the target model."""
        return f"{self.path}.{name}" if self.hops else name

    def split_at_many(self) -> tuple[str, str]:
        """("orders.items", "product.category") for a route with to-many hops: the part up
        to and including the last to-many hop (an ``exists`` relation), and the rest."""
        last = max(i for i, h in enumerate(self.hops) if h.many)
        head = ".".join(h.name for h in self.hops[: last + 1])
        tail = ".".join(h.name for h in self.hops[last + 1 :])
        return head, tail


def routes_from(manifest: Manifest, source: str) -> dict[str, Route]:
    """The cheapest route from ``source`` to every model it can reach."""
    max_hops = int(get_config()["MAX_RELATION_HOPS"])
    best: dict[str, Route] = {source: Route(source, ())}
    costs = {source: 0}
    queue: list[tuple[int, int, str, tuple[RelationInfo, ...]]] = [(0, 0, source, ())]
    counter = 0
    while queue:
        cost, _, label, hops = heapq.heappop(queue)
        if cost > costs.get(label, 1 << 30):
            continue
        info = manifest.models.get(label)
        if info is None or len(hops) >= max_hops:
            continue
        for rel in info.relations.values():
            if rel.target == label or rel.target not in manifest.models:
                continue
            new_cost = cost + (TO_MANY_COST if rel.many else TO_ONE_COST)
            if new_cost < costs.get(rel.target, 1 << 30):
                costs[rel.target] = new_cost
                route = (*hops, rel)
                best[rel.target] = Route(rel.target, route)
                counter += 1
                heapq.heappush(queue, (new_cost, counter, rel.target, route))
    return best


def self_relations(manifest: Manifest, label: str) -> list[RelationInfo]:
    info = manifest.models.get(label)
    return [r for r in info.relations.values() if r.target == label] if info else []

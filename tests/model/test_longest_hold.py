"""The cooldown lint's longest hold agrees with networkx's edge-weighted longest path."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings, strategies as st

from designer.model.validate import _longest_hold


@st.composite
def weighted_dags(draw):
    n = draw(st.integers(1, 30))
    # Edges only from lower to higher numbers: always a DAG.
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                          .filter(lambda e: e[0] < e[1]), max_size=60, unique=True))
    holds = draw(st.dictionaries(st.integers(0, n - 1), st.integers(0, 10**6).map(float), max_size=n))
    return n, edges, holds


@settings(max_examples=200, deadline=None)
@given(weighted_dags())
def test_longest_hold_is_the_longest_path_with_each_hold_on_the_edges_leaving_it(dag):
    n, edges, holds = dag
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    order = list(nx.topological_sort(graph))
    # The second computation: the hold of a node weighs every edge leaving it, so a path's weight is
    # the holds of all its nodes but the last, and networkx finds the heaviest path.
    weighted = nx.DiGraph()
    weighted.add_nodes_from(range(n))
    weighted.add_weighted_edges_from((u, v, holds.get(u, 0.0)) for u, v in edges)
    expected = nx.dag_longest_path_length(weighted, weight="weight", default_weight=0)
    assert _longest_hold(graph, order, holds) == expected


def test_a_hold_at_the_end_of_the_path_does_not_count():
    graph = nx.DiGraph([("t", "d1"), ("d1", "e"), ("t", "d2")])
    # t -> d1 (1 h) -> e: 3600; t -> d2 (a day, but nothing after it): 0
    assert _longest_hold(graph, list(nx.topological_sort(graph)), {"d1": 3600.0, "d2": 86400.0}) == 3600.0

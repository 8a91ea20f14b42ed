"""Flow.add_node/add_edge with an index put things back at their old place (exact undo)."""

from designer.model import io
from designer.model.flow import Edge, Flow, Node


def _flow() -> Flow:
    flow = Flow()
    for i in range(1, 5):
        flow.add_node(Node(f"n{i}", "delay", 0, i * 100, {"duration": "PT1H"}))
    for a, b in (("n1", "n2"), ("n2", "n3"), ("n3", "n4")):
        flow.add_edge(Edge(a, b))
    return flow


def test_node_and_edges_return_to_their_places():
    flow = _flow()
    before = io.dumps(flow)
    node_index = list(flow.nodes).index("n2")
    edge_rows = [(i, e) for i, e in enumerate(flow.edges) if "n2" in (e.source, e.target)]
    node, _ = flow.remove_node("n2")
    assert list(flow.nodes) == ["n1", "n3", "n4"]
    flow.add_node(node, node_index)
    for i, e in edge_rows:
        flow.add_edge(e, i)
    assert io.dumps(flow) == before
    assert flow.successor("n1", "next") == "n2"
    assert [e.source for e in flow.edges_to("n3")] == ["n2"]


def test_index_past_the_end_appends():
    flow = _flow()
    flow.add_node(Node("n9", "exit"), 99)
    flow.add_edge(Edge("n4", "n9"), 99)
    assert list(flow.nodes)[-1] == "n9"
    assert flow.edges[-1] == Edge("n4", "n9")
